import Foundation
import Hummingbird
import ReturnsCore

extension Response {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder.returnd.encode(value))))
    }
}

extension DecodingError {
    /// Which field was wrong and how, in words a marketplace developer can act on.
    var readable: String {
        func path(_ c: [any CodingKey]) -> String {
            c.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch self {
        case .keyNotFound(let key, let ctx): return "missing field \(path(ctx.codingPath + [key]))"
        case .typeMismatch(let type, let ctx): return "field \(path(ctx.codingPath)) must be of type \(type)"
        case .valueNotFound(let type, let ctx): return "field \(path(ctx.codingPath)) must be a \(type), not null"
        case .dataCorrupted(let ctx):
            return ctx.codingPath.isEmpty ? "the body is not valid JSON" : "field \(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default: return "the body does not match the schema"
        }
    }
}
