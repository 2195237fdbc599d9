import Carriers
import Foundation
import Hummingbird
import NIOCore
import ReturnsCore

extension Request {
    /// Decodes a JSON body of at most `limit` bytes into `T`, answering 400 with the field at
    /// fault, or 413 naming the limit (see `collectBody`).
    func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int = 64 * 1024, configured: Bool = false) async throws -> T {
        let buffer = try await collectBody(upTo: limit, configured: configured)
        return try Self.decodeBody(T.self, from: Data(buffer.readableBytesView))
    }

    /// The whole body, or 413 naming the limit it passed. `configured`: the limit is
    /// `http.max_request_body_bytes`; otherwise it is the route's own, which a sender cannot
    /// look up in the configuration.
    func collectBody(upTo limit: Int, configured: Bool) async throws -> ByteBuffer {
        do { return try await body.collect(upTo: limit) } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body_too_large", configured
                ? "the request body is larger than the configured http.max_request_body_bytes (\(limit) bytes)"
                : "the request body is larger than the \(limit / 1024) KiB this route takes; it holds a code and a few fields")
        }
    }

    /// A request body as `T`, or 400 saying what is wrong: empty, the field at fault, or a key
    /// sent twice in one object.
    static func decodeBody<T: Decodable>(_ type: T.Type, from data: Data) throws(APIError) -> T {
        // Foundation calls an empty body "not valid JSON", which sends a client looking at its JSON.
        guard !data.isEmpty else { throw .badRequest("the body is empty; send a JSON object") }
        // JSON between systems is UTF-8 (RFC 8259). Foundation's decoder also reads UTF-16 and
        // UTF-32, which the repeated-key check below does not: such a body slipped past it.
        // And a body in Latin-1 was only "not valid JSON", which sends a client looking at its
        // brackets rather than its encoding.
        let bytes = [UInt8](data)
        if JSONValue.mayBeWideEncoding(bytes) { throw .badRequest("the body is UTF-16 or UTF-32; send JSON in UTF-8") }
        if String(validating: bytes, as: UTF8.self) == nil {
            throw .badRequest("the body is not UTF-8 (Latin-1, say); send JSON in UTF-8")
        }
        let value: T
        do { value = try JSONDecoder.returnd.decode(T.self, from: data) } catch let error as DecodingError {
            throw .badRequest(error.readable)
        } catch {
            throw .badRequest("the body is not valid JSON")
        }
        // Foundation's decoder takes one of a repeated key's values and says nothing, and a proxy
        // or another reader of the same body may take the other: `"dispute_id": "D-1",
        // "dispute_id": "D-2"` must not become a parcel for D-1 that nobody asked for by name.
        if let repeated = Self.repeatedKey(in: bytes) {
            throw .badRequest("\(repeated.path.isEmpty ? "the body" : "field \(repeated.path.quotedInMessage(max: 120))") has the key \(repeated.key.quotedInMessage(max: 64)) twice; send each key once")
        }
        return value
    }

    /// The first key that appears twice in one object, with the path of that object; nil when
    /// there is none (or when the body does not parse as strict JSON, which the decoder has
    /// already judged).
    static func repeatedKey(in bytes: [UInt8]) -> (path: String, key: String)? {
        guard let document = try? JSONValue.parse(bytes) else { return nil }
        func search(_ value: JSONValue, _ path: String) -> (path: String, key: String)? {
            switch value {
            case .object(let members):
                var seen = Set<String>()
                for m in members where !seen.insert(m.key).inserted { return (path, m.key) }
                for m in members {
                    if let found = search(m.value, path.isEmpty ? m.key : "\(path).\(m.key)") { return found }
                }
                return nil
            case .array(let elements):
                for (i, e) in elements.enumerated() {
                    if let found = search(e, "\(path)[\(i)]") { return found }
                }
                return nil
            default:
                return nil
            }
        }
        return search(document, "")
    }
}
