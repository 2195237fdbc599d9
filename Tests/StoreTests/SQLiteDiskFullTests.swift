import Foundation
import ReturnsCore
import Store
import Testing

@Suite("SQLite that cannot take a write")
struct SQLiteDiskFullTests {
    @Test("a full database is reported as unavailable (the API's 503) with SQLite's words; reads go on, and writes resume once there is room")
    func diskFullIsUnavailable() async throws {
        try await withStore(.sqlite) { t in
            let store = t.store
            let first = try await store.issueReturn(issuance(request(dispute: "D-0", seller: "S-0"))).parcel
            // The page limit stands for the disk: SQLite answers SQLITE_FULL when a write needs a page past it.
            let pages = try await store.backend.write { db in try db.int("PRAGMA page_count") ?? 0 }
            try await store.backend.write { db in _ = try db.rows("PRAGMA max_page_count = \(pages)") }
            var refusal: StoreError?
            for i in 1...200 where refusal == nil {
                do { _ = try await store.issueReturn(issuance(request(dispute: "D-\(i)", seller: "S-\(i)"))) } catch let error as StoreError {
                    refusal = error
                }
            }
            let error = try #require(refusal)
            guard case .unavailable(let why) = error else { Issue.record("not unavailable: \(error)"); return }
            #expect(why.contains("SQLite error 13") && why.contains("full"), "\(why)")
            #expect(try await store.parcel(id: first.id)?.id == first.id)
            // Room again: the same store takes writes, no reopen.
            try await store.backend.write { db in _ = try db.rows("PRAGMA max_page_count = 1073741823") }
            let after = try await store.issueReturn(issuance(request(dispute: "D-after", seller: "S-after"))).parcel
            #expect(try await store.parcel(id: after.id)?.status == .labelIssued)
        }
    }

    @Test("a write lock another process holds past the busy timeout is reported as unavailable; reads go on, and writes resume once it is released")
    func lockHeldElsewhereIsUnavailable() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-busy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("returnd.sqlite").path
        let store = try SQLReturnStore.sqlite(path: path, busyTimeout: 0.3)
        try await store.migrate()
        let first = try await store.issueReturn(issuance(request(dispute: "D-0", seller: "S-0"))).parcel
        // Another process (an operator's sqlite3 shell, a backup tool) takes the write lock and
        // keeps it until its stdin closes.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = ["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); sys.stdin.read()", path]
        let input = Pipe(), output = Pipe()
        holder.standardInput = input
        holder.standardOutput = output
        try holder.run()
        #expect(String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).hasPrefix("locked"))
        await #expect {
            _ = try await store.issueReturn(issuance(request(dispute: "D-1", seller: "S-1")))
        } throws: { error in
            guard case StoreError.unavailable(let why) = error else { return false }
            return why.contains("SQLite error 5") && why.contains("locked")
        }
        #expect(try await store.parcel(id: first.id)?.id == first.id)
        try input.fileHandleForWriting.close()
        holder.waitUntilExit()
        let after = try await store.issueReturn(issuance(request(dispute: "D-1", seller: "S-1"))).parcel
        #expect(try await store.parcel(id: after.id)?.status == .labelIssued)
        try await store.close()
    }

    @Test("a refusal SQLite gives for the data (a constraint) stays a database error, not unavailable")
    func constraintIsNotUnavailable() async throws {
        try await withStore(.sqlite) { t in
            let backend = t.store.backend
            try await backend.write { db in try db.execute("INSERT INTO serial_counters (key, next_serial, last_serial) VALUES ('k', 1, 1)") }
            await #expect {
                try await backend.write { db in try db.execute("INSERT INTO serial_counters (key, next_serial, last_serial) VALUES ('k', 1, 1)") }
            } throws: { error in
                if case StoreError.unavailable = error { return false }
                return true
            }
        }
    }
}
