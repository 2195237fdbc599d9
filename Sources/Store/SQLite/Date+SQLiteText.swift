import Foundation
import GRDB

extension Date {
    /// The text SQLite keeps for a date: GRDB's form, "yyyy-MM-dd HH:mm:ss.SSS" in UTC, with
    /// the milliseconds rounded. Written by hand because GRDB goes through DateFormatter (ICU),
    /// which was 7 % of a warehouse receipt's time in the writer. Dates outside
    /// years 1970–9999 take GRDB's path, so the stored text is the same either way.
    var sqliteText: String {
        let millis = (timeIntervalSince1970 * 1000).rounded()
        guard millis >= 0, millis < 253_402_300_800_000 else {
            if case .string(let text) = databaseValue.storage { return text }
            preconditionFailure("GRDB stores a date as text")
        }
        let total = Int64(millis)
        let days = total / 86_400_000
        var rest = Int(total % 86_400_000)
        let ms = rest % 1000; rest /= 1000
        let second = rest % 60; rest /= 60
        let minute = rest % 60
        let hour = rest / 60
        // Days to civil date (Howard Hinnant's algorithm), valid for the range above.
        let z = days + 719_468
        let era = z / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yoe + era * 400 + (month <= 2 ? 1 : 0))

        return String(unsafeUninitializedCapacity: 23) { buffer in
            func put(_ value: Int, _ width: Int, at offset: Int) {
                var v = value
                for i in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[i] = UInt8(ascii: "0") + UInt8(v % 10)
                    v /= 10
                }
            }
            put(year, 4, at: 0); buffer[4] = UInt8(ascii: "-")
            put(month, 2, at: 5); buffer[7] = UInt8(ascii: "-")
            put(day, 2, at: 8); buffer[10] = UInt8(ascii: " ")
            put(hour, 2, at: 11); buffer[13] = UInt8(ascii: ":")
            put(minute, 2, at: 14); buffer[16] = UInt8(ascii: ":")
            put(second, 2, at: 17); buffer[19] = UInt8(ascii: ".")
            put(ms, 3, at: 20)
            return 23
        }
    }
}
