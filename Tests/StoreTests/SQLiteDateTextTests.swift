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

    @Test func readsBackAtTheNearestMillisecond() {
        let date = Date(timeIntervalSince1970: 1_795_996_800.123_9)
        let back = Date.fromDatabaseValue(date.sqliteText.databaseValue)
        #expect(back.map { ($0.timeIntervalSince1970 * 1000).rounded() } == 1_795_996_800_124)
    }
}
