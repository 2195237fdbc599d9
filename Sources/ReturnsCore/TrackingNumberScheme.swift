import Foundation

/// A carrier's tracking-number format with its real check digit.
public enum TrackingNumberScheme: Hashable, Sendable {
    /// UPU S10: two letters, 8-digit serial, mod-11 check digit, ISO country code (`RR123456785FR`).
    case upuS10(serviceIndicator: String, countryCode: String)
    /// USPS Intelligent Mail package barcode: 22 digits, the fixed part (channel, service type,
    /// mailer id) then the serial, mod-10 check with weights 3,1 from the right.
    case uspsIMpb(prefix: String)
    /// Russian Post domestic: 6-digit origin index, 2-digit month code, 5-digit serial,
    /// mod-10 check with weights 3,1 from the left (14 digits).
    case russianPostDomestic(originIndex: String)

    public var name: String {
        switch self {
        case .upuS10: "upu_s10"
        case .uspsIMpb: "usps_impb"
        case .russianPostDomestic: "russian_post_domestic"
        }
    }

    /// Largest serial the format can hold.
    public var maxSerial: Int {
        switch self {
        case .upuS10: 99_999_999
        case .uspsIMpb(let prefix): Int(pow(10.0, Double(21 - prefix.count))) - 1
        case .russianPostDomestic: 99_999
        }
    }

    /// Whether the barcode symbology is GS1-128 (IMpb) rather than plain Code 128.
    public var usesGS1_128: Bool {
        if case .uspsIMpb = self { return true }
        return false
    }

    /// Problems with the scheme's own parameters, for the carrier file loader.
    public var parameterProblem: String? {
        switch self {
        case .upuS10(let s, let c):
            if !(s.count == 2 && s.allSatisfy { $0.isASCII && $0.isUppercase }) { return "service_indicator must be two capital letters" }
            if !(c.count == 2 && c.allSatisfy { $0.isASCII && $0.isUppercase }) { return "country_code must be two capital letters" }
        case .uspsIMpb(let p):
            if !(p.allSatisfy(\.isASCIIDigit) && (8...18).contains(p.count)) { return "prefix must be 8 to 18 digits" }
        case .russianPostDomestic(let index):
            if !(index.count == 6 && index.allSatisfy(\.isASCIIDigit)) { return "origin_index must be 6 digits" }
        }
        return nil
    }

    /// The tracking number for an allocated serial. `date` feeds the Russian Post month code.
    public func trackingNumber(serial: Int, date: Date) -> String {
        precondition((0...maxSerial).contains(serial), "serial \(serial) outside the scheme")
        switch self {
        case .upuS10(let s, let c):
            let digits = Self.pad(serial, 8)
            return s + digits + String(Self.s10CheckDigit(digits)!) + c
        case .uspsIMpb(let prefix):
            let body = prefix + Self.pad(serial, 21 - prefix.count)
            return body + String(Self.mod10CheckDigit(body, weightsFromLeft: false)!)
        case .russianPostDomestic(let index):
            let body = index + Self.pad(Self.russianPostMonthCode(date), 2) + Self.pad(serial, 5)
            return body + String(Self.mod10CheckDigit(body, weightsFromLeft: true)!)
        }
    }

    /// Validates a number against this scheme's format and check digit.
    public func isValid(_ number: String) -> Bool {
        switch self {
        case .upuS10: return Self.isValidS10(number)
        case .uspsIMpb(let prefix):
            return number.hasPrefix(prefix) && Self.isValidIMpb(number)
        case .russianPostDomestic: return Self.isValidRussianPostDomestic(number)
        }
    }

    /// For a code a reader gave that names no parcel: the format it has the shape of while its
    /// check digit fails (a digit mistyped or misread), or nil. No number returnd issued fails
    /// its check, so such a code can only be a slip, and the reader is told so rather than
    /// "not found".
    public static func formatFailingCheckDigit(_ code: String) -> String? {
        let c = Array(code)
        let letters = { (r: ArraySlice<Character>) in r.allSatisfy { $0.isASCII && $0.isUppercase } }
        if c.count == 13, letters(c[0...1]), c[2...10].allSatisfy(\.isASCIIDigit), letters(c[11...12]), !isValidS10(code) { return "UPU S10" }
        if c.count == 22, c.allSatisfy(\.isASCIIDigit), !isValidIMpb(code) { return "USPS IMpb" }
        if c.count == 14, c.allSatisfy(\.isASCIIDigit), !isValidRussianPostDomestic(code) { return "Russian Post" }
        return nil
    }

    /// A tracking number as a person or a scanner sent it, in the form stored: no scheme's number
    /// holds a space or a dash, but people type one as a carrier prints it, in groups
    /// ("9400 1112 0620 6400 0000 03", "CY 100 000 003 FR"), and in any case (ASCII's: a `ß` is
    /// not the `SS` of a service indicator).
    public static func typed(_ text: String) -> String {
        text.asciiUppercased.filter { $0 != " " && $0 != "-" }
    }

    /// `formatFailingCheckDigit` in words, one wording for the API and returnctl.
    public static func checkDigitSlip(_ code: String) -> String? {
        formatFailingCheckDigit(code).map { "its check digit does not match the digits before it (\($0))" }
    }

    // MARK: - Check digits

    /// UPU S10 check digit over 8 digits: weights 8,6,4,2,3,5,9,7; 11 - sum mod 11; 10 → 0, 11 → 5.
    public static func s10CheckDigit(_ serial: String) -> Int? {
        let digits = serial.compactMap(\.wholeNumberValue)
        guard serial.count == 8, digits.count == 8, serial.allSatisfy(\.isASCIIDigit) else { return nil }
        let sum = zip(digits, [8, 6, 4, 2, 3, 5, 9, 7]).reduce(0) { $0 + $1.0 * $1.1 }
        switch 11 - sum % 11 {
        case 10: return 0
        case 11: return 5
        case let c: return c
        }
    }

    public static func isValidS10(_ n: String) -> Bool {
        let c = Array(n)
        guard c.count == 13,
            c[0...1].allSatisfy({ $0.isASCII && $0.isUppercase }),
            c[11...12].allSatisfy({ $0.isASCII && $0.isUppercase }),
            let check = c[10].wholeNumberValue, c[10].isASCIIDigit,
            let expected = s10CheckDigit(String(c[2...9]))
        else { return false }
        return check == expected
    }

    /// Mod-10 with alternating weights 3,1. USPS counts from the right (rightmost data digit
    /// weighs 3), Russian Post from the left (first digit weighs 3).
    public static func mod10CheckDigit(_ body: String, weightsFromLeft: Bool) -> Int? {
        guard !body.isEmpty, body.allSatisfy(\.isASCIIDigit) else { return nil }
        let digits = body.compactMap(\.wholeNumberValue)
        let ordered = weightsFromLeft ? digits : digits.reversed()
        let sum = ordered.enumerated().reduce(0) { $0 + $1.element * ($1.offset % 2 == 0 ? 3 : 1) }
        return (10 - sum % 10) % 10
    }

    public static func isValidIMpb(_ n: String) -> Bool {
        guard n.count == 22, n.allSatisfy(\.isASCIIDigit) else { return false }
        return mod10CheckDigit(String(n.dropLast()), weightsFromLeft: false) == n.last!.wholeNumberValue
    }

    public static func isValidRussianPostDomestic(_ n: String) -> Bool {
        guard n.count == 14, n.allSatisfy(\.isASCIIDigit) else { return false }
        return mod10CheckDigit(String(n.dropLast()), weightsFromLeft: true) == n.last!.wholeNumberValue
    }

    /// Russian Post numbers the months in a cycle rather than by calendar month; we count
    /// months since January 2000 modulo 99, plus one, so the code is 01...99 and never repeats
    /// within eight years.
    static func russianPostMonthCode(_ date: Date) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month], from: date)
        return ((c.year! - 2000) * 12 + (c.month! - 1)) % 99 + 1
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
