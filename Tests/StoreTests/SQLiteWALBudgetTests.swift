import Foundation
import LogCapture
@testable import Store
import Synchronization
import Testing

/// On a disk low on space the writer keeps the WAL under 4 MiB (SQLiteWALBudget.swift). The
/// store is a real SQLite file; the free space the writer sees is set by the test, and the WAL
/// is "synced" at once (these tests are about its size, not its durability).
@Suite("SQLite: the WAL kept small on a disk low on space", .timeLimit(.minutes(1)))
struct SQLiteWALBudgetTests {
    /// What the writer is told the disk has free.
    final class FreeSpace: Sendable {
        private let bytes: Mutex<Int64?>
        init(_ bytes: Int64?) { self.bytes = Mutex(bytes) }
        var value: Int64? {
            get { bytes.withLock { $0 } }
            set { bytes.withLock { $0 = newValue } }
        }
    }

    struct Harness {
        let backend: SQLiteBackend
        let store: SQLReturnStore
        let log: CapturedLog
        let free: FreeSpace
        let path: String

        var walBytes: Int { SQLiteWALBudget.fileSize(path + "-wal") }

        /// `count` rows of 1 KiB, one commit each; the largest WAL seen after any of them.
        func insert(_ count: Int, prefix: String) async throws -> Int {
            var largest = 0
            for i in 0..<count {
                let key = prefix + "-\(i)-" + String(repeating: "k", count: 1024)
                try await backend.write { db in _ = try db.execute("INSERT INTO serial_counters (key, next_serial, last_serial) VALUES (?, 0, 0)", [key]) }
                largest = max(largest, walBytes)
            }
            return largest
        }

        func rows() async throws -> Int { try await backend.read { db in try db.int("SELECT count(*) FROM serial_counters") ?? -1 } }
    }

    static func withHarness(free: Int64?, _ body: (Harness) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-walbudget-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("returnd.sqlite").path
        let log = CapturedLog()
        let space = FreeSpace(free)
        let backend = try SQLiteBackend(path: path, busyTimeout: 10, walSync: { _ in 0 }, freeSpace: { _ in space.value },
                                        logger: log.logger(label: "returnd.store"))
        let store = SQLReturnStore(backend: backend)
        try await store.migrate()
        let harness = Harness(backend: backend, store: store, log: log, free: space, path: path)
        do { try await body(harness) } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    static let mib = 1 << 20

    @Test("with 128 MiB or more free, the WAL grows past 4 MiB (its budget is 64 MiB)")
    func walGrowsWithRoom() async throws {
        try await Self.withHarness(free: 10 << 30) { h in
            let largest = try await h.insert(600, prefix: "a")
            #expect(largest > 8 * Self.mib, "WAL at most \(largest) bytes")
            #expect(h.log.lines("store.low_space").isEmpty)
        }
    }

    @Test("with less than 128 MiB free, the WAL is emptied whenever it holds more than 4 MiB, every row kept, and a warning names the free space")
    func walKeptSmallOnALowDisk() async throws {
        try await Self.withHarness(free: 100 * Int64(Self.mib)) { h in
            let largest = try await h.insert(600, prefix: "a")
            #expect(largest <= 5 * Self.mib, "WAL reached \(largest) bytes")
            #expect(try await h.rows() == 600)
            #expect(h.log.lines("store.low_space").map(\.metadata["free_mib"]) == ["100"])
            #expect(h.log.lines("store.low_space").first?.level == .warning)
        }
    }

    @Test("with 256 MiB free again, the WAL may hold 64 MiB again, and a notice says so")
    func roomRegained() async throws {
        try await Self.withHarness(free: 100 * Int64(Self.mib)) { h in
            _ = try await h.insert(10, prefix: "a")
            h.free.value = 300 * Int64(Self.mib)
            try await Task.sleep(for: .milliseconds(1_100))  // free space is looked at once a second
            let largest = try await h.insert(600, prefix: "b")
            #expect(largest > 8 * Self.mib, "WAL at most \(largest) bytes")
            #expect(h.log.lines("store.space_regained").count == 1)
        }
    }

    @Test("a reader holding its snapshot does not hold the writes up: the WAL grows past 4 MiB meanwhile, and is emptied once the reader lets go")
    func readerHoldingItsSnapshot() async throws {
        try await Self.withHarness(free: 100 * Int64(Self.mib)) { h in
            _ = try await h.insert(10, prefix: "a")
            let started = Mutex(false)
            let gate = DispatchSemaphore(value: 0)
            // A long read (a backup, `returnctl db check`) on one of the pool's reader threads.
            let reader = Task {
                try await h.backend.read { db in
                    _ = try db.int("SELECT count(*) FROM serial_counters")
                    started.withLock { $0 = true }
                    gate.wait()
                }
            }
            while !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
            let largest = try await h.insert(300, prefix: "b")
            #expect(largest > 5 * Self.mib, "WAL at most \(largest) bytes")
            gate.signal()
            try await reader.value
            try await Task.sleep(for: .milliseconds(1_100))  // a checkpoint that waited in vain is tried a second later
            _ = try await h.insert(5, prefix: "c")
            #expect(h.walBytes < Self.mib, "WAL \(h.walBytes) bytes")
            #expect(try await h.rows() == 315)
        }
    }

    @Test("a write that finds the disk full keeps the WAL small from then on, free space unknown")
    func fullDiskKeepsWALSmall() async throws {
        try await Self.withHarness(free: nil) { h in
            // SQLite's page limit fails a write that needs a new page with SQLITE_FULL, as a
            // full disk does.
            try await h.backend.write { db in
                let pages = try db.int("PRAGMA page_count") ?? 0
                _ = try db.execute("PRAGMA max_page_count = \(pages)", [])
            }
            await #expect(throws: StoreError.self) {
                try await h.backend.write { db in
                    _ = try db.execute("INSERT INTO serial_counters (key, next_serial, last_serial) VALUES (?, 0, 0)", [String(repeating: "x", count: 100_000)])
                }
            }
            try await h.backend.write { db in _ = try db.execute("PRAGMA max_page_count = 1073741823", []) }
            let largest = try await h.insert(600, prefix: "a")
            #expect(largest <= 5 * Self.mib, "WAL reached \(largest) bytes")
            #expect(try await h.rows() == 600)
            #expect(h.log.lines("store.low_space").map(\.metadata["free_mib"]) == ["none (a write found the disk full)"])
        }
    }
}
