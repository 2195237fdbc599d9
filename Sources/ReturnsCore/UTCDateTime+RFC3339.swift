import Foundation

/// Why a text is not an RFC 3339 date-time, in words for the client that sent it.
public struct DateTimeRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
}

extension UTCDateTime {
    /// Reads a request's date-time (`received_at`, `scanned_at`) as RFC 3339 says, and no other:
    /// `yyyy-MM-ddTHH:mm:ss`, an optional fraction of 1 to 9 digits, then `Z` or an offset
    /// (`±HH:MM`, or `±HHMM` and `±HH`, which clients wrote and returnd took before).
    ///
    /// Foundation's ISO 8601 parser, used until 2026-12-05, rolled impossible fields over
    /// (2026-02-30 read as 2 March, 25:00 as the next day's 01:00, `+02:99`) and took text after the
    /// zone (`…ZZ`) and one-digit fields: a scanner's garbled clock or a marketplace's bad date moved
    /// a return window or a receipt silently. Now each is refused, saying which field is wrong.
    /// A second of 60 (a leap second, which RFC 3339 allows) is read as the next minute's start,
    /// as POSIX time does.
    public static func date(rfc3339 text: String) throws(DateTimeRefusal) -> Date {
        let b = Array(text.utf8)
        func shape() -> DateTimeRefusal {
            DateTimeRefusal(description: "not the shape yyyy-MM-ddTHH:mm:ss[.fraction](Z|±HH:MM)")
        }
        func number(_ at: Int, _ width: Int) -> Int? { decimal(b, at: at, width: width) }
        func isByte(_ at: Int, _ ascii: Unicode.Scalar) -> Bool { at < b.count && b[at] == UInt8(ascii: ascii) }
        guard b.count >= 20, isByte(4, "-"), isByte(7, "-"), isByte(10, "T") || isByte(10, "t"), isByte(13, ":"), isByte(16, ":"),
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2) else { throw shape() }
        var i = 19
        var nanoseconds = 0
        if isByte(i, ".") {
            i += 1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            let digits = i - start
            guard digits > 0 else { throw shape() }
            guard digits <= 9 else { throw DateTimeRefusal(description: "more than 9 digits after the seconds' point") }
            nanoseconds = number(start, digits)! * [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000][9 - digits]
        }
        var offsetSeconds = 0
        if i + 1 == b.count, isByte(i, "Z") || isByte(i, "z") {
            offsetSeconds = 0
        } else if isByte(i, "+") || isByte(i, "-") {
            let sign = isByte(i, "-") ? -1 : 1
            let rest = b.count - i - 1
            let offset: (Int, Int)? = switch rest {
            case 5 where isByte(i + 3, ":"): number(i + 1, 2).flatMap { h in number(i + 4, 2).map { (h, $0) } }
            case 4: number(i + 1, 2).flatMap { h in number(i + 3, 2).map { (h, $0) } }
            case 2: number(i + 1, 2).map { ($0, 0) }
            default: nil
            }
            guard let (offsetHour, offsetMinute) = offset else { throw shape() }
            guard offsetHour <= 23, offsetMinute <= 59 else {
                throw DateTimeRefusal(description: "the offset from UTC must be at most 23 hours and 59 minutes")
            }
            offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
        } else {
            throw shape()
        }
        guard (1...12).contains(month) else { throw DateTimeRefusal(description: "month \(month) does not exist") }
        let days = Self.days(inMonth: month, of: year)
        guard (1...days).contains(day) else {
            throw DateTimeRefusal(description: "\(Self.monthNames[month - 1]) \(year) has \(days) days")
        }
        guard hour <= 23 else { throw DateTimeRefusal(description: "hour \(hour) is past 23") }
        guard minute <= 59 else { throw DateTimeRefusal(description: "minute \(minute) is past 59") }
        guard second <= 60 else { throw DateTimeRefusal(description: "second \(second) is past 59") }
        let whole = daysSince1970(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        let seconds = Double(whole) + Double(nanoseconds) / 1e9
        // Year 9999's last minutes behind UTC, or its last second leaping, are year 10000 in UTC,
        // which no four-digit date writes: returnd could not write such a date back as it reads
        // dates (found by FuzzRequestDates: `9999-12-31T23:59:60z`). Nor the last microseconds of
        // 9999, which a Date (a Double, 30 µs apart there) rounds up into 10000. Year 0000 ahead
        // of UTC alike.
        guard seconds < Self.endOfYear9999 else { throw DateTimeRefusal(description: "the instant is past the end of year 9999 in UTC, or too close to it") }
        guard seconds >= Self.startOfYear0 else { throw DateTimeRefusal(description: "the instant is before year 0000 in UTC") }
        return Date(timeIntervalSince1970: seconds)
    }

    private static let endOfYear9999 = Double(daysSince1970(year: 10_000, month: 1, day: 1) * 86_400)
    private static let startOfYear0 = Double(daysSince1970(year: 0, month: 1, day: 1) * 86_400)

    static func days(inMonth month: Int, of year: Int) -> Int {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        return month == 2 && leap ? 29 : daysInMonth[month - 1]
    }

    private static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
}
