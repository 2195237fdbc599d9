import Foundation

/// Where the two SQL dialects differ in what the store's logic writes.
public struct SQLDialect: Sendable {
    public var name: String
    /// Appended to a read of one row that the transaction is about to change. SQLite has one
    /// writer at a time and needs nothing; PostgreSQL takes the row lock up front.
    public var lockRow: String
    /// Appended to a claim of work rows (polls, outbox): other instances skip what is claimed.
    public var skipLocked: @Sendable (_ table: String) -> String
    /// Tracking-number serials an instance reserves at a time. SQLite: 1, taken inside the
    /// parcel's own transaction (one writer, no contention, no gaps). PostgreSQL: a block, in a
    /// short transaction of its own; taking each serial inside the parcel's transaction held the
    /// counter's row lock through every commit and capped issuance near 150 a second.
    public var serialBlock: Int
    /// A subquery giving the strings of one JSON array argument (`IN (…)` over a list in one
    /// statement, instead of a statement per element).
    public var textsOfJSONArray: String
    /// The outbox claim's search (every undelivered event, grouped by dispute) runs in a read and
    /// only the leases are written, each guarded. SQLite: the search in the write held the one
    /// writer 75 to 170 ms a pass with 100,000 events undelivered (a dispute service down), every
    /// half second. PostgreSQL: in the write, so that instances skip each other's locked rows.
    public var claimsOutboxOutsideTheWrite: Bool
    /// Run first in a return's issuance with the dispute's id: no two issuances for one dispute
    /// at once. Whether an item is already in a live parcel is read before its parcel is
    /// chosen, and two instances read it at once (2026-12-07: the same item requested eight times
    /// at once through two instances went into parcels eight times). SQLite: nil, its one writer
    /// does this already. PostgreSQL: a transaction's advisory lock on the id's hash (another
    /// dispute that hashes alike waits too, harmlessly), released at commit.
    public var lockDispute: String?
    /// The bytes the store takes: SQLite's pages (the WAL aside, folded in at checkpoints), or
    /// PostgreSQL's database as `pg_database_size` counts it. Both read no rows.
    public var storeBytes: String

    public static let sqlite = SQLDialect(
        name: "sqlite", lockRow: "", skipLocked: { _ in "" }, serialBlock: 1, textsOfJSONArray: "SELECT value FROM json_each(?)",
        claimsOutboxOutsideTheWrite: true, lockDispute: nil, storeBytes: "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
    public static let postgres = SQLDialect(
        name: "postgresql", lockRow: " FOR UPDATE", skipLocked: { " FOR UPDATE OF \($0) SKIP LOCKED" }, serialBlock: 32,
        textsOfJSONArray: "SELECT json_array_elements_text(?::json)", claimsOutboxOutsideTheWrite: false,
        // The two-key form, its first key returnd's issuance ("RTRN"), apart from the migrations' lock.
        lockDispute: "SELECT pg_advisory_xact_lock(1381257806, hashtext(?))",
        storeBytes: "SELECT pg_database_size(current_database())")
}

/// One connection inside one transaction. Placeholders are `?`; the PostgreSQL session
/// numbers them. Synchronous on purpose: GRDB's transactions are synchronous closures, and
/// one synchronous body of logic serves both backends.
public protocol SQLSession {
    var dialect: SQLDialect { get }
    /// Runs a statement; returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [any SQLBindable]) throws -> Int
    func rows(_ sql: String, _ arguments: [any SQLBindable]) throws -> [SQLRow]
    /// The first column of the first row as text (a backend may read it without building rows).
    func string(_ sql: String, _ arguments: [any SQLBindable]) throws -> String?
}

extension SQLSession {
    @discardableResult
    public func execute(_ sql: String) throws -> Int { try execute(sql, []) }
    public func rows(_ sql: String) throws -> [SQLRow] { try rows(sql, []) }

    public func row(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> SQLRow? {
        try rows(sql, arguments).first
    }

    public func string(_ sql: String, _ arguments: [any SQLBindable]) throws -> String? {
        guard let row = try row(sql, arguments), let first = row.values.first else { return nil }
        return String.decode(first)
    }

    public func string(_ sql: String) throws -> String? { try string(sql, []) }

    public func strings(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> [String] {
        try rows(sql, arguments).compactMap { $0.values.first.flatMap(String.decode) }
    }

    public func int(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> Int? {
        guard let row = try row(sql, arguments), let first = row.values.first else { return nil }
        return Int.decode(first)
    }

    public func exists(_ sql: String, _ arguments: [any SQLBindable]) throws -> Bool {
        try row(sql, arguments) != nil
    }
}

/// A database the store runs on: transactions in, answers out.
public protocol SQLBackend: Sendable {
    var dialect: SQLDialect { get }
    /// Runs `body` in one write transaction; its result is returned only once committed.
    @discardableResult
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T
    /// Runs `body` on a consistent read view.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T
    /// Creates or upgrades the schema; safe when several instances start at once.
    func migrate() async throws
    /// Migrations known to this build, and which of them the database has.
    func migrations() async throws -> (known: [String], applied: [String])
    /// Backend-specific consistency checks (`returnctl db check`); empty when sound.
    func integrityProblems() async throws -> [String]
    func close() async throws
    /// Throws when the database cannot serve: unreachable, or refusing writes.
    func ping() async throws
    /// Bytes free on the file system holding the store, when it is this machine's (SQLite).
    func freeBytes() -> Int?
}

extension SQLBackend {
    public func ping() async throws {
        _ = try await read { db in try db.int("SELECT 1") }
    }

    /// A database server's disk is its own: nil.
    public func freeBytes() -> Int? { nil }
}
