import Hummingbird
import Logging

/// One log line and one metric per request: method, route (the pattern, not the ids in it),
/// status, duration, request id, and for a refusal its error code (`item_already_returned`,
/// `invalid_request`): an operator asked why a marketplace's requests fail finds the rule in the
/// log, not only a 4xx. Never headers or bodies: tokens and addresses stay out, and so does the
/// message (it quotes what the client sent).
/// Every answer, an error too, carries the request id (`Returnd-Request-Id`), so a kiosk or
/// scanner that reports a failure gives the operator the id to find its log lines by.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = ReturndRequestContext
    let metrics: ReturndMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        var code: String?
        defer {
            let duration = ContinuousClock.now - start
            let route = context.endpointPath ?? "unmatched"
            metrics.request(method: request.method.rawValue, route: route, status: status, duration: duration)
            let ms = Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000
            let level: Logger.Level = status >= 500 ? .error : .info
            var metadata: Logger.Metadata = [
                "method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(status)",
                "duration_ms": "\((ms * 10).rounded() / 10)", "request_id": "\(context.id)",
            ]
            if let code { metadata["error"] = "\(code)" }
            context.logger.log(level: level, "http.request", metadata: metadata)
        }
        do {
            var response = try await next(request, context)
            status = response.status.code
            response.headers[ReturndHeaders.requestID] = context.id
            return response
        } catch let error as any HTTPResponseError {
            status = error.status.code
            code = (error as? APIError)?.code
            var response = try error.response(from: request, context: context)
            response.headers[ReturndHeaders.requestID] = context.id
            return response
        }
    }
}
