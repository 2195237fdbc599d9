import Foundation
import GRDB
import ReturnsCore
#if canImport(Glibc)
import Glibc
#endif

/// What a backup wrote.
public struct StoreBackup: Sendable, Codable, Hashable {
    public var path: String
    public var bytes: Int64
    public var seconds: Double
}

extension SQLiteBackend {
    /// Copies the whole store into a new SQLite file at `path`, as it was at one moment, while
    /// returnd goes on writing: the copy is one read transaction, and in WAL mode readers do not
    /// hold writers up. (Copying the file itself while returnd runs can miss the WAL or catch a
    /// checkpoint half done.) The copy goes to `<path>.partial`, is synced and checked
    /// (`quick_check`), and only then takes its name, so a copy cut short never looks like a
    /// backup. Refuses a `path` that exists.
    public func backup(to path: String) async throws -> StoreBackup {
        let manager = FileManager.default
        guard !manager.fileExists(atPath: path) else { throw StoreError.database("\(path) exists; a backup never overwrites a file") }
        let parent = SQLiteWALBudget.folder(of: path)
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: parent, isDirectory: &isFolder), isFolder.boolValue else {
            // SQLite would say only "unable to open database file".
            throw StoreError.database("no folder \(parent) to write \(path) in")
        }
        let partial = path + ".partial"
        let leftovers = [partial, partial + "-journal", partial + "-wal", partial + "-shm"]
        for leftover in leftovers { try? manager.removeItem(atPath: leftover) }
        let start = ContinuousClock.now
        var destination: DatabaseQueue?
        do {
            // SQLite's default for a new file: synchronous=FULL, rollback journal; the backup's
            // one commit syncs the file.
            let target = try DatabaseQueue(path: partial)
            destination = target
            try await pool.read { source in
                try target.writeWithoutTransaction { target in try source.backup(to: target) }
            }
            let problems = try await target.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check").filter { $0 != "ok" } }
            try target.close()
            guard problems.isEmpty else { throw StoreError.corrupt("the copy fails SQLite's quick_check: \(problems.prefix(3).joined(separator: "; "))") }
            try manager.moveItem(atPath: partial, toPath: path)
        } catch {
            // Nothing of a copy cut short stays: a full disk left its journal beside it.
            try? destination?.close()
            for leftover in leftovers { try? manager.removeItem(atPath: leftover) }
            throw Self.backupFailure(error, folder: parent)
        }
        // The new name is durable only once its folder is synced.
        let folder = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            defer { Glibc.close(folder) }
            guard fsync(folder) == 0 else { throw StoreError.unavailable("fsync of the backup's folder failed (\(String(cString: strerror(errno))))") }
        }
        let bytes = (try manager.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        return StoreBackup(path: path, bytes: bytes, seconds: (ContinuousClock.now - start).inSeconds)
    }

    /// SQLite's backup reports its failures with the code alone ("SQLite error 13: not an
    /// error", for a full disk): the code's own words, and what to do about a full disk.
    static func backupFailure(_ error: any Error, folder: String) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        let words = error.message.flatMap { $0 == "not an error" ? nil : $0 } ?? SQLiteSession.words(for: error.extendedResultCode)
        let sentence = "SQLite error \(error.extendedResultCode.rawValue): \(words)"
        if error.resultCode == .SQLITE_FULL {
            return StoreError.database("\(sentence): no space left in \(folder) for the copy (about the store's size; `returnctl status` shows it); nothing was left there")
        }
        return StoreError.database(sentence)
    }
}
