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

    /// `yyyy-MM-dd` (label dates).
    public var dayText: String { text(10) { _ in } }

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
