import Foundation

extension Buyer {
    /// A buyer as stored with the parcel (`JSONEncoder.returnd`: sorted keys, no whitespace).
    /// That exact shape is read by hand: `JSONDecoder` was a seventh of the single SQLite
    /// writer's time for a warehouse receipt, which loads its parcel inside the write. Anything
    /// else (whitespace, another key order, `null`, a broken escape) goes to `JSONDecoder`, so
    /// both read the same; `BuyerStoredJSONTests` compares them on random and mutated input.
    public static func decodeStored(_ json: String) throws -> Buyer {
        if let buyer = StoredBuyerReader.read(json) { return buyer }
        return try JSONDecoder.returnd.decode(Buyer.self, from: Data(json.utf8))
    }
}

/// Reads `{"address":{"city":S,"country":S,"lines":[S,...],"postal_code":S},["email":S,]"id":S,"name":S}`
/// or gives up (nil) at the first byte that is not that.
enum StoredBuyerReader {
    static func read(_ json: String) -> Buyer? {
        var json = json
        return json.withUTF8 { bytes in
            var r = Cursor(bytes: bytes)
            guard r.literal("{\"address\":{\"city\":"), let city = r.string(),
                  r.literal(",\"country\":"), let country = r.string(),
                  r.literal(",\"lines\":["), let lines = r.strings(),
                  r.literal(",\"postal_code\":"), let postalCode = r.string(),
                  r.literal("},") else { return nil }
            var email: String?
            if r.literal("\"email\":") {
                guard let e = r.string(), r.literal(",") else { return nil }
                email = e
            }
            guard r.literal("\"id\":"), let id = r.string(), r.literal(",\"name\":"), let name = r.string(), r.literal("}"), r.atEnd else { return nil }
            return Buyer(id: id, name: name, email: email, address: PostalAddress(lines: lines, city: city, postalCode: postalCode, country: country))
        }
    }

    private struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        var atEnd: Bool { i == bytes.count }

        mutating func literal(_ s: StaticString) -> Bool {
            let n = s.utf8CodeUnitCount
            guard bytes.count - i >= n else { return false }
            let same = s.withUTF8Buffer { lit in (0..<n).allSatisfy { bytes[i + $0] == lit[$0] } }
            if same { i += n }
            return same
        }

        /// The elements of an array of strings, after its `[`, through its `]`.
        mutating func strings() -> [String]? {
            var out: [String] = []
            if literal("]") { return out }
            while true {
                guard let s = string() else { return nil }
                out.append(s)
                if literal("]") { return out }
                guard literal(",") else { return nil }
            }
        }

        /// A JSON string: plain runs are taken whole; escapes are decoded, surrogate pairs
        /// joined. A raw control byte, an unknown escape or a lone surrogate gives nil.
        mutating func string() -> String? {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            var start = i
            var unescaped: [UInt8]?
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: "\"") {
                    let run = UnsafeBufferPointer(rebasing: bytes[start..<i])
                    i += 1
                    guard var text = unescaped else { return String(decoding: run, as: UTF8.self) }
                    text.append(contentsOf: run)
                    return String(decoding: text, as: UTF8.self)
                }
                if b < 0x20 { return nil }
                guard b == UInt8(ascii: "\\") else { i += 1; continue }
                var text = unescaped ?? []
                text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                i += 1
                guard i < bytes.count else { return nil }
                let e = bytes[i]
                i += 1
                switch e {
                case _ where JSONEscape.single(e) != nil: text.append(JSONEscape.single(e)!)
                case UInt8(ascii: "u"):
                    guard let unit = hex4() else { return nil }
                    var value = UInt32(unit)
                    if (0xD800...0xDBFF).contains(unit) {
                        guard literal("\\u"), let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                        value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(value) else { return nil }
                    text.append(contentsOf: String(Character(scalar)).utf8)
                default: return nil
                }
                unescaped = text
                start = i
            }
            return nil
        }

        mutating func hex4() -> UInt16? {
            guard bytes.count - i >= 4 else { return nil }
            var v: UInt16 = 0
            for _ in 0..<4 {
                guard let d = JSONEscape.hexDigit(bytes[i]) else { return nil }
                v = v << 4 | UInt16(d)
                i += 1
            }
            return v
        }
    }
}
