import ReturnsCore

/// A carrier's JSON answer, read straight from the response bytes (RFC 8259, strict).
///
/// Replaces `JSONSerialization` for tracking answers: that built Foundation objects (`NSNumber`,
/// `[String: Any]`) from a copy of the body and was a fifth of a quiet poll's CPU. What is
/// accepted is what `JSONSerialization` accepts for UTF-8 input (checked by `FuzzCarrierJSON`
/// against it), with these differences:
/// - UTF-16 and UTF-32 bodies are refused (`JSONSerialization` guesses the encoding); carriers
///   answer in UTF-8, and a body that is not is a malformed answer.
/// - Like `JSONSerialization`, a comma before a closing brace or bracket is accepted.
/// - A number keeps its literal text (`1.50` stays `1.50`), so a code sent as a number reads as
///   the carrier wrote it.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal text: RFC 8259's grammar, finite as a `Double`.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in document order; a repeated key reads as its last value, as in `JSONSerialization`.
    case object([JSONMember])

    /// Nesting deeper than this is refused, as `JSONSerialization` does: a hostile answer cannot
    /// exhaust the stack.
    public static let maxDepth = 512

    /// Parses a whole document; any value may be at the top. A UTF-8 byte order mark is skipped.
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var reader = JSONReader(bytes: bytes)
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { reader.index = 3 }
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.index == bytes.count else { throw JSONSyntaxError(offset: reader.index, reason: "text after the value") }
        return value
    }

    /// The member `key` of an object (its last value if repeated); nil for anything else.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// Self if this is an object.
    public var object: JSONValue? {
        if case .object = self { return self }
        return nil
    }

    /// The elements of an array whose elements are all objects; nil otherwise (as a cast to
    /// `[[String: Any]]` was).
    public var objects: [JSONValue]? {
        guard case .array(let elements) = self else { return nil }
        for e in elements {
            guard case .object = e else { return nil }
        }
        return elements
    }

    /// A string, or a number's literal text: carriers send codes and ids as either.
    public var text: String? {
        switch self {
        case .string(let s), .number(let s): s
        default: nil
        }
    }

    /// `a.b.0.c` through objects and arrays.
    public func value(at path: String) -> JSONValue? {
        var current: JSONValue? = self
        // Walked without splitting the path into new strings: adapters look up a path per event.
        var rest = path[...]
        while !rest.isEmpty, let node = current {
            let part: Substring
            if let dot = rest.firstIndex(of: ".") {
                part = rest[..<dot]
                rest = rest[rest.index(after: dot)...]
            } else {
                part = rest
                rest = rest[rest.endIndex...]
            }
            if part.isEmpty { continue }
            switch node {
            case .array(let elements):
                guard let index = Int(part) else { return nil }
                current = elements.indices.contains(index) ? elements[index] : nil
            case .object(let members):
                current = members.last { $0.key == part }?.value
            default:
                return nil
            }
        }
        return current
    }
}

public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONValue

    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}

public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public var description: String { "\(reason) at byte \(offset)" }
}

/// One pass over the bytes, by index; strings without escapes are validated and made in one go.
private struct JSONReader {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func fail(_ reason: String) -> JSONSyntaxError { JSONSyntaxError(offset: index, reason: reason) }

    mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard index < bytes.count else { throw fail("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("unexpected byte")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw fail("unexpected end") }
        for i in 0..<count where bytes[index + i] != word.utf8Start[i] { throw fail("unknown literal") }
        index += count
    }

    mutating func object(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= JSONValue.maxDepth else { throw fail("nested too deeply") }
        index += 1
        var members: [JSONMember] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
            let key = try string()
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipSpace()
            members.append(JSONMember(key: key, value: try value(depth: depth)))
            skipSpace()
            guard index < bytes.count else { throw fail("unexpected end") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                // A comma before the closing brace is read, as JSONSerialization reads it, so an
                // answer that was read before is still read (arrays alike).
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(members)
                }
                continue
            }
            guard bytes[index] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
            index += 1
            return .object(members)
        }
    }

    mutating func array(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= JSONValue.maxDepth else { throw fail("nested too deeply") }
        index += 1
        var elements: [JSONValue] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipSpace()
            elements.append(try value(depth: depth))
            skipSpace()
            guard index < bytes.count else { throw fail("unexpected end") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(elements)
                }
                continue
            }
            guard bytes[index] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
            index += 1
            return .array(elements)
        }
    }

    /// At the opening quote; leaves the index after the closing one.
    mutating func string() throws(JSONSyntaxError) -> String {
        index += 1
        let start = index
        // The common case: no escape. Control bytes are refused, UTF-8 is checked once at the end.
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                guard let s = String(validating: bytes[start..<index], as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            guard b >= 0x20 else { throw fail("control character in a string") }
            index += 1
        }
        guard index < bytes.count else { throw fail("unterminated string") }
        // Escapes: the plain bytes so far, then byte by byte.
        var out = Array(bytes[start..<index])
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
                index += 1
                return s
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw fail("unterminated string") }
                let e = bytes[index]
                index += 1
                if let single = JSONEscape.single(e) {
                    out.append(single)
                    continue
                }
                switch e {
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A high surrogate must be followed by an escaped low one.
                        guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { throw fail("lone surrogate") }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("lone surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("lone surrogate")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid escape") }
                    out.append(contentsOf: UTF8.encode(u)!)
                default:
                    index -= 1
                    throw fail("invalid escape")
                }
            default:
                guard b >= 0x20 else { throw fail("control character in a string") }
                out.append(b)
                index += 1
            }
        }
        throw fail("unterminated string")
    }

    mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = JSONEscape.hexDigit(bytes[index]) else { throw fail("bad hex digit in \\u escape") }
            v = v << 4 | UInt32(d)
            index += 1
        }
        return v
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, finite.
    mutating func number() throws(JSONSyntaxError) -> String {
        let start = index
        func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard isDigit(index) else { throw fail("bad number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while isDigit(index) { index += 1 }
        }
        var plainInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            plainInteger = false
            index += 1
            guard isDigit(index) else { throw fail("bad number") }
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            plainInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { throw fail("bad number") }
            while isDigit(index) { index += 1 }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        // Short integers are always finite; anything else must fit a Double, as JSONSerialization requires.
        if !(plainInteger && index - start <= 300) {
            guard let d = Double(text), d.isFinite else { throw JSONSyntaxError(offset: start, reason: "number out of range") }
        }
        return text
    }
}
