import Dispatch
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Makes the writer's commits durable off the writer's thread. The writer commits with
/// `synchronous=NORMAL`: SQLite writes the batch's WAL frames but does not fsync them. The batch's
/// answers then wait here until an `fdatasync` of the WAL that began after their commit has
/// returned, so a 2xx still means on disk. Meanwhile the writer already runs the next batch: the
/// fsync overlaps SQLite's work instead of following it (with `synchronous=FULL` the writer sat
/// idle through every fsync: two fifths of a durable receipt's time in bare SQLite on this disk).
/// One fdatasync covers every batch committed before it began.
///
/// Readers see a commit a few milliseconds before it is durable. So anything that acts outside
/// returnd on what it read must read through a write, whose own answer waits for a sync that
/// covers what it saw (the dispute notifier claims its events that way), or await `durable()`.
///
/// Checkpoints keep their own syncs (SQLite syncs the WAL and the database around a checkpoint
/// at `NORMAL` too), so a page leaves the WAL only once it is durable in the database.
///
/// A failed fdatasync is final, as in PostgreSQL: the kernel may already have dropped the dirty
/// pages, so nothing written since the last good sync can be promised. Those writes and every
/// later one are refused as unavailable until returnd restarts (SQLite then recovers the WAL).
final class SQLiteWALSync: Sendable {
    typealias Answer = @Sendable ((any Error)?) -> Void
    /// Syncs a file descriptor's data: 0, or the `errno` of the failure.
    typealias Sync = @Sendable (Int32) -> Int32

    private struct State {
        var waiting: [Answer] = []
        var syncing = false
        var descriptor: Int32 = -1
        var failure: StoreError?
        /// After `finish()`: a late sync still runs, on a file it closes again.
        var finished = false
        /// `finish()` callers, waiting for the queue to empty.
        var idle: [CheckedContinuation<Void, Never>] = []
    }

    private let walPath: String
    private let sync: Sync
    private let logger: Logger
    private let state = Mutex(State())
    /// Blocking system calls stay off Swift's cooperative threads.
    private let queue = DispatchQueue(label: "returnd.sqlite.wal-sync")

    static let fdatasync: Sync = { Glibc.fdatasync($0) == 0 ? 0 : errno }

    init(databasePath: String, sync: @escaping Sync, logger: Logger) {
        walPath = databasePath + "-wal"
        self.sync = sync
        self.logger = logger
    }

    /// Why writes are refused, once a sync has failed.
    var failure: StoreError? { state.withLock { $0.failure } }

    /// A batch committed (not yet durable): its answers go out after the next sync.
    func committed(_ answers: [Answer]) {
        let start = state.withLock { s -> Bool in
            s.waiting.append(contentsOf: answers)
            if s.syncing { return false }
            s.syncing = true
            return true
        }
        if start { queue.async { self.run() } }
    }

    /// What the sync queue does next: sync for these answers, or stop (waking `finish()` callers).
    private enum Step {
        case sync([Answer], descriptor: Int32, failed: StoreError?)
        case stop(idle: [CheckedContinuation<Void, Never>])
    }

    private func run() {
        while true {
            let step = state.withLock { s -> Step in
                guard !s.waiting.isEmpty else {
                    s.syncing = false
                    defer { s.idle = [] }
                    return .stop(idle: s.idle)
                }
                defer { s.waiting = [] }
                return .sync(s.waiting, descriptor: s.descriptor, failed: s.failure)
            }
            switch step {
            case .stop(let idle):
                for waiter in idle { waiter.resume() }
                return
            case .sync(let answers, let descriptor, let failed):
                let error = failed ?? syncWAL(descriptor)
                for answer in answers { answer(error) }
            }
        }
    }

    /// fdatasync of the WAL. The file is opened at the first sync (a commit has made sure it
    /// exists) and its folder synced once, so that the file's name is durable too; SQLite itself
    /// would only do that at its first sync of the WAL, which at `NORMAL` waits for a checkpoint.
    private func syncWAL(_ known: Int32) -> StoreError? {
        var descriptor = known
        var keep = true
        if descriptor < 0 {
            descriptor = open(walPath, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return fail("open \(walPath)", errno) }
            // Like SQLite, a folder that cannot be opened is not an error; one that fails its sync is.
            let folder = open((walPath as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if folder >= 0 {
                defer { close(folder) }
                let code = sync(folder)
                if code != 0 { close(descriptor); return fail("fsync of the database's folder", code) }
            }
            keep = state.withLock { s in
                if !s.finished { s.descriptor = descriptor }
                return !s.finished
            }
        }
        defer { if !keep { close(descriptor) } }
        let code = sync(descriptor)
        return code == 0 ? nil : fail("fdatasync of \(walPath)", code)
    }

    private func fail(_ what: String, _ code: Int32) -> StoreError {
        let reason = String(cString: strerror(code))
        let error = StoreError.unavailable(
            "\(what) failed (\(reason)): writes since the last good sync may not be on disk; "
                + "writes are refused until returnd restarts")
        let (final, first) = state.withLock { s in
            let first = s.failure == nil
            if first { s.failure = error }
            return (s.failure ?? error, first)
        }
        if first {
            // Once: every refused write after it is logged by its caller as a 503.
            logger.critical("store.wal_sync_failed", metadata: [
                "path": "\(walPath)", "error": "\(what): \(reason)",
                "action": "check the disk (dmesg, the file system); writes are refused and the watchdog restarts returnd",
            ])
        }
        return final
    }

    /// Returns once everything committed so far is on disk: for commits made outside group
    /// commit (migrations), which nobody else answers.
    func durable() async throws {
        let outcome = await withCheckedContinuation { (done: CheckedContinuation<(any Error)?, Never>) in
            committed([{ done.resume(returning: $0) }])
        }
        if let outcome { throw outcome }
    }

    /// Waits until every committed batch has been answered (at shutdown), then closes the file.
    func finish() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let busy = state.withLock { s in
                if s.syncing { s.idle.append(done) }
                return s.syncing
            }
            if !busy { done.resume() }
        }
        state.withLock { s in
            if s.descriptor >= 0 { close(s.descriptor) }
            s.descriptor = -1
            s.finished = true
        }
    }
}
