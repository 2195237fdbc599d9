import GRDB
import Synchronization

/// Group commit: writes that arrive while a transaction is running wait for it and then share
/// the next one, so many writers pay for one commit and one fsync. A write that fails is rolled
/// back alone and its caller gets the error; every caller is answered only after the shared
/// commit succeeded and SQLiteWALSync has synced the WAL that holds it.
///
/// A batch first runs as plain statements. Only if one of its writes fails is the transaction
/// rolled back and the batch run again with each write in its own savepoint: savepoints for every
/// write cost about a tenth of the writer's time, and writes rarely fail.
///
/// No background task: the first writer to find nobody committing leads, committing batches
/// until the queue is empty, then steps down.
///
/// On a disk low on space the writer keeps the WAL small (`SQLiteWALBudget`).
final class SQLiteGroupCommit: Sendable {
    private struct Pending: Sendable {
        /// Runs the write: true if it wrote. `isolated`: in its own savepoint, never throws.
        /// Otherwise a failure throws `WriteFailed` and the batch is run again isolated.
        let apply: @Sendable (Database, _ isolated: Bool) throws -> Bool
        let finish: @Sendable ((any Error)?) -> Void
    }

    private struct WriteFailed: Error {}

    private struct Queue {
        var pending: [Pending] = []
        var leading = false
    }

    private let pool: DatabasePool
    let walSync: SQLiteWALSync
    private let queue = Mutex(Queue())
    private let walBudget: SQLiteWALBudget
    private let maxBatch: Int

    init(pool: DatabasePool, walSync: SQLiteWALSync, walBudget: SQLiteWALBudget, maxBatch: Int = 512) {
        self.pool = pool
        self.walSync = walSync
        self.walBudget = walBudget
        self.maxBatch = maxBatch
    }

    func write<T: Sendable>(_ operation: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if let failure = walSync.failure { throw failure }
        let promise = Promise<T>()
        let pending = Pending(
            apply: { db, isolated in
                guard isolated else {
                    do { promise.stage(.success(try operation(db))) } catch {
                        // Kept for a batch of one, which is not run again.
                        self.walBudget.noteFailure(error)
                        promise.stage(.failure(error))
                        throw WriteFailed()
                    }
                    return true
                }
                do {
                    var out: T?
                    try db.inSavepoint {
                        out = try operation(db)
                        return .commit
                    }
                    promise.stage(.success(out!))
                    return true
                } catch {
                    self.walBudget.noteFailure(error)
                    promise.stage(.failure(error))
                    return false
                }
            },
            finish: { promise.finish(commitError: $0) })
        let lead = queue.withLock { q -> Bool in
            q.pending.append(pending)
            if q.leading { return false }
            q.leading = true
            return true
        }
        if lead {
            // Batches run back to back on the writer's thread: from one commit to the next
            // batch there is no hop to the task pool and back, which left the writer idle for
            // about a fifth of the time under load. GRDB's callback form, not its async one:
            // the async one interrupts the connection when the calling task is cancelled, and
            // the leader's task is one writer's (a request's, a poller's), while the batches
            // it runs are everyone's.
            while await withCheckedContinuation({ (done: CheckedContinuation<Bool, Never>) in
                pool.asyncWriteWithoutTransaction { db in done.resume(returning: self.drain(db)) }
            }) {}
        }
        return try await promise.value
    }

    /// Commits batches until the queue is empty (false: stepped down) or `turns` batches have
    /// run (true: still leading, so anything else waiting for the writer's queue gets its turn).
    private func drain(_ db: Database, turns: Int = 32) -> Bool {
        for _ in 0..<turns {
            guard let batch = nextBatch() else { return false }
            var wrote = true
            do {
                do {
                    try db.inTransaction {
                        for p in batch { _ = try p.apply(db, false) }
                        return .commit
                    }
                } catch is WriteFailed where batch.count > 1 {
                    // GRDB rolled the whole batch back: again, each write in a savepoint.
                    try db.inTransaction {
                        wrote = try batch.map { try $0.apply(db, true) }.contains(true)
                        return .commit
                    }
                } catch is WriteFailed {
                    // A batch of one: its failure is staged and nothing was written.
                    wrote = false
                }
                // Committed, not yet durable: answered once the WAL is synced.
                walSync.committed(batch.map(\.finish))
                walBudget.afterBatch(db, committed: wrote)
            } catch {
                walBudget.noteFailure(error)
                for p in batch { p.finish(error) }
                walBudget.afterBatch(db, committed: false)
            }
        }
        return true
    }

    /// The next batch, or nil after stepping down (atomically, so no write is left waiting).
    private func nextBatch() -> [Pending]? {
        queue.withLock { q in
            guard !q.pending.isEmpty else {
                q.leading = false
                return nil
            }
            let batch = Array(q.pending.prefix(maxBatch))
            q.pending.removeFirst(batch.count)
            return batch
        }
    }
}

/// A write's outcome: staged inside the transaction, delivered once the commit is known.
private final class Promise<T: Sendable>: Sendable {
    private struct State {
        var staged: Result<T, any Error>?
        var final: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }

    private let state = Mutex(State())

    func stage(_ result: Result<T, any Error>) { state.withLock { $0.staged = result } }

    func finish(commitError: (any Error)?) {
        let waiter = state.withLock { s -> CheckedContinuation<T, any Error>? in
            s.final = commitError.map { .failure($0) } ?? s.staged ?? .failure(StoreError.corrupt("write finished without an outcome"))
            defer { s.waiter = nil }
            return s.waiter
        }
        if let waiter, let result = state.withLock({ $0.final }) { waiter.resume(with: result) }
    }

    var value: T {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let ready = state.withLock { s -> Result<T, any Error>? in
                    if let final = s.final { return final }
                    s.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }
}
