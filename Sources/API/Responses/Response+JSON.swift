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
    /// Which field was wrong and how, in words a marketplace developer can act on: JSON's own
    /// words for types ("a number", not `Int`), and the body itself named when it is not an object.
    var readable: String {
        func path(_ c: [any CodingKey]) -> String {
            c.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        func subject(_ c: [any CodingKey]) -> String { c.isEmpty ? "the body" : "field \(path(c))" }
        switch self {
        case .keyNotFound(let key, let ctx): return "missing field \(path(ctx.codingPath + [key]))"
        case .typeMismatch(let type, let ctx): return "\(subject(ctx.codingPath)) must be \(Self.jsonKind(type))"
        case .valueNotFound(let type, let ctx): return "\(subject(ctx.codingPath)) must be \(Self.jsonKind(type)), not null"
        case .dataCorrupted(let ctx):
            return ctx.codingPath.isEmpty ? "the body is not valid JSON" : "field \(path(ctx.codingPath)): \(ctx.debugDescription)"
        @unknown default: return "the body does not match the schema"
        }
    }

    /// The JSON kind a Swift type is decoded from.
    static func jsonKind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is Substring.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is any BinaryInteger.Type, is any BinaryFloatingPoint.Type, is Decimal.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array<") || name.hasPrefix("Set<") { return "an array" }
            return "an object"
        }
    }
}
