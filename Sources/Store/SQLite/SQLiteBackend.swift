import Foundation
import GRDB
import Logging

/// The embedded default: one SQLite file in WAL mode. A write is answered only once the WAL
/// holding its commit has been synced (SQLiteWALSync), so a 2xx answer survives a power cut.
/// Writes go through group commit; reads run concurrently.
public final class SQLiteBackend: SQLBackend {
    let pool: DatabasePool
    let writer: SQLiteGroupCommit
    public let path: String

    /// `busyTimeout`: how long a write waits for a lock another process holds on the file
    /// before the call is refused as unavailable (503).
    public convenience init(path: String, busyTimeout: TimeInterval = 10, logger: Logger = Logger(label: "returnd.store")) throws {
        try self.init(path: path, busyTimeout: busyTimeout, walSync: SQLiteWALSync.fdatasync, logger: logger)
    }

    /// `walSync`: how the WAL's data is synced; tests put a failing or slow disk here.
    /// `freeSpace`: how much room the disk has left; tests put a nearly full disk here.
    init(path: String, busyTimeout: TimeInterval, walSync: @escaping SQLiteWALSync.Sync,
         freeSpace: @escaping SQLiteWALBudget.FreeSpace = SQLiteWALBudget.diskFreeSpace, logger: Logger) throws {
        _ = SQLiteSession.memoryStatisticsOff
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.prepareDatabase { db in
            if !db.configuration.readonly {
                // The writer does not fsync at commit: SQLiteWALSync does, off its thread, and
                // answers a write only after that (see there). Checkpoints still sync.
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                // Savepoints keep their undo pages in memory, not in a temporary file: each
                // write of a group commit runs in one, and those file writes were a sixth of a
                // receipt's time. Writer only: on readers it would also hold large sorts in
                // memory (idle RSS with a million parcels went from 59 to 117 MiB).
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
                // A 16 MiB page cache for the writer: a scan resolved inside the write reads the
                // parcel, its items, history and receipts, and with SQLite's default 2 MiB those
                // pages were read from the file again at every batch (+10 % receipts through the
                // route, 78 -> 70 µs of CPU each, in a four-round A/B). 64 MiB was tried before:
                // within noise then, and idle RSS with a million parcels doubled.
                try db.execute(sql: "PRAGMA cache_size = -16384")
                // Checkpoint every 64 MiB of WAL, not 4 MiB: a page written by many commits
                // is copied into the database once, and fewer commits pay for a checkpoint.
                // On a disk with under 128 MiB free the writer empties it every 4 MiB
                // (SQLiteWALBudget).
                try db.execute(sql: "PRAGMA wal_autocheckpoint = 16384")
            }
        }
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw StoreError.database("cannot open the SQLite store: \(Self.openFailure(path: path, error: error))")
        }
        writer = SQLiteGroupCommit(
            pool: pool, walSync: SQLiteWALSync(databasePath: path, sync: walSync, logger: logger),
            walBudget: SQLiteWALBudget(databasePath: path, freeSpace: freeSpace, busyTimeout: busyTimeout, logger: logger))
        self.path = path
    }

    /// Why `path` did not open, in words an operator can act on. SQLite says "unable to open
    /// database file" alike for a folder, a missing permission on the file or on its folder
    /// (the WAL and its index are made beside the file), and names no path. The commonest
    /// cause: a store made by `sudo returnctl migrate` belongs to root, and returnd runs as
    /// its own user.
    static func openFailure(path: String, error: any Error) -> String {
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        if exists && isFolder.boolValue { return "\(path) is a folder, not a SQLite file" }
        if let e = error as? DatabaseError, e.resultCode == .SQLITE_NOTADB {
            return "\(path) is not a SQLite database (or is encrypted)"
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        // A folder on the way that this user may not enter hides everything below it.
        var above = folder
        var ancestors: [String] = []
        while above.path != "/" && !above.path.isEmpty { ancestors.append(above.path); above.deleteLastPathComponent() }
        for dir in ancestors.reversed() where faccessat(AT_FDCWD, dir, X_OK, AT_EACCESS) != 0 && errno == EACCES {
            return "this process (uid \(geteuid())) cannot enter \(dir)\(owner(dir)), on the way to \(path)"
        }
        if FileManager.default.fileExists(atPath: folder.path), faccessat(AT_FDCWD, folder.path, W_OK | X_OK, AT_EACCESS) != 0 {
            return "this process (uid \(geteuid())) cannot write in \(folder.path)\(owner(folder.path)), where SQLite keeps the store's -wal and -shm files"
        }
        // A full disk: SQLite says "disk I/O error" (it cannot size the -shm file it maps), which
        // reads as failing hardware.
        if let free = SQLiteWALBudget.diskFreeSpace(folder.path), free < 1 << 20, (error as? DatabaseError)?.resultCode == .SQLITE_IOERR || (error as? DatabaseError)?.resultCode == .SQLITE_FULL {
            return "no space left in \(folder.path) (\(free) bytes free): SQLite cannot make the -wal and -shm files it keeps beside \(path); free space there (`df`, `du`, old backups) and start again"
        }
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            if faccessat(AT_FDCWD, file, R_OK | W_OK, AT_EACCESS) != 0 {
                return "this process (uid \(geteuid())) cannot read and write \(file)\(owner(file))"
            }
        }
        if let e = error as? DatabaseError { return "\(path): SQLite error \(e.extendedResultCode.rawValue): \(e.message ?? "\(e.resultCode)")" }
        return "\(path): \(error.localizedDescription)"
    }

    static func owner(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "" }
        return " (uid \(info.st_uid)'s, mode \(String(info.st_mode & 0o7777, radix: 8)))"
    }

    public var dialect: SQLDialect { .sqlite }

    public func freeBytes() -> Int? {
        SQLiteWALBudget.diskFreeSpace(SQLiteWALBudget.folder(of: path)).map { Int($0) }
    }

    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        do { return try await writer.write { db in try body(SQLiteSession(db: db)) } } catch let error as DatabaseError {
            throw Self.describe(error)
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        do { return try await pool.read { db in try body(SQLiteSession(db: db)) } } catch let error as DatabaseError {
            throw Self.describe(error)
        }
    }

    /// The file cannot take the call now: a full disk, an I/O error, a read-only remount, a
    /// file that cannot be opened, or a lock another process held past the busy timeout. The
    /// API answers these 503 (retry later) with the cause in the log, not 500 (our bug); the
    /// operator frees space or fixes the disk and returnd carries on without a restart.
    static let unavailableCodes: [ResultCode] = [.SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_BUSY, .SQLITE_LOCKED]

    /// SQLite's own words and code, never the statement's arguments (they may hold token hashes).
    static func describe(_ error: DatabaseError) -> any Error {
        guard unavailableCodes.contains(error.resultCode) else { return error }
        return StoreError.unavailable("SQLite error \(error.extendedResultCode.rawValue): \(error.message ?? "\(error.resultCode)")")
    }

    /// Ready while the store can take writes: not after a failed sync of the WAL.
    public func ping() async throws {
        if let failure = writer.walSync.failure { throw failure }
        _ = try await read { db in try db.int("SELECT 1") }
    }

    public func migrate() async throws {
        try SQLiteMigrations.migrator.migrate(pool)
        // The migrator commits on the writer's connection, at `NORMAL`, outside group commit.
        try await writer.walSync.durable()
    }

    public func migrations() async throws -> (known: [String], applied: [String]) {
        // Every applied id, those a newer returnd applied included (GRDB's `appliedMigrations`
        // lists only the ones this version registers): in this version's order, then the rest.
        let known = SQLiteMigrations.migrator.migrations
        let applied = try await pool.read { db in try SQLiteMigrations.migrator.appliedIdentifiers(db) }
        return (known, known.filter(applied.contains) + applied.subtracting(known).sorted())
    }

    public func integrityProblems() async throws -> [String] {
        try await pool.read { db in
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            let foreign = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map {
                "foreign key: \($0["table"] as String? ?? "?") row \($0["rowid"] as Int64? ?? 0) points at a missing \($0["parent"] as String? ?? "?")"
            }
            return integrity + foreign
        }
    }

    public func close() async throws {
        await writer.walSync.finish()
        try pool.close()
        // After a failed sync the WAL is left as it is: the restart's recovery checks each
        // frame's checksum, where a checkpoint would copy whatever the page cache holds. A fold
        // that fails (a full disk) leaves the WAL too, which the next open reads: the store is
        // closed either way.
        if writer.walSync.failure == nil { try? Self.foldWAL(path: path) }
    }

    /// GRDB closes a pool's writer before its readers, and a read-only connection that closes
    /// last leaves the WAL (up to 64 MiB not yet checkpointed) and the -shm beside the file: a
    /// stopped returnd, or a `returnctl db check` of a backup, left both behind. One more
    /// read-write connection, closed last, lets SQLite checkpoint the WAL into the file and
    /// delete both. While another connection has the file open (the daemon, when returnctl
    /// closes) SQLite does neither, at no cost.
    static func foldWAL(path: String) throws {
        let last = try DatabaseQueue(path: path)
        // A connection opens the WAL at its first read, and only then does its close fold it.
        _ = try last.read { db in try Int.fetchOne(db, sql: "PRAGMA schema_version") }
        try last.close()
    }
}
