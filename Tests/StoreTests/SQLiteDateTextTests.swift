import Foundation
import GRDB
import Testing

@testable import Store

/// SQLite keeps dates as text and compares them as text, so the hand-written form must be
/// exactly GRDB's, or a date written now would sort wrongly against one written before.
@Suite struct SQLiteDateTextTests {
    func grdbText(_ date: Date) -> String? {
        if case .string(let text) = date.databaseValue.storage { return text }
        return nil
    }

    @Test func matchesGRDBForRandomDatesAcrossTheRange() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let date = Date(timeIntervalSince1970: Double.random(in: 0..<253_402_300_799, using: &generator))
            #expect(date.sqliteText == grdbText(date), "\(date.timeIntervalSince1970)")
        }
    }

    @Test func matchesGRDBAtBoundaries() {
        let seconds: [Double] = [
            0, 0.0005, 0.999, 0.9999, 59.9999, 86_399.999, 86_400, 951_782_400, 951_868_799.999 /* 2000-02-29 */,
            4_107_542_399.9996 /* 2100-02-28 */, 1_795_996_800.123, 253_402_300_799.999, -1, -0.0005, 253_402_300_800,
        ]
        for s in seconds {
            let date = Date(timeIntervalSince1970: s)
            #expect(date.sqliteText == grdbText(date), "\(s)")
        }
    }

    @Test func readsLikeGRDBForRandomDatesAcrossTheRange() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let text = Date(timeIntervalSince1970: Double.random(in: -12_212_553_600..<253_402_300_799, using: &generator)).sqliteText
            let ours = try #require(Date(sqliteText: text), "\(text)"), grdb = try #require(Date.fromDatabaseValue(text.databaseValue))
            // GRDB goes through Calendar, and a Date counts from 2001 in a Double: the two can
            // differ in the last bits (microseconds in year 9999), never by a tenth of the
            // millisecond the text holds. Both print back the same text.
            #expect(abs(ours.timeIntervalSince(grdb)) < 0.000_1, "\(text): \(ours.timeIntervalSince1970) vs \(grdb.timeIntervalSince1970)")
            #expect(ours.sqliteText == text && grdb.sqliteText == text)
        }
    }

    @Test func leavesOtherFormsAndImpossibleFieldsToGRDB() {
        for text in [
            "2026-12-01 10:00:00", "2026-12-01T10:00:00.000", "2026-12-01 10:00:00.000Z", "2026-02-29 10:00:00.000", "2026-13-01 10:00:00.000",
            "2026-00-10 10:00:00.000", "2026-04-31 10:00:00.000", "2026-12-01 24:00:00.000", "2026-12-01 10:60:00.000", "2026-12-01 10:00:60.000",
            "1500-01-01 00:00:00.000", "2026-12-0a 10:00:00.000", "+026-12-01 10:00:00.000", "",
        ] {
            #expect(Date(sqliteText: text) == nil, "\(text)")
        }
        #expect(Date(sqliteText: "2024-02-29 23:59:59.999") == Date(timeIntervalSince1970: 1_709_251_199.999))
        #expect(Date(sqliteText: "1970-01-01 00:00:00.000") == Date(timeIntervalSince1970: 0))
        #expect(Date(sqliteText: "1969-12-31 23:59:59.999") == Date(timeIntervalSince1970: -0.001))
        // What the store reads: the hand-read form and GRDB's other forms alike.
        #expect(Date.decode(.text("2026-12-01 10:00:00")) == Date(timeIntervalSince1970: 1_796_119_200))
        #expect(Date.decode(.text("2026-12-01 10:00:00.250")) == Date(timeIntervalSince1970: 1_796_119_200.25))
    }

    @Test func readsBackAtTheNearestMillisecond() {
        let date = Date(timeIntervalSince1970: 1_795_996_800.123_9)
        let back = Date.fromDatabaseValue(date.sqliteText.databaseValue)
        #expect(back.map { ($0.timeIntervalSince1970 * 1000).rounded() } == 1_795_996_800_124)
    }
}
