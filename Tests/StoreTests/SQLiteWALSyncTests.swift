import Foundation
import Logging
import LogCapture
@testable import Store
import Synchronization
import Testing

/// The writer commits without an fsync; SQLiteWALSync syncs the WAL on its own thread and only
/// then answers the writes (SQLiteWALSync.swift). The disk here is the real file system; the
/// `Disk` below passes each sync through to `fdatasync`, and can hold it back or fail it, as a
/// slow or broken disk would.
@Suite("SQLite: writes answered after the WAL is synced", .timeLimit(.minutes(1)))
struct SQLiteWALSyncTests {
    /// Records which files are synced; `hold()` makes the next sync of the WAL wait until
    /// `release()`, `fail(with:)` makes syncs fail with that errno instead of syncing.
    final class Disk: Sendable {
        private struct State {
            var synced: [String] = []
            var held = false
            var failure: Int32 = 0
        }

        private let state = Mutex(State())
        private let gate = DispatchSemaphore(value: 0)

        var synced: [String] { state.withLock { $0.synced } }
        func hold() { state.withLock { $0.held = true } }
        func fail(with code: Int32) { state.withLock { $0.failure = code } }

        func release() {
            let waiting = state.withLock { s in
                defer { s.held = false }
                return s.held
            }
            if waiting { gate.signal() }
        }

        func sync(_ descriptor: Int32) -> Int32 {
            let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)")) ?? "?"
            let (held, failure) = state.withLock { s in
                s.synced.append(path)
                return (s.held, s.failure)
            }
            if held && path.hasSuffix("-wal") {
                // Syncs run one at a time, on one queue: this one, and so every later one, waits.
                gate.wait()
            }
            if failure != 0 { return failure }
            return SQLiteWALSync.fdatasync(descriptor)
        }
    }

    final class Flag: Sendable {
        private let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }

    struct Harness {
        let backend: SQLiteBackend
        let store: SQLReturnStore
        let disk: Disk
        let log: CapturedLog
        let path: String
        var wal: String { path + "-wal" }

        func insert(_ key: String) async throws {
            try await backend.write { db in try db.execute("INSERT INTO serial_counters (key, next_serial, last_serial) VALUES (?, 0, 0)", [key]) }
        }

        func visible(_ key: String) async throws -> Bool {
            try await backend.read { db in try db.exists("SELECT 1 FROM serial_counters WHERE key = ?", [key]) }
        }

        func walSyncs() -> Int { disk.synced.filter { $0 == wal }.count }

        /// Starts a write whose sync the disk holds; returns once that sync has begun, so the
        /// write is committed and waiting for the disk.
        func insertHeld(_ key: String, then answered: Flag? = nil) async throws -> Task<Void, any Error> {
            let before = walSyncs()
            disk.hold()
            let write = Task {
                try await insert(key)
                answered?.set()
            }
            try await SQLiteWALSyncTests.eventually { walSyncs() == before + 1 }
            return write
        }
    }

    static func withHarness(_ body: (Harness) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-walsync-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("returnd.sqlite").path
        let disk = Disk()
        let log = CapturedLog()
        let backend = try SQLiteBackend(path: path, busyTimeout: 10, walSync: { disk.sync($0) }, logger: log.logger(label: "returnd.store"))
        let store = SQLReturnStore(backend: backend)
        try await store.migrate()
        // The path as the kernel names it (the temporary folder may be a symlink).
        let real = (directory.resolvingSymlinksInPath().path as NSString).appendingPathComponent("returnd.sqlite")
        let harness = Harness(backend: backend, store: store, disk: disk, log: log, path: real)
        do { try await body(harness) } catch {
            disk.release()
            try? await store.close()
            throw error
        }
        try? await store.close()
    }

    /// Polls until `condition` holds (the suite's time limit bounds it).
    static func eventually(_ condition: () async throws -> Bool) async throws {
        while try await !condition() { try await Task.sleep(for: .milliseconds(1)) }
    }

    @Test("a write is answered only after an fdatasync of the WAL that began after its commit: committed and visible, it still waits for the disk")
    func answeredAfterSync() async throws {
        try await Self.withHarness { h in
            let answered = Flag()
            let write = try await h.insertHeld("a", then: answered)
            // Committed: a reader sees the row. Not yet durable: the writer has no answer.
            #expect(try await h.visible("a"))
            try await Task.sleep(for: .milliseconds(200))
            #expect(!answered.isSet)
            h.disk.release()
            try await write.value
            #expect(answered.isSet)
        }
    }

    @Test("migrating syncs the database's folder and the WAL before it returns; then each write syncs only the WAL")
    func syncsTheWAL() async throws {
        try await Self.withHarness { h in
            let folder = (h.path as NSString).deletingLastPathComponent
            #expect(h.disk.synced == [folder, h.wal])
            for i in 0..<3 { try await h.insert("k\(i)") }
            #expect(h.disk.synced == [folder, h.wal, h.wal, h.wal, h.wal])
        }
    }

    @Test("writes committed one after another while a sync runs share the next sync instead of one each")
    func syncsAreShared() async throws {
        try await Self.withHarness { h in
            let before = h.walSyncs()
            let first = try await h.insertHeld("first")
            // Twenty writes, each its own batch and commit (each one waits until the last is
            // visible), all while the first sync is held.
            var writes: [Task<Void, any Error>] = []
            for i in 0..<20 {
                writes.append(Task { try await h.insert("w\(i)") })
                try await Self.eventually { try await h.visible("w\(i)") }
            }
            h.disk.release()
            try await first.value
            for write in writes { try await write.value }
            // The held sync, then one for the twenty (two if the last commit had not yet been
            // handed over when the held sync returned).
            #expect(h.walSyncs() - before <= 3, "\(h.walSyncs() - before) syncs of the WAL")
        }
    }

    @Test("a failed sync refuses the writes it covered and every later write as unavailable, is logged once as critical for the operator, and the store is no longer ready; reads go on")
    func failedSyncRefusesWrites() async throws {
        try await Self.withHarness { h in
            try await h.insert("before")
            h.disk.fail(with: EIO)
            var first: StoreError?
            do { try await h.insert("covered") } catch let error as StoreError { first = error }
            guard case .unavailable(let why) = try #require(first) else { Issue.record("not unavailable: \(String(describing: first))"); return }
            #expect(why.contains("fdatasync") && why.contains(String(cString: strerror(EIO))) && why.contains("restart"), "\(why)")
            let syncs = h.walSyncs()
            // A later write is refused before it runs: nothing written, no sync tried.
            await #expect(throws: StoreError.self) { try await h.insert("later") }
            #expect(try await !h.visible("later"))
            #expect(h.walSyncs() == syncs)
            await #expect(throws: StoreError.self) { try await h.store.ping() }
            #expect(try await h.visible("before"))
            let logged = h.log.lines("store.wal_sync_failed")
            #expect(logged.count == 1)
            #expect(logged.first?.level == .critical)
            #expect(logged.first?.metadata["path"] == h.wal)
            #expect(logged.first?.metadata["action"]?.contains("check the disk") == true)
        }
    }

    @Test("after a failed sync, closing leaves the WAL for the restart's recovery instead of folding it into the database file")
    func failedSyncKeepsWAL() async throws {
        try await Self.withHarness { h in
            try await h.insert("before")
            #expect(try await h.visible("before"))
            h.disk.fail(with: EIO)
            await #expect(throws: StoreError.self) { try await h.insert("covered") }
            try await h.store.close()
            #expect(FileManager.default.fileExists(atPath: h.wal))
        }
    }

    @Test("closing the store waits for the writes whose sync is still running, and answers them")
    func closeDrainsSyncs() async throws {
        try await Self.withHarness { h in
            let write = try await h.insertHeld("last")
            let closed = Flag()
            let close = Task {
                try await h.store.close()
                closed.set()
            }
            try await Task.sleep(for: .milliseconds(200))
            #expect(!closed.isSet)
            h.disk.release()
            try await write.value
            try await close.value
            #expect(closed.isSet)
        }
    }

    @Test("closing the store folds the WAL into the database file and leaves no -wal or -shm beside it; the file alone holds every write")
    func closeFoldsWAL() async throws {
        try await Self.withHarness { h in
            for i in 0..<50 { try await h.insert("k\(i)") }
            // A read opens a reader connection, which GRDB closes after the writer.
            #expect(try await h.visible("k49"))
            #expect(FileManager.default.fileExists(atPath: h.wal))
            try await h.store.close()
            #expect(!FileManager.default.fileExists(atPath: h.wal))
            #expect(!FileManager.default.fileExists(atPath: h.path + "-shm"))
            let reopened = try SQLReturnStore.sqlite(path: h.path)
            let count = try await reopened.backend.read { db in try db.int("SELECT count(*) FROM serial_counters WHERE key LIKE 'k%'") }
            try await reopened.close()
            #expect(count == 50)
        }
    }

    @Test("closing one store while another connection has the file open leaves the WAL to that connection, which goes on reading and writing")
    func closeLeavesSharedWAL() async throws {
        try await Self.withHarness { h in
            let other = try SQLReturnStore.sqlite(path: h.path)
            try await h.insert("before")
            try await h.store.close()
            #expect(FileManager.default.fileExists(atPath: h.wal))
            #expect(try await other.backend.read { db in try db.exists("SELECT 1 FROM serial_counters WHERE key = 'before'", []) })
            try await other.backend.write { db in try db.execute("INSERT INTO serial_counters (key, next_serial, last_serial) VALUES ('after', 0, 0)") }
            try await other.close()
            #expect(!FileManager.default.fileExists(atPath: h.wal))
        }
    }
}
