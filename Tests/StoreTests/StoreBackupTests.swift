import Foundation
import ReturnsCore
import Store
import Testing

@Suite("Backing up a SQLite store while it is written")
struct StoreBackupTests {
    @Test("a backup taken under a stream of new returns is one consistent store: everything committed before it, SQLite's and returnd's checks pass, and it keeps issuing where it stopped")
    func consistentUnderWrites() async throws {
        try await withStore(.sqlite) { t in
            let store = t.store
            var before: [Parcel] = []
            for i in 0..<40 { before.append(try await store.issueReturn(issuance(request(dispute: "D-\(i)", seller: "S-\(i)"))).parcel) }
            _ = try await store.recordReceipt(WarehouseReceipt(parcelID: before[0].id, warehouseID: "WH-FR", code: before[0].trackingNumber,
                                                               scannedAt: Date(), receivedAt: Date(), scannerTokenID: "T"))
            let path = URL(fileURLWithPath: t.url).deletingLastPathComponent().appendingPathComponent("backup.sqlite").path
            // Writers go on through the whole backup; the backup waits for none of them.
            let (backup, during) = try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    var n = 0
                    for i in 0..<200 {
                        _ = try await store.issueReturn(issuance(request(dispute: "D-w\(i)", seller: "S-w\(i)")))
                        n += 1
                    }
                    return n
                }
                let backup = try await store.backup(to: path)
                let during = try await group.reduce(0, +)
                return (backup, during)
            }
            #expect(during == 200)
            #expect(backup.path == path && backup.bytes > 0)
            #expect(!FileManager.default.fileExists(atPath: path + ".partial"))

            let copy = try SQLReturnStore.sqlite(path: path)
            #expect(try await copy.backend.migrations().applied == (try await store.backend.migrations().applied))
            #expect(try await copy.backend.integrityProblems().isEmpty)
            #expect(try await copy.consistencyProblems().isEmpty)
            for p in before { #expect(try await copy.parcel(id: p.id)?.trackingNumber == p.trackingNumber) }
            #expect(try await copy.receipts(parcelID: before[0].id).count == 1)
            // Somewhere between the returns before it and all of them: a moment of the stream.
            let copied = try await copy.rowCounts()["parcels"] ?? 0
            #expect(copied >= before.count && copied <= before.count + during)
            // The copy is a store: it issues new numbers, none of them one the original gave before the backup.
            let fresh = try await copy.issueReturn(issuance(request(dispute: "D-after", seller: "S-after"))).parcel
            #expect(!before.map(\.trackingNumber).contains(fresh.trackingNumber))
            try await copy.close()
        }
    }

    @Test("a backup never overwrites a file, one into a folder that does not exist names the folder, and a PostgreSQL store is refused with what to use instead")
    func refusals() async throws {
        try await withStore(.sqlite) { t in
            let folder = URL(fileURLWithPath: t.url).deletingLastPathComponent()
            let path = folder.appendingPathComponent("kept.sqlite").path
            try Data("an operator's file".utf8).write(to: URL(fileURLWithPath: path))
            await #expect(throws: StoreError.self) { try await t.store.backup(to: path) }
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "an operator's file")
            let missing = folder.appendingPathComponent("no-such-folder").path
            let error = await #expect(throws: StoreError.self) { try await t.store.backup(to: missing + "/copy.sqlite") }
            #expect("\(error!)".contains("no folder \(missing) to write \(missing)/copy.sqlite in"), "\(error!)")
            #expect(!FileManager.default.fileExists(atPath: missing))
        }
        try await withStore(.postgresql) { t in
            let error = await #expect(throws: StoreError.self) { try await t.store.backup(to: "/tmp/returnd-never-written.sqlite") }
            #expect("\(error!)".contains("pg_dump"))
            #expect(!FileManager.default.fileExists(atPath: "/tmp/returnd-never-written.sqlite"))
        }
    }
}
