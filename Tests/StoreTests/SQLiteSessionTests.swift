import Foundation
import GRDB
import Store
import Testing

/// The SQLite session binds and reads values with SQLite's C API (SQLiteSession.swift).
@Suite("SQLite session: binding and reading")
struct SQLiteSessionTests {
    @Test("values cross the session unchanged: empty text is text, not NULL; non-ASCII and NUL bytes; 64-bit integers; dates to the millisecond")
    func valuesRoundTrip() async throws {
        try await withStore(.sqlite) { t in
            let date = Date(timeIntervalSince1970: 1_764_600_000.123)
            let texts = ["", "é ü 漢字 🚚", "a\u{0}b", String(repeating: "x", count: 100_000)]
            for text in texts {
                let row = try #require(try await t.store.backend.read { db in try db.row("SELECT ? AS v, typeof(?) AS t, length(CAST(? AS BLOB)) AS n", [text, text, text]) })
                #expect(row["v"] as String == text)
                #expect(row["t"] as String == "text")
                #expect(row["n"] as Int == text.utf8.count)
            }
            let row = try #require(try await t.store.backend.read { db in
                try db.row("SELECT ? AS min, ? AS max, ? AS none, typeof(?) AS none_type, ? AS at, ? AS yes", [Int64.min, Int64.max, String?.none, String?.none, date, true])
            })
            #expect(row["min"] as Int64 == Int64.min)
            #expect(row["max"] as Int64 == Int64.max)
            #expect(row["none"] as String? == nil)
            #expect(row["none_type"] as String == "null")
            #expect(row["at"] as String == "2025-12-01 14:40:00.123")
            #expect(abs((row["at"] as Date).timeIntervalSince1970 - 1_764_600_000.123) < 0.000_5)
            #expect(row["yes"] as Bool)
            // Rows come back in order, each with its own values; none is an empty array.
            let rows = try await t.store.backend.read { db in try db.rows("SELECT value AS v FROM json_each(?) ORDER BY key", ["[3, 1, 2]"]) }
            #expect(rows.map { $0["v"] as Int } == [3, 1, 2])
            #expect(try await t.store.backend.read { db in try db.rows("SELECT 1 WHERE 0") }.isEmpty)
            #expect(try await t.store.backend.read { db in try db.string("SELECT 'x' WHERE 0", []) } == nil)
        }
    }

    @Test("a statement that fails carries SQLite's code and leaves its cached statement ready: the same SQL runs again at once")
    func failedStatementIsReset() async throws {
        try await withStore(.sqlite) { t in
            let insert = "INSERT INTO serial_counters (key, next_serial, last_serial) VALUES (?, 1, 9)"
            try await t.store.backend.write { db in try db.execute(insert, ["k1"]) }
            do {
                try await t.store.backend.write { db in try db.execute(insert, ["k1"]) }
                Issue.record("a duplicate key was accepted")
            } catch let error as DatabaseError {
                #expect(error.resultCode == .SQLITE_CONSTRAINT, "\(error)")
                #expect(error.message?.contains("UNIQUE") == true, "\(error)")
            }
            try await t.store.backend.write { db in try db.execute(insert, ["k2"]) }
            #expect(try await t.store.backend.read { db in try db.strings("SELECT key FROM serial_counters ORDER BY key") } == ["k1", "k2"])
        }
    }

    @Test("a statement run after SQLite rolled the transaction back under it is refused, not committed on its own")
    func statementAfterAbortedTransactionIsRefused() async throws {
        try await withStore(.sqlite) { t in
            let insert = "INSERT INTO serial_counters (key, next_serial, last_serial) VALUES (?, 1, 9)"
            do {
                try await t.store.backend.write { db in
                    try db.execute(insert, ["before"])
                    // Stands for a full disk or an I/O error that ends the transaction mid-way.
                    try db.execute("ROLLBACK")
                    do {
                        try db.execute(insert, ["after"])
                        Issue.record("a statement ran outside the transaction")
                    } catch let error as DatabaseError {
                        #expect(error.resultCode == .SQLITE_ABORT, "\(error)")
                    }
                }
                Issue.record("the write was reported committed")
            } catch let error as DatabaseError {
                #expect(error.resultCode == .SQLITE_ABORT, "\(error)")
            }
            #expect(try await t.store.backend.read { db in try db.strings("SELECT key FROM serial_counters") }.isEmpty)
        }
    }

    @Test("a statement given the wrong number of arguments is refused, not run with stale ones")
    func argumentCountIsChecked() async throws {
        try await withStore(.sqlite) { t in
            for count in [0, 2] {
                do {
                    _ = try await t.store.backend.read { db in try db.rows("SELECT ? AS v", Array(repeating: "a", count: count)) }
                    Issue.record("\(count) arguments were accepted for one parameter")
                } catch let error as DatabaseError {
                    #expect(error.message?.contains("parameters") == true, "\(error)")
                }
            }
            #expect(try await t.store.backend.read { db in try db.string("SELECT ? AS v", ["ok"]) } == "ok")
        }
    }
}
