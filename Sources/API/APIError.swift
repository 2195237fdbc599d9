import Foundation
import Hummingbird
import ReturnsCore

/// An error answer: `{"error": {"code": "...", "message": "..."}}` with its HTTP status.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public static var unauthorized: APIError {
        var e = APIError(.unauthorized, "unauthorized", "a valid bearer token is required (Authorization: Bearer <token>)")
        e.headers[.wwwAuthenticate] = "Bearer"
        return e
    }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "invalid_request", message) }

    public static func notFound(_ what: String) -> APIError { APIError(.notFound, "not_found", "\(what) was not found") }

    /// Business refusals: every one is a 4xx naming the rule, except running out of tracking
    /// numbers, which is ours to fix (503, and the operator is alarmed).
    public init(_ refusal: ReturnRefusal) {
        let status: HTTPResponse.Status = switch refusal.code {
        case .invalidRequest: .badRequest
        case .returnWindowClosed, .receivedInFuture, .itemNotFreeReturn, .idempotencyKeyReused: .unprocessableContent
        case .itemAlreadyReturned: .conflict
        case .countryNotServed: .unprocessableContent
        case .serialRangeExhausted: .serviceUnavailable
        }
        self.init(status, refusal.code.rawValue, refusal.message)
    }

    struct Body: Encodable {
        struct Inner: Encodable {
            var code: String
            var message: String
        }
        var error: Inner
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        let data = try JSONEncoder.returnd.encode(Body(error: .init(code: code, message: message)))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
