import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ReturnsCore
import Store

/// Every failure leaves as the API's JSON error shape; unexpected ones are logged with the
/// request id and answered 500 without internals.
struct ErrorMappingMiddleware: RouterMiddleware {
    typealias Context = ReturndRequestContext
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let refusal as ReturnRefusal {
            if refusal.code == .serialRangeExhausted {
                context.logger.critical("serial.exhausted", metadata: ["reason": "\(refusal.message)"])
            }
            throw APIError(refusal)
        } catch let illegal as ParcelStateMachine.IllegalTransition {
            throw APIError(.conflict, "invalid_transition", illegal.description)
        } catch StoreError.notFound(let what) {
            throw APIError.notFound(what)
        } catch StoreError.unavailable(let why) {
            // A database restart or failover, a full disk: 503 tells kiosks, scanners and load
            // balancers to try again (with the same Idempotency-Key), where a 500 reads as our bug.
            context.logger.warning("store.unavailable", metadata: ["error": "\(why)", "path": "\(request.uri.path.quotedInMessage())"])
            var error = APIError(.serviceUnavailable, "store_unavailable", "the database cannot take requests right now; send the same request again in a moment (with the same Idempotency-Key, if it had one)")
            error.headers[.retryAfter] = "2"
            throw error
        } catch let late as RequestBodyTimedOut {
            throw APIError(.requestTimeout, "request_timeout", late.description)
        } catch let silent as RequestBodyNotBegun {
            throw APIError(.requestTimeout, "request_timeout", silent.description)
        } catch let broken as HTTPParserError {
            // The body broke off or was not well-formed: the client's doing. As a 500 it was
            // logged as an error and counted toward the 5xx alert, which a kiosk on a flaky link,
            // dropping mid-request, could set off with no fault of returnd's.
            if broken == .invalidEOFState {
                throw APIError(.badRequest, "incomplete_request", "the connection ended before the request body did; send the request again (with the same Idempotency-Key, if it had one)")
            }
            throw APIError(.badRequest, "invalid_request", "the request body is not well-formed HTTP/1.1 (\(broken))")
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body_too_large", "the request body is larger than the configured http.max_request_body_bytes")
        } catch let error as HTTPError {
            let code = switch error.status {
            case .notFound: "not_found"
            case .methodNotAllowed: "method_not_allowed"
            case .contentTooLarge: "body_too_large"
            default: error.status.code < 500 ? "invalid_request" : "internal_error"
            }
            var mapped = APIError(error.status, code, error.body ?? error.status.reasonPhrase)
            mapped.headers = error.headers
            if error.status == .notFound && error.body == nil {
                // A known path with another method is 405 with the methods it has.
                let allowed = routes.methods(for: request.uri.path)
                if !allowed.isEmpty {
                    mapped = APIError(.methodNotAllowed, "method_not_allowed", "\(request.uri.path.quotedInMessage()) takes \(allowed.joined(separator: ", ")), not \(request.method.rawValue)")
                    mapped.headers[.allow] = allowed.joined(separator: ", ")
                } else {
                    mapped.message = "no route \(request.method.rawValue) \(request.uri.path.quotedInMessage())"
                }
            }
            throw mapped
        } catch {
            context.logger.error("request.failed", metadata: ["error": "\(error)", "path": "\(request.uri.path.quotedInMessage())"])
            throw APIError(.internalServerError, "internal_error", "internal error; returnd's log has the cause under request id \(context.id) (also in the Returnd-Request-Id header)")
        }
    }
}
