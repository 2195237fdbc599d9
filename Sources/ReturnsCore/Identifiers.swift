/// Parcel ids: `P` and twelve Crockford base-32 symbols (60 random bits): short enough to read
/// over the phone, QR-alphanumeric, and unique in practice (the store enforces it anyway).
public enum ParcelID {
    public static func random() -> String {
        "P" + CrockfordBase32.encode(UInt64.random(in: 0..<(1 << 60)), digits: 12)
    }

    public static func isWellFormed(_ s: String) -> Bool {
        s.count == 13 && s.first == "P" && s.dropFirst().allSatisfy { CrockfordBase32.alphabet.contains($0) }
    }

    /// The id a person typed: any case, and Crockford's mistypes read as the digits meant (`O` as
    /// 0, `I` and `L` as 1), as a return code is. Nil for anything not shaped as an id.
    public static func typed(_ s: String) -> String? {
        guard s.utf8.count == 13, s.first == "P" || s.first == "p" else { return nil }
        let symbols = s.dropFirst().compactMap { CrockfordBase32.value(of: $0).map { CrockfordBase32.alphabet[$0] } }
        return symbols.count == 12 ? "P" + String(symbols) : nil
    }
}
