import Foundation
import ReturnsCore
import Testing

/// Request date-times (`received_at`, `scanned_at`) are read as RFC 3339 says, and impossible
/// ones are refused rather than rolled over.
@Suite("RFC 3339 date-times")
struct RFC3339DateTimeTests {
    /// 2026-12-03T12:00:00Z.
    static let noon: Double = 1_796_299_200

    @Test("the shapes RFC 3339 allows are read to the instant they name", arguments: [
        ("2026-12-03T12:00:00Z", noon),
        ("2026-12-03t12:00:00z", noon),  // RFC 3339 5.6: T and Z may be lower case
        ("2026-12-03T14:00:00+02:00", noon),
        ("2026-12-03T07:30:00-04:30", noon),
        ("2026-12-03T12:00:00-00:00", noon),
        ("2026-12-03T14:00:00+0200", noon),  // taken before, as some clients write it
        ("2026-12-03T14:00:00+02", noon),
        ("2026-12-03T12:00:00.5Z", noon + 0.5),
        ("2026-12-03T12:00:00.123456789Z", noon + 0.123456789),
        ("2026-12-03T11:59:60Z", noon),  // a leap second: the next minute's start, as POSIX time reads it
        ("2024-02-29T00:00:00Z", 1_709_164_800),  // a leap year
        ("2000-02-29T00:00:00Z", 951_782_400),  // divisible by 400: leap
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59Z", -1),
        ("9999-12-31T23:59:59Z", 253_402_300_799),  // the last second of four-digit years
        ("9999-12-31T22:59:59-01:00", 253_402_300_799),
        ("0000-01-01T00:00:00Z", -62_167_219_200),
    ])
    func reads(text: String, seconds: Double) throws {
        let date = try UTCDateTime.date(rfc3339: text)
        #expect(abs(date.timeIntervalSince1970 - seconds) < 1e-6, "\(text): \(date.timeIntervalSince1970)")
    }

    @Test("impossible fields are refused, saying which, where Foundation rolled them over", arguments: [
        ("2026-02-29T00:00:00Z", "February 2026 has 28 days"),
        ("2026-02-30T00:00:00Z", "February 2026 has 28 days"),
        ("1900-02-29T00:00:00Z", "February 1900 has 28 days"),  // divisible by 100, not 400
        ("2026-11-31T00:00:00Z", "November 2026 has 30 days"),
        ("2026-12-00T00:00:00Z", "December 2026 has 31 days"),
        ("2026-13-01T00:00:00Z", "month 13 does not exist"),
        ("2026-00-10T00:00:00Z", "month 0 does not exist"),
        ("2026-12-03T24:00:00Z", "hour 24 is past 23"),
        ("2026-12-03T25:00:00Z", "hour 25 is past 23"),
        ("2026-12-03T23:60:00Z", "minute 60 is past 59"),
        ("2026-12-03T23:59:61Z", "second 61 is past 59"),
        ("2026-12-03T23:59:99Z", "second 99 is past 59"),
        ("2026-12-03T12:00:00+02:99", "the offset from UTC must be at most 23 hours and 59 minutes"),
        ("2026-12-03T12:00:00+25:00", "the offset from UTC must be at most 23 hours and 59 minutes"),
        ("2026-12-03T12:00:00.1234567890Z", "more than 9 digits after the seconds' point"),
        // In UTC these fall in year 10000 or year -1, which no four-digit date writes.
        ("9999-12-31T23:59:60z", "the instant is past the end of year 9999 in UTC, or too close to it"),
        ("9999-12-31T23:30:00-01:00", "the instant is past the end of year 9999 in UTC, or too close to it"),
        // 4 µs before year 10000: a Date there is a Double 30 µs apart, which rounds it into 10000.
        ("9999-12-31T23:59:59.9999960z", "the instant is past the end of year 9999 in UTC, or too close to it"),
        ("0000-01-01T00:30:00+01:00", "the instant is before year 0000 in UTC"),
    ])
    func refusesImpossibleFields(text: String, reason: String) {
        let refusal = #expect(throws: DateTimeRefusal.self) { try UTCDateTime.date(rfc3339: text) }
        #expect(refusal?.description == reason)
    }

    @Test("text of another shape is refused as such, trailing characters and one-digit fields included", arguments: [
        "2026-12-03T12:00:00ZZ", "2026-12-03T12:00:00Z ", " 2026-12-03T12:00:00Z", "2026-12-03T12:00:00",
        "2026-1-3T12:00:00Z", "2026-12-03T1:00:00Z", "02026-12-03T12:00:00Z", "+2026-12-03T12:00:00Z",
        "2026-12-03 12:00:00Z", "20261203T120000Z", "2026-12-03T12:00Z", "2026-12-03", "2026-12-03T12:00:00.Z",
        "2026-12-03T12:00:00,5Z", "2026-W49-4T12:00:00Z", "2026-12-03T12:00:00+2:00", "2026-12-03T12:00:00+02:0",
        "２０２６-12-03T12:00:00Z", "", "2026-12-03T12:00:00\u{0}Z",
    ])
    func refusesOtherShapes(text: String) {
        let refusal = #expect(throws: DateTimeRefusal.self) { try UTCDateTime.date(rfc3339: text) }
        #expect(refusal?.description == "not the shape yyyy-MM-ddTHH:mm:ss[.fraction](Z|±HH:MM)")
    }

    @Test("every second of a leap day and of the turn of a year reads as the dates the encoder writes")
    func agreesWithTheEncoder() throws {
        for start: Double in [1_709_164_800, 1_798_761_600 - 43_200] {  // 2024-02-29, and noon before 2027-01-01
            for step in stride(from: 0.0, to: 86_400, by: 997) {
                let date = Date(timeIntervalSince1970: start + step)
                #expect(try UTCDateTime.date(rfc3339: date.formatted(.iso8601)) == date)
            }
        }
    }
}
