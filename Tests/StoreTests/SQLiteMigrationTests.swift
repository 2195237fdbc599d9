import Foundation
import ReturnsCore
@testable import Store
import Testing

@Suite("SQLite migrations on a file with data")
struct SQLiteMigrationTests {
    @Test("v6 moves a store with parcels from the status indexes to the timers' partial indexes, and the timers answer as before")
    func partialIndexesOnExistingData() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-migration-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let backend = try SQLiteBackend(path: dir.appendingPathComponent("returnd.sqlite").path)
        try SQLiteMigrations.migrator.migrate(backend.pool, upTo: "v5: tracking events digest")
        let store = SQLReturnStore(backend: backend)
        let now = Date()
        let old = now.addingTimeInterval(-40 * 86400)
        let expired = try await store.issueReturn(issuance(request(dispute: "D-old", seller: "S-old", receivedAt: old), now: old)).parcel
        _ = try await store.issueReturn(issuance(request(dispute: "D-new", seller: "S-new")))
        let lost = try await store.issueReturn(issuance(request(dispute: "D-lost", seller: "S-lost"))).parcel
        _ = try await store.changeStatus(StatusChangeRequest(parcelID: lost.id, status: .arrivedAtWarehouse, source: .carrier, occurredAt: now.addingTimeInterval(-72 * 3600)))
        func indexes() async throws -> Set<String> {
            Set(try await backend.read { db in try db.strings("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'") })
        }
        #expect(try await indexes().isSuperset(of: ["parcels_status", "parcel_history_status"]))

        try await store.migrate()
        let after = try await indexes()
        #expect(after.isSuperset(of: ["parcels_awaiting_drop_off", "parcel_history_carrier_arrivals"]))
        #expect(after.isDisjoint(with: ["parcels_status", "parcel_history_status"]))
        let migrations = try await backend.migrations()
        #expect(migrations.applied == migrations.known)
        #expect(try await store.overdueLabels(now: now, limit: 10) == [expired.id])
        #expect(try await store.unconfirmedArrivals(before: now.addingTimeInterval(-48 * 3600)).map(\.id) == [lost.id])
        #expect(try await store.consistencyProblems().isEmpty)
        try await store.close()
    }
}
