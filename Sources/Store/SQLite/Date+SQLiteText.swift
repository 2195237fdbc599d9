import Foundation
import GRDB
import ReturnsCore

extension Date {
    /// The text SQLite keeps for a date: GRDB's form, "yyyy-MM-dd HH:mm:ss.SSS" in UTC, with
    /// the milliseconds rounded. Written by hand (`UTCDateTime`) because GRDB goes through DateFormatter (ICU),
    /// which was 7 % of a warehouse receipt's time in the writer. Dates outside
    /// years 1970–9999 take GRDB's path, so the stored text is the same either way.
    var sqliteText: String {
        let millis = (timeIntervalSince1970 * 1000).rounded()
        guard millis >= 0, millis < 253_402_300_800_000 else {
            if case .string(let text) = databaseValue.storage { return text }
            preconditionFailure("GRDB stores a date as text")
        }
        return UTCDateTime(millisecondsSince1970: Int64(millis))!.sqliteText
    }

    /// The date `sqliteText` wrote, or nil for text in another form (see `UTCDateTime`).
    init?(sqliteText text: String) {
        guard let fields = UTCDateTime(sqliteText: text) else { return nil }
        self.init(timeIntervalSince1970: Double(fields.millisecondsSince1970) / 1000)
    }
}
