import Foundation
import ReturnsCore
@testable import Store
import Testing

@Suite("Migrations on both backends, on stores with data")
struct StoreMigrationTests {
    @Test("the arrivals migration watches the carrier arrivals no scanner confirmed, drops the history index, and the timer answers as before", arguments: StoreKind.allCases)
    func carrierArrivalsAwaitingScan(_ kind: StoreKind) async throws {
        let before = (sqlite: "v9: schedules of parcels no longer followed", postgresql: "v5: schedules of parcels no longer followed")
        try await withStore(kind, migrate: { try await $0.migrate(upTo: before) }) { t in
            let store = t.store
            let now = Date()
            func parcel(_ n: Int) async throws -> Parcel {
                try await store.issueReturn(issuance(request(dispute: "D-\(n)", seller: "S-\(n)"))).parcel
            }
            let lost = try await parcel(1), misrouted = try await parcel(2), scanned = try await parcel(3)
            let inspected = try await parcel(4), byScanner = try await parcel(5), recent = try await parcel(6)
            try await oldCarrierArrival(store, lost.id, at: now.addingTimeInterval(-72 * 3600))
            // Reported twice by the carrier: watched from its first report.
            try await oldCarrierArrival(store, misrouted.id, at: now.addingTimeInterval(-90 * 3600))
            try await oldCarrierArrival(store, misrouted.id, at: now.addingTimeInterval(-60 * 3600), changeStatus: false)
            _ = try await store.recordReceipt(WarehouseReceipt(parcelID: misrouted.id, warehouseID: "WH-ELSEWHERE", code: misrouted.trackingNumber, scannedAt: now, receivedAt: now, scannerTokenID: "t"))
            try await oldCarrierArrival(store, scanned.id, at: now.addingTimeInterval(-80 * 3600))
            _ = try await store.recordReceipt(WarehouseReceipt(parcelID: scanned.id, warehouseID: scanned.warehouseID, code: scanned.trackingNumber, scannedAt: now, receivedAt: now, scannerTokenID: "t"))
            try await oldCarrierArrival(store, inspected.id, at: now.addingTimeInterval(-100 * 3600))
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: inspected.id, status: .inspected, source: .scanner, occurredAt: now,
                                                                 inspection: [ItemInspection(sku: "A", outcome: .accepted)]))
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: byScanner.id, status: .arrivedAtWarehouse, source: .scanner, occurredAt: now.addingTimeInterval(-95 * 3600)))
            try await oldCarrierArrival(store, recent.id, at: now.addingTimeInterval(-3600))
            #expect(try await store.indexNames().contains("parcel_history_carrier_arrivals"))

            try await store.migrate()
            let watched = try await store.backend.read { db in try db.strings("SELECT parcel_id FROM arrivals_awaiting_scan ORDER BY arrived_at") }
            #expect(watched == [misrouted.id, lost.id, recent.id])
            #expect(!(try await store.indexNames().contains("parcel_history_carrier_arrivals")))
            let migrations = try await store.backend.migrations()
            #expect(migrations.applied == migrations.known)
            #expect(try await store.unconfirmedArrivals(before: now.addingTimeInterval(-48 * 3600)).map(\.id) == [misrouted.id, lost.id])
            #expect(try await store.consistencyProblems().isEmpty)
            // A carrier arrival after the migration is watched by the same table.
            let later = try await parcel(7)
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: later.id, status: .arrivedAtWarehouse, source: .carrier, occurredAt: now.addingTimeInterval(-50 * 3600)))
            #expect(try await store.unconfirmedArrivals(before: now.addingTimeInterval(-48 * 3600)).map(\.id) == [misrouted.id, lost.id, later.id])
        }
    }

    @Test("the label-reuse migration keeps every parcel as it was, a tracking number stays unique, and the rest of an order then reuses its label", arguments: StoreKind.allCases)
    func labelReuseOnExistingData(_ kind: StoreKind) async throws {
        let before = (sqlite: "v10: carrier arrivals awaiting a scan", postgresql: "v6: carrier arrivals awaiting a scan")
        try await withStore(kind, migrate: { try await $0.migrate(upTo: before) }) { t in
            let store = t.store
            let now = Date()
            let first = try await store.issueReturn(issuance(request(dispute: "D-1", order: "O-1", skus: ["A"]))).parcel
            let other = try await store.issueReturn(issuance(request(dispute: "D-2", seller: "S-2", skus: ["Z"]))).parcel
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: first.id, status: .droppedOff, source: .kiosk, occurredAt: now))
            _ = try await store.recordReceipt(WarehouseReceipt(parcelID: other.id, warehouseID: other.warehouseID, code: other.trackingNumber, scannedAt: now, receivedAt: now, scannerTokenID: "t"))
            let readBefore = [try await store.parcel(id: first.id), try await store.parcel(id: other.id)]

            try await store.migrate()
            let migrations = try await store.backend.migrations()
            #expect(migrations.applied == migrations.known)
            #expect([try await store.parcel(id: first.id), try await store.parcel(id: other.id)] == readBefore)
            #expect(try await store.receipts(parcelID: other.id).count == 1)
            #expect(Set(try await store.indexNames()).isSuperset(of: ["parcels_label_of", "parcels_buyer_seller", "parcels_open_group", "parcels_awaiting_drop_off"]))
            await #expect(throws: (any Error).self) {
                try await store.backend.write { db in try db.execute("UPDATE parcels SET tracking_number = ? WHERE id = ?", [first.trackingNumber, other.id]) }
            }
            let rest = try await store.issueReturn(issuance(request(dispute: "D-3", order: "O-1", skus: ["B"])))
            #expect(rest.kind == .reusedLabel && rest.parcel.trackingNumber == first.trackingNumber)
            #expect(try await store.parcel(trackingNumber: first.trackingNumber)?.id == first.id)
            #expect(try await store.consistencyProblems().isEmpty)
        }
    }
}

extension StoreMigrationTests {
    @Test("the deadline-poll migration brings an unused label's next poll forward to its deadline, and leaves later polls of other labels and of moving parcels alone", arguments: StoreKind.allCases)
    func pollsAtDropOffDeadline(_ kind: StoreKind) async throws {
        let before = (sqlite: "v14: idempotency keys by age", postgresql: "v10: idempotency keys by age")
        try await withStore(kind, migrate: { try await $0.migrate(upTo: before) }) { t in
            let store = t.store
            let now = Date()
            // Its label ends in 10 minutes; another's in 10 days; a third is on its way.
            let soon = try await store.issueReturn(issuance(request(dispute: "D-1", seller: "S-1", receivedAt: now.addingTimeInterval(-15 * 86400 + 600)))).parcel
            let later = try await store.issueReturn(issuance(request(dispute: "D-2", seller: "S-2", receivedAt: now.addingTimeInterval(-5 * 86400)))).parcel
            let moving = try await store.issueReturn(issuance(request(dispute: "D-3", seller: "S-3", receivedAt: now.addingTimeInterval(-15 * 86400 + 600)))).parcel
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: moving.id, status: .droppedOff, source: .carrier, occurredAt: now))
            // As returnd scheduled them before: the next poll 12 hours on, whatever the deadline.
            let old = now.addingTimeInterval(12 * 3600)
            try await store.backend.write { db in try db.execute("UPDATE tracking_schedule SET next_poll_at = ?", [old]) }

            try await store.migrate()
            let migrations = try await store.backend.migrations()
            #expect(migrations.applied == migrations.known)
            let next = try await store.backend.read { db in
                try db.rows("SELECT parcel_id, next_poll_at FROM tracking_schedule").reduce(into: [String: Date]()) { $0[$1["parcel_id"]] = $1["next_poll_at"] as Date }
            }
            #expect(next[soon.id].map { abs($0.timeIntervalSince(soon.dropOffBy)) < 0.001 } == true)
            #expect(next[later.id].map { abs($0.timeIntervalSince(old)) < 0.001 } == true)
            #expect(next[moving.id].map { abs($0.timeIntervalSince(old)) < 0.001 } == true)
            #expect(try await store.consistencyProblems().isEmpty)
        }
    }
}

extension StoreMigrationTests {
    @Test("the closed-to-items migration keeps an open parcel open; past its deadline it then takes no more items, and a buyer and seller have a second unused label, never two open parcels", arguments: StoreKind.allCases)
    func openParcelsClosedToItems(_ kind: StoreKind) async throws {
        let before = (sqlite: "v15: unused labels polled at their deadline", postgresql: "v11: unused labels polled at their deadline")
        try await withStore(kind, migrate: { try await $0.migrate(upTo: before) }) { t in
            let store = t.store
            let now = Date()
            let open = try await store.issueReturn(issuance(request(dispute: "D-1", skus: ["A"], receivedAt: now.addingTimeInterval(-14 * 86400)), now: now)).parcel

            try await store.migrate()
            let migrations = try await store.backend.migrations()
            #expect(migrations.applied == migrations.known)
            let joined = try await store.issueReturn(issuance(request(dispute: "D-2", skus: ["B"], receivedAt: now.addingTimeInterval(-86400)), now: now))
            #expect(joined.kind == .joined && joined.parcel.id == open.id)
            let later = open.dropOffBy.addingTimeInterval(60)
            let own = try await store.issueReturn(issuance(request(dispute: "D-3", skus: ["C"], receivedAt: later.addingTimeInterval(-86400)), now: later))
            #expect(own.kind == .created && own.parcel.id != open.id)
            let next = try await store.issueReturn(issuance(request(dispute: "D-4", skus: ["E"], receivedAt: later.addingTimeInterval(-86400)), now: later))
            #expect(next.kind == .joined && next.parcel.id == own.parcel.id)
            #expect(try await store.parcel(id: open.id)?.items.map(\.sku) == ["A", "B"])
            #expect(try await store.consistencyProblems().isEmpty)
            // Still one open parcel per buyer and seller: a second one not closed to items is refused.
            await #expect(throws: (any Error).self) {
                try await store.backend.write { db in try db.execute("UPDATE parcels SET closed_to_items = 0 WHERE id = ?", [open.id]) }
            }
        }
    }
}

extension StoreMigrationTests {
    @Test("the label-date migration dates a parcel's current label at its creation (its PDF's date until then); the next join dates its new version", arguments: StoreKind.allCases)
    func labelIssuedAtMigration(_ kind: StoreKind) async throws {
        let before = (sqlite: "v16: open parcels closed to items past their deadline", postgresql: "v12: open parcels closed to items past their deadline")
        try await withStore(kind, migrate: { try await $0.migrate(upTo: before) }) { t in
            let store = t.store
            let created = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) - 86_400)
            let open = try await store.issueReturn(issuance(request(dispute: "D-1", skus: ["A"], receivedAt: created), now: created)).parcel
            // A parcel an item joined before the column existed (today's join writes the column).
            try await store.backend.write { db in try db.execute("UPDATE parcels SET label_version = 2 WHERE id = ?", [open.id]) }

            try await store.migrate()
            let migrations = try await store.backend.migrations()
            #expect(migrations.applied == migrations.known)
            let read = try #require(try await store.parcel(id: open.id))
            #expect(read.labelVersion == 2 && read.labelIssuedAt == created)
            let joinedAt = created.addingTimeInterval(3600)
            let joined = try await store.issueReturn(issuance(request(dispute: "D-2", skus: ["B"], receivedAt: created), now: joinedAt))
            #expect(joined.kind == .joined && joined.parcel.labelVersion == 3 && joined.parcel.labelIssuedAt == joinedAt)
            #expect(try await store.consistencyProblems().isEmpty)
        }
    }
}

extension StoreMigrationTests {
    @Test("a store a newer returnd upgraded is refused by migrate, naming the migration it does not know; nothing is applied or changed", arguments: StoreKind.allCases)
    func newerSchemaRefused(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let parcel = try await store.issueReturn(issuance(request(dispute: "D-1"))).parcel
            let table = store.backend is SQLiteBackend ? "grdb_migrations (identifier)" : "returnd_migrations (id, applied_at)"
            let values = store.backend is SQLiteBackend ? "('v99: from a newer returnd')" : "('v99: from a newer returnd', now())"
            try await store.backend.write { db in try db.execute("INSERT INTO \(table) VALUES \(values)") }
            let before = try await store.backend.migrations()
            #expect(before.applied == before.known + ["v99: from a newer returnd"])
            do {
                try await store.migrate()
                Issue.record("migrated a store a newer returnd had upgraded")
            } catch {
                #expect("\(error)" == "the store was upgraded by a newer returnd: it holds a migration this version does not know (v99: from a newer returnd). Run that version or a later one; going back to this one needs the backup taken before the upgrade")
            }
            #expect(try await store.backend.migrations().applied == before.applied)
            #expect(try await store.parcel(id: parcel.id)?.status == .labelIssued)
        }
    }
}

/// A carrier arrival as returnd wrote it before `arrivals_awaiting_scan` existed: the parcel's
/// status and its history row (the dispute event is left out; no migration reads it).
func oldCarrierArrival(_ store: SQLReturnStore, _ parcelID: String, at date: Date, changeStatus: Bool = true) async throws {
    try await store.backend.write { db in
        if changeStatus { try db.execute("UPDATE parcels SET status = 'arrived_at_warehouse' WHERE id = ?", [parcelID]) }
        try db.execute("INSERT INTO parcel_history (parcel_id, status, source, occurred_at) VALUES (?, 'arrived_at_warehouse', 'carrier', ?)", [parcelID, date])
    }
}

extension SQLReturnStore {
    /// Applies the migrations up to the named one of this store's backend: a store of that age.
    /// It also has the columns this build's writer writes that a later migration adds
    /// (`StoreIndexes.eventIDColumns`, which that migration adds only where absent), so that the
    /// store's own code can fill it with the parcels a test needs.
    func migrate(upTo last: (sqlite: String, postgresql: String)) async throws {
        if let sqlite = backend as? SQLiteBackend {
            try SQLiteMigrations.migrator.migrate(sqlite.pool, upTo: last.sqlite)
            try await sqlite.pool.write { db in try SQLiteMigrations.addEventIDColumns(db) }
        } else {
            try await backend.write { db in
                try PostgresMigrations.migrate(db, upTo: last.postgresql)
                for statement in StoreIndexes.postgresEventIDColumns { try db.execute(statement) }
            }
        }
    }
}

extension StoreMigrationTests {
    @Test("the fingerprint migration keeps every key: one stored as the body's bytes and one stored as the fingerprint (2026-12-07) both replay after it, and a new key fills both columns", arguments: StoreKind.allCases)
    func idempotencyFingerprintColumn(_ kind: StoreKind) async throws {
        let before = (sqlite: "v18: dispute events set aside", postgresql: "v14: dispute events set aside")
        try await withStore(kind, migrate: { try await $0.migrate(upTo: before) }) { t in
            let store = t.store
            let bytes = try await store.issueReturn(issuance(request(dispute: "D-1", seller: "S-1"))).parcel
            let meaning = try await store.issueReturn(issuance(request(dispute: "D-2", seller: "S-2"))).parcel
            // As the returnd of each age stored its key.
            try await store.backend.write { db in
                try db.execute("INSERT INTO idempotency_keys (key, request_hash, parcel_id, created_at) VALUES (?, ?, ?, ?)", ["k-bytes", "body-sha256", bytes.id, Date()])
                try db.execute("INSERT INTO idempotency_keys (key, request_hash, parcel_id, created_at) VALUES (?, ?, ?, ?)", ["k-meaning", "r2:fingerprint", meaning.id, Date()])
            }

            try await store.migrate()
            let migrations = try await store.backend.migrations()
            #expect(migrations.applied == migrations.known)
            var byteRetry = issuance(request(dispute: "D-1", seller: "S-1"), key: "k-bytes", hash: "r2:fingerprint-1")
            byteRetry.bodyHash = "body-sha256"
            #expect(try await store.issueReturn(byteRetry).parcel.id == bytes.id)
            var meaningRetry = issuance(request(dispute: "D-2", seller: "S-2"), key: "k-meaning", hash: "r2:fingerprint")
            meaningRetry.bodyHash = "reformatted-body-sha256"
            #expect(try await store.issueReturn(meaningRetry).parcel.id == meaning.id)
            var fresh = issuance(request(dispute: "D-3", seller: "S-3"), key: "k-new", hash: "r2:fingerprint-3")
            fresh.bodyHash = "body-sha256-3"
            _ = try await store.issueReturn(fresh)
            let row = try await store.backend.read { db in try db.row("SELECT request_hash, request_fingerprint FROM idempotency_keys WHERE key = ?", ["k-new"]) }
            #expect(row.map { $0["request_hash"] as String } == "body-sha256-3")
            #expect(row.flatMap { $0["request_fingerprint"] as String? } == "r2:fingerprint-3")
            #expect(try await store.consistencyProblems().isEmpty)
        }
    }

    @Test("the schema --version and returnd_build_info name is the newest migration a new store of the backend applies", arguments: StoreKind.allCases)
    func schemaNamedByVersion(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let applied = try await t.store.backend.migrations().applied
            let newest = try #require(applied.last)
            #expect(newest.hasPrefix((kind == .sqlite ? StoreSchema.sqlite : StoreSchema.postgres) + ": "), "\(newest)")
            #expect(applied.count == Int((kind == .sqlite ? StoreSchema.sqlite : StoreSchema.postgres).dropFirst()))
        }
    }

    @Test("after the event-ids migration a parcel an older returnd wrote to is read whole from the outbox (also once newer rows join its older ones), and a parcel written since through its own rows", arguments: StoreKind.allCases)
    func eventIDsOfWrites(_ kind: StoreKind) async throws {
        let before = (sqlite: "v19: idempotency keys' fingerprints beside their bytes", postgresql: "v15: idempotency keys' fingerprints beside their bytes")
        try await withStore(kind, migrate: { try await $0.migrate(upTo: before) }) { t in
            let store = t.store
            let old = try await store.issueReturn(issuance(request(dispute: "D-1", seller: "S-1"))).parcel
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: old.id, status: .droppedOff, source: .kiosk, occurredAt: Date()))
            // As an older returnd left them: no ids on its rows.
            try await store.backend.write { db in
                try db.execute("UPDATE parcel_history SET event_ids = NULL")
                try db.execute("UPDATE parcel_items SET event_id = NULL")
            }

            try await store.migrate()
            let migrations = try await store.backend.migrations()
            #expect(migrations.applied == migrations.known)
            func scanned(_ parcelID: String) async throws -> [String] {
                try await store.backend.read { db in try db.strings("SELECT event_id FROM outbox WHERE parcel_id = ? ORDER BY seq", [parcelID]) }
            }
            #expect(try await store.outbox(parcelID: old.id).map(\.eventID) == (try await scanned(old.id)))
            #expect(try await scanned(old.id).count == 2)
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: old.id, status: .arrivedAtWarehouse, source: .scanner, occurredAt: Date()))
            #expect(try await store.outbox(parcelID: old.id).map(\.eventID) == (try await scanned(old.id)))
            #expect(try await store.outbox(disputeID: "D-1").map(\.eventID) == (try await scanned(old.id)))
            #expect(try await scanned(old.id).count == 3)
            let new = try await store.issueReturn(issuance(request(dispute: "D-2", seller: "S-2"))).parcel
            let newEvents = try await scanned(new.id)
            try await store.backend.write { db in try db.execute("UPDATE outbox SET parcel_id = 'P-ELSEWHERE' WHERE parcel_id = ?", [new.id]) }
            #expect(try await store.outbox(parcelID: new.id).map(\.eventID) == newEvents && newEvents.count == 1)
        }
    }
}
