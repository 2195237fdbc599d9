import Foundation

/// A date's UTC calendar fields, worked out by hand (Howard Hinnant's days-to-civil algorithm)
/// for the places that print dates on every request: Foundation's formatters were a tenth of a
/// ZPL label and of a receipt's SQL. Only years 1583 to 9999 (`nil` outside): before 1583
/// Foundation's calendar is Julian, and after 9999 the text grows a digit, so callers hand those
/// rare dates to Foundation and print what it prints.
public struct UTCDateTime: Sendable, Equatable {
    public var year: Int, month: Int, day: Int
    public var hour: Int, minute: Int, second: Int
    public var millisecond: Int

    /// `milliseconds` since 1970, already rounded as the caller wants (down or to nearest).
    public init?(millisecondsSince1970 milliseconds: Int64) {
        guard milliseconds >= -12_212_553_600_000, milliseconds < 253_402_300_800_000 else { return nil }
        // Floor division, so times before 1970 land on the right day.
        let msPerDay: Int64 = 86_400_000
        let days = milliseconds >= 0 ? milliseconds / msPerDay : (milliseconds - msPerDay + 1) / msPerDay
        var rest = Int(milliseconds - days * msPerDay)
        millisecond = rest % 1000; rest /= 1000
        second = rest % 60; rest /= 60
        minute = rest % 60
        hour = rest / 60
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// The whole second a date falls in (what ISO 8601 without fractions prints).
    public init?(flooringToSecond date: Date) {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        guard seconds.isFinite, abs(seconds) < 1e15 else { return nil }
        self.init(millisecondsSince1970: Int64(seconds) * 1000)
    }

    /// `yyyy-MM-dd HH:mm` (label deadlines).
    public var minuteText: String {
        text(16) { b in
            b[10] = UInt8(ascii: " ")
            Self.digits(hour, 2, into: b, at: 11); b[13] = UInt8(ascii: ":")
            Self.digits(minute, 2, into: b, at: 14)
        }
    }

    /// `yyyy-MM-ddTHH:mm:ssZ` (JSONEncoder's `.iso8601`).
    public var iso8601Text: String {
        text(20) { b in
            b[10] = UInt8(ascii: "T"); clock(into: b); b[19] = UInt8(ascii: "Z")
        }
    }

    /// `yyyy-MM-dd HH:mm:ss.SSS` (GRDB's text for a date in SQLite).
    public var sqliteText: String {
        text(23) { b in
            b[10] = UInt8(ascii: " "); clock(into: b); b[19] = UInt8(ascii: ".")
            Self.digits(millisecond, 3, into: b, at: 20)
        }
    }

    /// Reads `yyyy-MM-dd HH:mm:ss.SSS`, the text `sqliteText` writes; nil for any other text or
    /// a field out of range (callers hand those to GRDB, as they do dates outside the years).
    public init?(sqliteText text: String) {
        var text = text
        guard let fields = text.withUTF8({ Self.sqliteFields($0) }) else { return nil }
        (year, month, day, hour, minute, second, millisecond) = fields
    }

    private static func sqliteFields(_ b: UnsafeBufferPointer<UInt8>) -> (Int, Int, Int, Int, Int, Int, Int)? {
        guard b.count == 23, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: " "),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[19] == UInt8(ascii: ".") else { return nil }
        func number(_ at: Int, _ width: Int) -> Int? { decimal(b, at: at, width: width) }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
              let minute = number(14, 2), let second = number(17, 2), let millisecond = number(20, 3),
              (1583...9999).contains(year), (1...12).contains(month), hour < 24, minute < 60, second < 60 else { return nil }
        guard (1...days(inMonth: month, of: year)).contains(day) else { return nil }
        return (year, month, day, hour, minute, second, millisecond)
    }

    /// The number written in `width` ASCII digits from `at`; nil past the end or at any other byte.
    static func decimal<Bytes: RandomAccessCollection<UInt8>>(_ b: Bytes, at: Int, width: Int) -> Int? where Bytes.Index == Int {
        guard at >= b.startIndex, at + width <= b.endIndex else { return nil }
        var v = 0
        for i in at..<at + width {
            let d = Int(b[i]) - 48
            guard d >= 0, d <= 9 else { return nil }
            v = v * 10 + d
        }
        return v
    }

    static let daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

    /// Days from 1970-01-01 to a day of the proleptic Gregorian calendar (Howard Hinnant's
    /// days-from-civil algorithm). A day past its month's end counts on into the next month.
    public static func daysSince1970(year: Int, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Int64(era * 146_097 + doe - 719_468)
    }

    /// Milliseconds since 1970.
    public var millisecondsSince1970: Int64 {
        let days = Self.daysSince1970(year: year, month: month, day: day)
        return ((days * 24 + Int64(hour)) * 60 + Int64(minute)) * 60_000 + Int64(second) * 1000 + Int64(millisecond)
    }

    /// The day at 0..<10, then what `rest` writes after it.
    private func text(_ length: Int, _ rest: (UnsafeMutableBufferPointer<UInt8>) -> Void) -> String {
        String(unsafeUninitializedCapacity: length) { b in
            Self.digits(year, 4, into: b, at: 0); b[4] = UInt8(ascii: "-")
            Self.digits(month, 2, into: b, at: 5); b[7] = UInt8(ascii: "-")
            Self.digits(day, 2, into: b, at: 8)
            rest(b)
            return length
        }
    }

    /// `HH:mm:ss` at 11..<19.
    private func clock(into b: UnsafeMutableBufferPointer<UInt8>) {
        Self.digits(hour, 2, into: b, at: 11); b[13] = UInt8(ascii: ":")
        Self.digits(minute, 2, into: b, at: 14); b[16] = UInt8(ascii: ":")
        Self.digits(second, 2, into: b, at: 17)
    }

    private static func digits(_ value: Int, _ width: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        var v = value
        for i in stride(from: offset + width - 1, through: offset, by: -1) {
            buffer[i] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
        }
    }
}
