import Foundation
import GRDB
import Logging
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// How much WAL the writer lets grow before emptying it, by the room left on the disk.
///
/// SQLite copies the WAL into the database (a checkpoint) only once it holds 64 MiB
/// (`wal_autocheckpoint`, chosen for throughput), and reuses the WAL's space only after that. On
/// a disk with less room the WAL itself filled it, and every write failed from then on, however
/// much space an operator freed: the freed space went to the WAL's growth again within a second,
/// and a checkpoint then had no room to grow the database into (reproduced on a 40 MiB tmpfs:
/// 33 MiB of WAL for 500 returns beside a 4 KiB database, 503 for good).
///
/// So once the store's file system has less than 128 MiB free (looked at once a second), or a
/// write fails for a full disk, the writer empties the WAL whenever it holds more than 4 MiB:
/// a TRUNCATE checkpoint, which copies the WAL into the database and gives its space back.
/// With 256 MiB free again, the 64 MiB budget is back. SQLite's own checkpoint is PASSIVE and
/// under load a reader always held a snapshot, so its WAL never started over: TRUNCATE waits for
/// readers, for at most 250 ms.
final class SQLiteWALBudget: Sendable {
    /// Bytes free to this process on the file system holding `path`, nil if unknown.
    typealias FreeSpace = @Sendable (_ path: String) -> Int64?

    static let diskFreeSpace: FreeSpace = { path in
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    static let lowSpace: Int64 = 128 << 20
    static let enoughSpace: Int64 = 256 << 20
    static let smallWAL = 4 << 20

    private struct State {
        var low = false
        var lastLook: ContinuousClock.Instant?
        /// No checkpoint before then: one failed.
        var nextCheckpoint: ContinuousClock.Instant?
    }

    private let walPath: String
    private let folder: String
    private let freeSpace: FreeSpace
    private let busyTimeoutMilliseconds: Int32
    private let logger: Logger
    private let state = Mutex(State())

    init(databasePath: String, freeSpace: @escaping FreeSpace, busyTimeout: TimeInterval, logger: Logger) {
        walPath = databasePath + "-wal"
        folder = Self.folder(of: databasePath)
        self.freeSpace = freeSpace
        busyTimeoutMilliseconds = Int32(busyTimeout * 1000)
        self.logger = logger
    }

    /// A write failed: a full disk keeps the WAL small from now on, whatever `statvfs` said.
    func noteFailure(_ error: any Error) {
        guard (error as? DatabaseError)?.resultCode == .SQLITE_FULL else { return }
        let entered = state.withLock { s -> Bool in
            defer { s.low = true }
            return !s.low
        }
        if entered { lowSpaceEntered(free: nil) }
    }

    /// On the writer's thread, after each batch (no transaction open). `committed`: the batch
    /// wrote something (the first write to find space again empties the WAL at once).
    func afterBatch(_ db: Database, committed: Bool) {
        let now = ContinuousClock.now
        let look = state.withLock { s -> Bool in
            if let last = s.lastLook, now - last < .seconds(1) { return false }
            s.lastLook = now
            return true
        }
        if look, let free = freeSpace(folder) {
            let change = state.withLock { s -> Bool? in
                if !s.low && free < Self.lowSpace { s.low = true; return true }
                if s.low && free >= Self.enoughSpace { s.low = false; return false }
                return nil
            }
            switch change {
            case true?: lowSpaceEntered(free: free)
            case false?: logger.notice("store.space_regained", metadata: ["free_mib": "\(free >> 20)", "detail": "the WAL may hold 64 MiB again"])
            case nil: break
            }
        }
        let due = state.withLock { s -> Bool in
            guard s.low else { return false }
            if let next = s.nextCheckpoint, now < next { return false }
            return true
        }
        guard due, Self.fileSize(walPath) > Self.smallWAL else { return }
        do {
            // Checkpoints sync the WAL before and the database after, as SQLite's automatic one
            // does: what leaves the WAL is durable.
            try db.withBusyTimeout(milliseconds: 250, restore: busyTimeoutMilliseconds) { _ = try db.checkpoint(.truncate) }
            state.withLock { $0.nextCheckpoint = nil }
        } catch {
            // No room to grow the database: tried again 100 ms after, when a commit shows
            // space again (freed space goes to the WAL within a second otherwise); once a second
            // while writes fail. A reader that held on past 250 ms (a backup, `returnctl db
            // check`): once a second, so that the writer waits a quarter of the time at most.
            let full = (error as? DatabaseError)?.resultCode == .SQLITE_FULL
            let wait: Duration = full && committed ? .milliseconds(100) : .seconds(1)
            state.withLock { $0.nextCheckpoint = now + wait }
        }
    }

    private func lowSpaceEntered(free: Int64?) {
        logger.warning("store.low_space", metadata: [
            "free_mib": free.map { "\($0 >> 20)" } ?? "none (a write found the disk full)", "folder": "\(folder)",
            "detail": "the WAL is kept under 4 MiB (64 MiB otherwise) until 256 MiB are free; free space on this file system",
        ])
    }

    /// The folder a store's file is in ("." for a bare file name).
    static func folder(of path: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }
}
