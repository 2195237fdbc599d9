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
        let t = UTCDateTime(millisecondsSince1970: Int64(millis))!
        return String(unsafeUninitializedCapacity: 23) { buffer in
            func put(_ value: Int, _ width: Int, at offset: Int) { UTCDateTime.digits(value, width, into: buffer, at: offset) }
            put(t.year, 4, at: 0); buffer[4] = UInt8(ascii: "-")
            put(t.month, 2, at: 5); buffer[7] = UInt8(ascii: "-")
            put(t.day, 2, at: 8); buffer[10] = UInt8(ascii: " ")
            put(t.hour, 2, at: 11); buffer[13] = UInt8(ascii: ":")
            put(t.minute, 2, at: 14); buffer[16] = UInt8(ascii: ":")
            put(t.second, 2, at: 17); buffer[19] = UInt8(ascii: ".")
            put(t.millisecond, 3, at: 20)
            return 23
        }
    }
}
