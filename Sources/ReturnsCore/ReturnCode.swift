/// The short human code a buyer types at a counter when a scan fails: eight Crockford base-32
/// symbols and a mod-37 check symbol, shown as `ABCD-EFGH-J`.
public struct ReturnCode: Hashable, Sendable, CustomStringConvertible {
    /// Nine symbols without separators, upper case.
    public let canonical: String

    public var description: String { Self.display(canonical) }

    /// The grouped form `ABCD-EFGH-J` of a canonical code; anything else as is.
    public static func display(_ canonical: String) -> String {
        // Canonical codes are ASCII: group the bytes (Character slicing cost more than the rest of
        // a ZPL label's return-code line).
        var canonical = canonical
        let grouped: String? = canonical.withUTF8 { bytes in
            guard bytes.count == 9, bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            return String(unsafeUninitializedCapacity: 11) { out in
                for i in 0..<9 { out[i + (i < 4 ? 0 : i < 8 ? 1 : 2)] = bytes[i] }
                out[4] = UInt8(ascii: "-")
                out[9] = UInt8(ascii: "-")
                return 11
            }
        }
        if let grouped { return grouped }
        guard canonical.count == 9 else { return canonical }
        let c = Array(canonical)
        return "\(String(c[0..<4]))-\(String(c[4..<8]))-\(c[8])"
    }

    /// A new random code. Codes whose check value falls on one of Crockford's five extra check
    /// symbols (`*~$=U`) are drawn again: those are hard to type and absent from QR alphanumeric
    /// mode; the check still catches every single-symbol error and adjacent swap.
    public static func random<G: RandomNumberGenerator>(using rng: inout G) -> ReturnCode {
        while true {
            let body = CrockfordBase32.encode(UInt64.random(in: 0..<(1 << 40), using: &rng), digits: 8)
            let check = CrockfordBase32.checkSymbol(for: body)!
            if CrockfordBase32.alphabet.contains(check) { return ReturnCode(uncheckedCanonical: body + String(check)) }
        }
    }

    public static func random() -> ReturnCode {
        var g = SystemRandomNumberGenerator()
        return random(using: &g)
    }

    init(uncheckedCanonical: String) { canonical = uncheckedCanonical }

    public enum ParseError: Error, Equatable, Sendable {
        case wrongLength
        case invalidSymbol(Character)
        case checkMismatch

        /// What went wrong, in words for the person who typed it.
        public var reason: String {
            switch self {
            case .checkMismatch: "its last character does not match: a character was mistyped"
            case .invalidSymbol(let c): "\(c) is not used in return codes"
            case .wrongLength: "a return code has 9 characters"
            }
        }
    }

    /// Parses what a person typed: any case, hyphens and spaces ignored, O/I/L read as 0/1.
    public init(parsing typed: String) throws(ParseError) {
        let symbols = typed.filter { $0 != "-" && $0 != " " }
        guard symbols.count == 9 else { throw .wrongLength }
        var normalized = ""
        for c in symbols.prefix(8) {
            guard let v = CrockfordBase32.value(of: c) else { throw .invalidSymbol(c) }
            normalized.append(CrockfordBase32.alphabet[v])
        }
        let last = symbols.last!
        // Uppercased only when ASCII: ß uppercases to two characters (see `CrockfordBase32.value`).
        let typedCheck = last.isASCII ? Character(last.uppercased()) : last
        guard let expected = CrockfordBase32.checkSymbol(for: normalized) else { throw .checkMismatch }
        let typedValue = CrockfordBase32.value(of: typedCheck).map { CrockfordBase32.alphabet[$0] } ?? typedCheck
        guard typedValue == expected else { throw .checkMismatch }
        canonical = normalized + String(expected)
    }
}
