import Foundation

/// An amount of money as the marketplace sends it: a decimal string and an ISO 4217 code.
/// The string is kept as given so that nothing is lost to binary floating point.
public struct Money: Codable, Hashable, Sendable {
    public var amount: String
    public var currency: String

    public init(amount: String, currency: String) {
        self.amount = amount
        self.currency = currency
    }

    /// Non-negative, at most 12 integer and 4 fraction digits, in a currency in circulation.
    public var isWellFormed: Bool {
        Money.isDecimalString(amount) && Money.currencies.contains(currency)
    }

    public var decimalValue: Decimal? { Money.isDecimalString(amount) ? Decimal(string: amount) : nil }

    /// Digits after the point as the amount was written ("19.90" has 2).
    public var fractionDigits: Int { amount.split(separator: ".", maxSplits: 1).dropFirst().first?.count ?? 0 }

    /// A non-negative decimal with `fractionDigits` after the point, padded with zeros
    /// (`Decimal`'s own text drops them). A value with more digits than that keeps them all.
    public static func text(_ value: Decimal, fractionDigits: Int) -> String {
        let plain = "\(value)"
        let parts = plain.split(separator: ".", maxSplits: 1)
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count < fractionDigits else { return plain }
        return String(parts[0]) + "." + fraction + String(repeating: "0", count: fractionDigits - fraction.count)
    }

    static func isDecimalString(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { return false }
        let digits = { (p: Substring, max: Int) in
            !p.isEmpty && p.count <= max && p.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
        }
        return digits(parts[0], 12) && (parts.count == 1 || digits(parts[1], 4))
    }
}
