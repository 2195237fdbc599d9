import Foundation

/// `JSONSerialization`'s reading of a document next to ours: tests and the fuzz target hold
/// `JSONValue.parse` to what Foundation reads.
extension JSONValue {
    /// The tree `JSONSerialization` builds, as a `JSONValue` (object members sorted by key).
    public init?(foundationObject object: Any) {
        switch object {
        case is NSNull:
            self = .null
        case let n as NSNumber:
            // Foundation's booleans are the two shared NSNumber instances.
            if n === NSNumber(value: true) {
                self = .bool(true)
            } else if n === NSNumber(value: false) {
                self = .bool(false)
            } else {
                self = .number(n.stringValue)
            }
        case let s as String:
            self = .string(s)
        case let a as [Any]:
            var elements: [JSONValue] = []
            for e in a {
                guard let v = JSONValue(foundationObject: e) else { return nil }
                elements.append(v)
            }
            self = .array(elements)
        case let d as [String: Any]:
            var members: [JSONMember] = []
            for (k, e) in d.sorted(by: { $0.key < $1.key }) {
                guard let v = JSONValue(foundationObject: e) else { return nil }
                members.append(JSONMember(key: k, value: v))
            }
            self = .object(members)
        default:
            return nil
        }
    }

    /// Whether `theirs`, what `JSONSerialization` read from the same bytes, is this document:
    /// an object is its keys with their last values (order aside), numbers compare by value
    /// (Foundation does not keep their text). Foundation drops some U+FEFF (zero-width no-break
    /// space) from strings and keys, which `parse` keeps as the carrier's text: strings and
    /// keys are compared without them.
    public func matchesFoundationReading(_ theirs: JSONValue) -> Bool {
        func plain(_ s: String) -> String { String(String.UnicodeScalarView(s.unicodeScalars.filter { $0 != "\u{FEFF}" })) }
        switch (self, theirs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b || plain(a) == plain(b)
        case (.number(let a), .number(let b)):
            guard let x = Double(a), let y = Double(b) else { return false }
            return x == y || abs(x - y) <= 1e-12 * max(abs(x), abs(y))
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.matchesFoundationReading($1) }
        case (.object(let a), .object(let b)):
            // Keys that differ only by U+FEFF may be one key to Foundation or two: ours, last
            // value first, must match one of Foundation's under the same key.
            var ours: [String: JSONValue] = [:]
            for m in a { ours[plain(m.key)] = m.value }
            var foundation: [String: [JSONValue]] = [:]
            for m in b { foundation[plain(m.key), default: []].append(m.value) }
            return ours.count == foundation.count && ours.allSatisfy { key, value in
                foundation[key]?.contains { value.matchesFoundationReading($0) } ?? false
            }
        default:
            return false
        }
    }

    /// `JSONSerialization` converts an object's members only after reading them all, and never
    /// converts one that a later member with the same key replaces: a number past `Double`'s
    /// range there goes unrefused. `parse` refuses such a number wherever it stands. True when
    /// that is why `parse` refused `bytes`: with each such number made 0, `parse` reads the
    /// document as Foundation does, and Foundation's own reading does not change.
    public static func refusedOnlyForReplacedNumbers(_ bytes: [UInt8], foundation: JSONValue) -> Bool {
        var patched = bytes
        // One number made 0 per round, and a 0 is never out of range again: a document cannot
        // hold more such numbers than bytes. (A bound of 64 rounds was too low: fuzzing found a
        // body of 2.6 KB with 65.)
        for _ in 0...bytes.count {
            do {
                let ours = try parse(patched)
                let again = (try? JSONSerialization.jsonObject(with: Data(patched), options: [.fragmentsAllowed])).flatMap { JSONValue(foundationObject: $0) }
                return patched != bytes && again == foundation && ours.matchesFoundationReading(foundation)
            } catch where error.reason == "number out of range" {
                var end = error.offset
                while end < patched.count, Array("+-.eE0123456789".utf8).contains(patched[end]) { end += 1 }
                patched.replaceSubrange(error.offset..<end, with: [UInt8(ascii: "0")])
            } catch {
                return false
            }
        }
        return false
    }

    /// Bodies `JSONSerialization` reads in another encoding than UTF-8 (it guesses UTF-16 or
    /// UTF-32 from zero bytes or a byte order mark), which `parse` refuses on purpose.
    public static func mayBeWideEncoding(_ bytes: [UInt8]) -> Bool {
        if bytes.count >= 2, (bytes[0] == 0xFE && bytes[1] == 0xFF) || (bytes[0] == 0xFF && bytes[1] == 0xFE) { return true }
        return bytes.prefix(4).contains(0)
    }
}
