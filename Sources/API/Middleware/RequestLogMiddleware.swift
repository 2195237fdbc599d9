import Hummingbird
import Logging

/// One log line and one metric per request: method, route (the pattern, not the ids in it),
/// status, duration, request id. Never headers or bodies: tokens and addresses stay out.
/// Every answer, an error too, carries the request id (`Returnd-Request-Id`), so a kiosk or
/// scanner that reports a failure gives the operator the id to find its log lines by.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = ReturndRequestContext
    let metrics: ReturndMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        defer {
            let duration = ContinuousClock.now - start
            let route = context.endpointPath ?? "unmatched"
            metrics.request(method: request.method.rawValue, route: route, status: status, duration: duration)
            let ms = Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000
            let level: Logger.Level = status >= 500 ? .error : .info
            context.logger.log(level: level, "http.request", metadata: [
                "method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(status)",
                "duration_ms": "\((ms * 10).rounded() / 10)", "request_id": "\(context.id)",
            ])
        }
        do {
            var response = try await next(request, context)
            status = response.status.code
            response.headers[ReturndHeaders.requestID] = context.id
            return response
        } catch let error as any HTTPResponseError {
            status = error.status.code
            var response = try error.response(from: request, context: context)
            response.headers[ReturndHeaders.requestID] = context.id
            return response
        }
    }
}
