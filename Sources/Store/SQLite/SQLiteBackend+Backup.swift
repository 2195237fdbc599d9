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
        let parent = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: parent, isDirectory: &isFolder), isFolder.boolValue else {
            // SQLite would say only "unable to open database file".
            throw StoreError.database("no folder \(parent) to write \(path) in")
        }
        let partial = path + ".partial"
        for leftover in [partial, partial + "-journal", partial + "-wal", partial + "-shm"] { try? manager.removeItem(atPath: leftover) }
        let start = ContinuousClock.now
        do {
            // SQLite's default for a new file: synchronous=FULL, rollback journal; the backup's
            // one commit syncs the file.
            let destination = try DatabaseQueue(path: partial)
            try await pool.read { source in
                try destination.writeWithoutTransaction { target in try source.backup(to: target) }
            }
            let problems = try await destination.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check").filter { $0 != "ok" } }
            try destination.close()
            guard problems.isEmpty else { throw StoreError.corrupt("the copy fails SQLite's quick_check: \(problems.prefix(3).joined(separator: "; "))") }
            try manager.moveItem(atPath: partial, toPath: path)
        } catch {
            try? manager.removeItem(atPath: partial)
            throw error
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
}
