import Foundation
import GRDB

/// The store's SQL session on a GRDB connection. Every query goes through SQLite's
/// prepared-statement cache: compiling a statement (and GRDB's authorizer pass over it) costs
/// more than running it.
struct SQLiteSession: SQLSession {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    func execute(_ sql: String, _ arguments: [any SQLBindable]) throws -> Int {
        try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
        return db.changesCount
    }

    func rows(_ sql: String, _ arguments: [any SQLBindable]) throws -> [SQLRow] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: Self.arguments(arguments))
        guard let first = rows.first else { return [] }
        let columns = Array(first.columnNames)
        return rows.map { row in SQLRow(columns: columns, values: row.databaseValues.map(Self.value)) }
    }

    /// One value, without the row arrays `rows` builds (the poller's quiet path reads one status).
    func string(_ sql: String, _ arguments: [any SQLBindable]) throws -> String? {
        guard let value = try DatabaseValue.fetchOne(db.cachedStatement(sql: sql), arguments: Self.arguments(arguments)) else { return nil }
        return String.decode(Self.value(value))
    }

    /// Handed to GRDB as optional existentials on purpose: its initializer for a sequence of
    /// one concrete type maps through a key path, which the runtime instantiates on every call
    /// (that was 4 % of a warehouse receipt's CPU, more than the SQL).
    static func arguments(_ values: [any SQLBindable]) -> StatementArguments {
        StatementArguments(values.map { v -> (any DatabaseValueConvertible)? in
            switch v.sqlValue {
            case .null: nil
            case .int(let i): i
            case .text(let s): s
            case .date(let d): d.sqliteText
            }
        })
    }

    static func value(_ v: DatabaseValue) -> SQLValue {
        switch v.storage {
        case .null: .null
        case .int64(let i): .int(i)
        case .double(let d): .text(String(d))
        case .string(let s): .text(s)
        case .blob(let b): .text(String(decoding: b, as: UTF8.self))
        }
    }
}
