import Foundation
import ReturnsCore
@testable import Store
import Testing

@Suite("SQLite migrations on a file with data")
struct SQLiteMigrationTests {
    @Test("v6 moves a store with parcels from the status indexes to the timers' partial indexes, and the timers answer as before")
    func partialIndexesOnExistingData() async throws {
        let (dir, backend, store) = try storeFile(migratedUpTo: "v5: tracking events digest")
        defer { try? FileManager.default.removeItem(at: dir) }
        let now = Date()
        let old = now.addingTimeInterval(-40 * 86400)
        let expired = try await store.issueReturn(issuance(request(dispute: "D-old", seller: "S-old", receivedAt: old), now: old)).parcel
        _ = try await store.issueReturn(issuance(request(dispute: "D-new", seller: "S-new")))
        let lost = try await store.issueReturn(issuance(request(dispute: "D-lost", seller: "S-lost"))).parcel
        try await oldCarrierArrival(store, lost.id, at: now.addingTimeInterval(-72 * 3600))
        func indexes() async throws -> Set<String> {
            Set(try await backend.read { db in try db.strings("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'") })
        }
        #expect(try await indexes().isSuperset(of: ["parcels_status", "parcel_history_status"]))

        try SQLiteMigrations.migrator.migrate(backend.pool, upTo: "v6: partial indexes for the timers")
        let after = try await indexes()
        #expect(after.isSuperset(of: ["parcels_awaiting_drop_off", "parcel_history_carrier_arrivals"]))
        #expect(after.isDisjoint(with: ["parcels_status", "parcel_history_status"]))
        // v10 replaced the arrivals' index by a table (StoreMigrationTests).
        try await store.migrate()
        let migrations = try await backend.migrations()
        #expect(migrations.applied == migrations.known)
        #expect(try await store.overdueLabels(now: now, limit: 10, finalCheckWait: nil).map(\.parcelID) == [expired.id])
        #expect(try await store.unconfirmedArrivals(before: now.addingTimeInterval(-48 * 3600)).map(\.id) == [lost.id])
        #expect(try await store.consistencyProblems().isEmpty)
        try await store.close()
    }

    @Test("v7 drops AUTOINCREMENT from a store with rows: the ids go on from the largest, sqlite_sequence is no longer written, and the file checks out")
    func rowIDsWithoutAutoincrement() async throws {
        let (dir, backend, store) = try storeFile(migratedUpTo: "v6: partial indexes for the timers")
        defer { try? FileManager.default.removeItem(at: dir) }
        let now = Date()
        let first = try await store.issueReturn(issuance(request(dispute: "D-1", seller: "S-1"))).parcel
        _ = try await store.changeStatus(StatusChangeRequest(parcelID: first.id, status: .droppedOff, source: .kiosk, occurredAt: now))
        func sequenced() async throws -> Set<String> {
            Set(try await backend.read { db in try db.strings("SELECT name FROM sqlite_sequence") })
        }
        func largest(_ table: String, _ column: String) async throws -> Int {
            try await backend.read { db in try db.row("SELECT MAX(\(column)) AS n FROM \(table)")!["n"] }
        }
        #expect(try await sequenced().isSuperset(of: ["parcel_history", "outbox"]))
        let historyBefore = try await largest("parcel_history", "id"), outboxBefore = try await largest("outbox", "seq")

        try await store.migrate()
        let tables = try await backend.read { db in
            try db.strings("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'")
        }
        #expect(tables.isEmpty, "still AUTOINCREMENT: \(tables)")
        // Written on the connection that ran the migration, and on a fresh one after reopening.
        let receipt = WarehouseReceipt(parcelID: first.id, warehouseID: first.warehouseID, code: first.trackingNumber, scannedAt: now, receivedAt: now, scannerTokenID: "t")
        _ = try await store.recordReceipt(receipt, seen: nil)
        #expect(try await sequenced().isDisjoint(with: SQLiteMigrations.autoincrementTables))
        #expect(try await largest("parcel_history", "id") == historyBefore + 1)
        #expect(try await largest("outbox", "seq") == outboxBefore + 1)
        #expect(try await largest("warehouse_receipts", "id") == 1)
        try await store.close()

        let again = try SQLiteBackend(path: dir.appendingPathComponent("returnd.sqlite").path)
        let reopened = SQLReturnStore(backend: again)
        try await reopened.migrate()
        _ = try await reopened.issueReturn(issuance(request(dispute: "D-2", seller: "S-2")))
        let parcel = try #require(try await reopened.parcel(id: first.id))
        #expect(parcel.history.map(\.status) == [.labelIssued, .droppedOff, .arrivedAtWarehouse])
        #expect(try await reopened.receipts(parcelID: first.id).count == 1)
        let integrity = try await again.read { db in try db.strings("PRAGMA integrity_check") }
        #expect(integrity == ["ok"])
        #expect(try await reopened.consistencyProblems().isEmpty)
        let migrations = try await again.migrations()
        #expect(migrations.applied == migrations.known)
        try await reopened.close()
    }

    @Test("v9 deletes the schedule rows of parcels no longer followed (received, expired) and keeps those of parcels still moving")
    func finishedSchedulesCleared() async throws {
        let (dir, backend, store) = try storeFile(migratedUpTo: "v8: tracking answer digest")
        defer { try? FileManager.default.removeItem(at: dir) }
        let now = Date()
        var parcels: [Parcel] = []
        for i in 0..<4 { parcels.append(try await store.issueReturn(issuance(request(dispute: "D-\(i)", seller: "S-\(i)"))).parcel) }
        for p in parcels[0..<2] {
            _ = try await store.recordReceipt(WarehouseReceipt(parcelID: p.id, warehouseID: p.warehouseID, code: p.trackingNumber, scannedAt: now, receivedAt: now, scannerTokenID: "t"), seen: nil)
        }
        _ = try await store.changeStatus(StatusChangeRequest(parcelID: parcels[2].id, status: .expired, source: .timer, occurredAt: now))
        func scheduled() async throws -> Set<String> {
            Set(try await backend.read { db in try db.strings("SELECT parcel_id FROM tracking_schedule") })
        }
        #expect(try await scheduled() == Set(parcels.map(\.id)))

        try await store.migrate()
        #expect(try await scheduled() == [parcels[3].id])
        let later = now.addingTimeInterval(3600)
        #expect(try await store.claimPollTargets(now: later, limit: 10, leaseUntil: later).map(\.parcelID) == [parcels[3].id])
        let migrations = try await backend.migrations()
        #expect(migrations.applied == migrations.known)
        #expect(try await store.consistencyProblems().isEmpty)
        try await store.close()
    }

    /// A store in a folder of its own, migrated only up to `migration`: a file of that age.
    private func storeFile(migratedUpTo migration: String) throws -> (dir: URL, backend: SQLiteBackend, store: SQLReturnStore) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-migration-\(UUID().uuidString)")
        let backend = try SQLiteBackend(path: dir.appendingPathComponent("returnd.sqlite").path)
        try SQLiteMigrations.migrator.migrate(backend.pool, upTo: migration)
        // The columns this build's writer fills (SQLReturnStore.migrate(upTo:) in StoreMigrationTests).
        try backend.pool.write { db in try SQLiteMigrations.addEventIDColumns(db) }
        return (dir, backend, SQLReturnStore(backend: backend))
    }
}
