/// Crockford's base 32: no I, L, O, U, so codes survive being read aloud and typed.
public enum CrockfordBase32 {
    public static let alphabet: [Character] = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    /// Check symbols for values 32...36 (Crockford's mod-37 check).
    static let checkExtras: [Character] = Array("*~$=U")

    /// The symbols as ASCII bytes: ids are written on every status change (a dispute event's
    /// id per receipt), and building them from `Character`s was over half of making an event id.
    static let ascii: [UInt8] = alphabet.map { $0.asciiValue! }

    public static func encode(_ value: UInt64, digits: Int) -> String {
        String(unsafeUninitializedCapacity: digits) { out in
            write(value, digits: digits, into: out, at: 0)
            return digits
        }
    }

    /// The last `digits` symbols of `value`, most significant first, at `offset`.
    static func write(_ value: UInt64, digits: Int, into out: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        var v = value
        for i in stride(from: offset + digits - 1, through: offset, by: -1) {
            out[i] = ascii[Int(v & 31)]
            v >>= 5
        }
    }

    public static func encode<Bytes: Sequence<UInt8>>(bytes: Bytes) -> String {
        var out = ""
        var buffer: UInt32 = 0
        var bits = 0
        for b in bytes {
            buffer = (buffer << 8) | UInt32(b)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return out
    }

    /// The value of a symbol, reading the common mistypes (O→0, I/L→1) as Crockford says.
    public static func value(of c: Character) -> Int? {
        // Only ASCII can be a symbol. Other letters may uppercase to several characters (ß → SS),
        // which `Character(_:)` would trap on: a typed code must never stop the daemon.
        guard c.isASCII else { return nil }
        switch c.uppercased() {
        case "O": return 0
        case "I", "L": return 1
        case let u: return alphabet.firstIndex(of: Character(u))
        }
    }

    /// Crockford's check symbol: the value modulo 37.
    public static func checkSymbol(for symbols: some Sequence<Character>) -> Character? {
        var acc = 0
        for c in symbols {
            guard let v = value(of: c) else { return nil }
            acc = (acc * 32 + v) % 37
        }
        return acc < 32 ? alphabet[acc] : checkExtras[acc - 32]
    }
}
