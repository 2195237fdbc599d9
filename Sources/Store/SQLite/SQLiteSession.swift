import CSQLite
import Foundation
import GRDB
import GRDBSQLite

/// The store's SQL session on a GRDB connection. Every query goes through SQLite's
/// prepared-statement cache: compiling a statement (and GRDB's authorizer pass over it) costs
/// more than running it.
///
/// GRDB compiles and caches the statements; this file binds, steps and reads them with SQLite's
/// own calls (the one place the store touches SQLite's C API). GRDB's argument and row types
/// copied every value twice and looked columns up in dictionaries: in the single writer that
/// was a fifth of a warehouse receipt's time.
struct SQLiteSession: SQLSession {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    func execute(_ sql: String, _ arguments: [any SQLBindable]) throws -> Int {
        try run(db.cachedStatement(sql: sql), sql, arguments) { _ in }
        return db.changesCount
    }

    func rows(_ sql: String, _ arguments: [any SQLBindable]) throws -> [SQLRow] {
        // GRDB keeps each cached statement's column names: one array shared by every row.
        let statement = try db.cachedStatement(sql: sql)
        let columns = statement.columnNames
        var rows: [SQLRow] = []
        try run(statement, sql, arguments) { row in
            let count = sqlite3_column_count(row)
            var values: [SQLValue] = []
            values.reserveCapacity(Int(count))
            for i in 0..<count { values.append(Self.value(row, i)) }
            rows.append(SQLRow(columns: columns, values: values))
        }
        return rows
    }

    /// One value, without building rows (the poller's quiet path reads one status).
    func string(_ sql: String, _ arguments: [any SQLBindable]) throws -> String? {
        var found: String??
        try run(db.cachedStatement(sql: sql), sql, arguments) { row in
            if found == nil { found = .some(String.decode(Self.value(row, 0))) }
        }
        return found ?? nil
    }

    /// Binds `arguments` to a cached statement, steps it to the end with `row` called
    /// on each result row, and resets it, also when a step fails (a statement left mid-way
    /// would hold its read snapshot). `sql`: the caller's text, for errors only (GRDB's
    /// `Statement.sql` trims a fresh copy of the text on every call: it was a quarter of the
    /// writer's time per receipt when read on each run).
    private func run(_ cached: Statement, _ sql: String, _ arguments: [any SQLBindable], row: (OpaquePointer) throws -> Void) throws {
        let statement = cached.sqliteStatement
        guard let connection = db.sqliteConnection else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "connection closed", sql: sql) }
        // Sessions live inside GRDB's transactions. Some errors (a full disk, an I/O error) make
        // SQLite roll the whole transaction back; a statement run after that would commit on
        // its own. GRDB refuses it the same way (`checkForAbortedTransaction`).
        guard sqlite3_get_autocommit(connection) == 0 else { throw DatabaseError(resultCode: .SQLITE_ABORT, message: "Transaction was aborted", sql: sql) }
        sqlite3_reset(statement)
        defer { sqlite3_reset(statement) }
        guard sqlite3_bind_parameter_count(statement) == CInt(arguments.count) else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "\(arguments.count) arguments for \(sqlite3_bind_parameter_count(statement)) parameters", sql: sql)
        }
        for (i, argument) in arguments.enumerated() {
            let code = Self.bind(argument.sqlValue, to: statement, at: CInt(i + 1))
            guard code == SQLITE_OK else { throw Self.error(code, connection, sql) }
        }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw Self.error(code, connection, sql) }
            try row(statement)
        }
    }

    private static func bind(_ value: SQLValue, to statement: OpaquePointer, at index: CInt) -> CInt {
        switch value {
        case .null: sqlite3_bind_null(statement, index)
        case .int(let i): sqlite3_bind_int64(statement, index, i)
        case .text(let s): bindText(s, statement, index)
        case .date(let d): bindText(d.sqliteText, statement, index)
        }
    }

    private static func bindText(_ text: String, _ statement: OpaquePointer, _ index: CInt) -> CInt {
        var text = text
        // SQLITE_TRANSIENT: SQLite copies the bytes before the call returns.
        return text.withUTF8 { bytes in
            // An empty string may have no storage: bound as zero bytes of a static empty C string.
            guard let base = bytes.baseAddress else { return sqlite3_bind_text(statement, index, "", 0, transient) }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { sqlite3_bind_text(statement, index, $0, CInt(bytes.count), transient) }
        }
    }

    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    /// Column `i` of the current row, as the store's value type.
    private static func value(_ statement: OpaquePointer, _ i: CInt) -> SQLValue {
        switch sqlite3_column_type(statement, i) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .int(sqlite3_column_int64(statement, i))
        case SQLITE_FLOAT: return .text(String(sqlite3_column_double(statement, i)))
        default:
            // Text and blobs alike: the store keeps no binary columns. The text first, then its
            // length, in the order SQLite documents (the length is of the converted value).
            guard let bytes = sqlite3_column_text(statement, i) else { return .text("") }
            let count = Int(sqlite3_column_bytes(statement, i))
            return .text(String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
        }
    }

    /// Turns off SQLite's memory statistics for the process: with them on, every `sqlite3_malloc`
    /// and free takes a global mutex to count bytes, which returnd never reads (2.5 % of the
    /// writer's profile in locks alone; receipts through the route 141 → 128 µs of CPU each).
    /// It only takes effect before SQLite is first used in the process (SQLITE_MISUSE after,
    /// harmless), and SQLite asks that no other thread use it meanwhile: `SQLiteBackend` calls it
    /// once, before opening its file.
    static let memoryStatisticsOff: Bool = returnd_sqlite3_disable_memstatus() == SQLITE_OK

    /// SQLite's code and message, as GRDB reports them, so `SQLiteBackend` maps them the same way.
    private static func error(_ code: CInt, _ connection: OpaquePointer, _ sql: String) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)), sql: sql)
    }
}

extension SQLiteSession {
    /// SQLite's own words for a result code ("database or disk is full").
    static func words(for code: ResultCode) -> String { String(cString: sqlite3_errstr(code.rawValue)) }
}

extension Database {
    /// Runs `body` with this connection waiting at most `milliseconds` for a lock, then sets
    /// `restore` again (GRDB's busy timeout is the connection's, fixed at open).
    func withBusyTimeout<T>(milliseconds: Int32, restore: Int32, _ body: () throws -> T) rethrows -> T {
        guard let connection = sqliteConnection else { return try body() }
        sqlite3_busy_timeout(connection, milliseconds)
        defer { sqlite3_busy_timeout(connection, restore) }
        return try body()
    }
}
