import Foundation
import Store
import Synchronization
import Testing

/// SQLite's group commit runs batches back to back on the writer's own thread
/// (SQLiteGroupCommit.swift); these check that no write is lost or left waiting on the way.
@Suite("SQLite group commit: batches on the writer's thread", .timeLimit(.minutes(1)))
struct SQLiteGroupCommitTests {
    @Test("a long stream of concurrent writes, many batches under one leader, is committed in full: each answer counts its own write")
    func longStreamCommitted() async throws {
        try await withStore(.sqlite) { t in
            let backend = t.store.backend
            try await backend.write { db in try db.execute("INSERT INTO serial_counters (key, next_serial, last_serial) VALUES ('n', 0, 0)") }
            // 256 writers of 25 writes each, every write slowed by a 3,000-step query: writes
            // keep arriving while each batch runs, so the queue stays full for far more than
            // one turn of batches on the writer's thread.
            let answers = try await withThrowingTaskGroup(of: [Int].self) { group in
                for w in 0..<256 {
                    group.addTask {
                        var seen: [Int] = []
                        for i in 0..<25 {
                            seen.append(try await backend.write { db -> Int in
                                _ = try db.int("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) SELECT COUNT(*) FROM c")
                                try db.execute("UPDATE serial_counters SET next_serial = next_serial + 1 WHERE key = 'n'")
                                try db.execute("INSERT INTO serial_counters (key, next_serial, last_serial) VALUES (?, 0, 0)", ["w\(w)-\(i)"])
                                return try #require(try db.int("SELECT next_serial FROM serial_counters WHERE key = 'n'"))
                            })
                        }
                        return seen
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            // Every write saw its own increment: the values are exactly 1...6400, each once.
            #expect(answers.sorted() == Array(1...6400))
            let stored = try await backend.read { db in try db.int("SELECT COUNT(*) FROM serial_counters WHERE key <> 'n'") }
            #expect(stored == 6400)
        }
    }

    @Test("a leading writer whose task is cancelled does not take the others' writes down: every write queued behind it commits")
    func cancelledLeaderCommitsOthers() async throws {
        try await withStore(.sqlite) { t in
            let backend = t.store.backend
            // The first write on an idle store leads; its slow query keeps the others queued
            // behind it while its task is cancelled.
            let started = Mutex(false)
            let leader = Task {
                try await backend.write { db -> Int in
                    started.withLock { $0 = true }
                    return try #require(try db.int("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT COUNT(*) FROM c"))
                }
            }
            while !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
            // The 50 writes get 20 ms to queue behind the leader before its task is cancelled.
            let others = try await Self.insertKeys(50, backend) {
                try await Task.sleep(for: .milliseconds(20))
                leader.cancel()
            }
            #expect(others == 50)
            // The leader's own write ran to its end and committed: its answer says so.
            #expect(try await leader.value == 3_000_000)
            #expect(try await backend.read { db in try db.int("SELECT COUNT(*) FROM serial_counters") } == 50)
        }
    }

    @Test("writes to a closed store fail with an error; none waits for an answer that never comes")
    func closedStoreFailsWrites() async throws {
        try await withStore(.sqlite) { t in
            let backend = t.store.backend
            try await t.store.close()
            let committed = try await Self.insertKeys(40, backend)
            #expect(committed == 0)
        }
    }

    /// Inserts `count` keys at once, each in its own write, running `meanwhile` while they wait;
    /// how many of the writes were answered as committed.
    static func insertKeys(_ count: Int, _ backend: any SQLBackend, meanwhile: @Sendable () async throws -> Void = {}) async throws -> Int {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<count {
                group.addTask {
                    do {
                        try await backend.write { db in try db.execute("INSERT INTO serial_counters (key, next_serial, last_serial) VALUES (?, 0, 0)", ["k\(i)"]) }
                        return true
                    } catch {
                        return false
                    }
                }
            }
            try await meanwhile()
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
    }
}
