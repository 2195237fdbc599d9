/// Parcel ids: `P` and twelve Crockford base-32 symbols (60 random bits): short enough to read
/// over the phone, QR-alphanumeric, and unique in practice (the store enforces it anyway).
public enum ParcelID {
    public static func random() -> String {
        "P" + CrockfordBase32.encode(UInt64.random(in: 0..<(1 << 60)), digits: 12)
    }

    public static func isWellFormed(_ s: String) -> Bool {
        s.count == 13 && s.first == "P" && s.dropFirst().allSatisfy { CrockfordBase32.alphabet.contains($0) }
    }
}
