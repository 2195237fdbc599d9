import Foundation
import ReturnsCore
import Store
import Testing

@Suite("Moving from SQLite to PostgreSQL")
struct StoreCopyTests {
    @Test("db copy carries every row of every table to PostgreSQL; the copy reads the same and keeps issuing where SQLite stopped")
    func copiesEverything() async throws {
        try await withStore(.sqlite) { source in
            let s = source.store
            var parcels: [Parcel] = []
            for i in 0..<30 { parcels.append(try await s.issueReturn(issuance(request(dispute: "D-\(i)", seller: "S-\(i % 20)", skus: ["A\(i)"]), key: "k\(i)")).parcel) }
            let p = parcels[0]
            _ = try await s.changeStatus(StatusChangeRequest(parcelID: p.id, status: .droppedOff, source: .kiosk, occurredAt: Date(), location: "K1"))
            _ = try await s.recordReceipt(WarehouseReceipt(parcelID: p.id, warehouseID: "WH-FR", code: p.trackingNumber, scannedAt: Date(), receivedAt: Date(), scannerTokenID: "T"))
            _ = try await s.changeStatus(StatusChangeRequest(parcelID: p.id, status: .inspected, source: .scanner, occurredAt: Date(),
                                                               inspection: [ItemInspection(sku: "A0", outcome: .accepted), ItemInspection(sku: "A20", outcome: .rejected, reason: "worn")]))
            _ = try await s.recordPoll(PollRecord(parcelID: parcels[1].id, outcome: .events([
                TrackingEventRecord(code: "PC1", description: "accepted", occurredAt: Date(), location: nil, status: .inTransit)]), polledAt: Date(), nextPollAt: Date()))
            let arrivedAt = Date().addingTimeInterval(-50 * 3600)
            _ = try await s.changeStatus(StatusChangeRequest(parcelID: parcels[2].id, status: .arrivedAtWarehouse, source: .carrier, occurredAt: arrivedAt))
            let head = try await s.claimDueEvents(now: Date(), limit: 5, leaseUntil: Date().addingTimeInterval(60))
            try await s.markDelivered(seq: head[0].seq, at: Date())
            // The rest of parcels[0]'s order, under its used label (label_of copied as is).
            let rest = try await s.issueReturn(issuance(request(dispute: "D-rest", order: "O-D-0", seller: "S-0", skus: ["R"]))).parcel
            #expect(rest.labelOf == p.id)
            try await s.createToken(AccessToken(id: "tok1", role: .operator, scope: nil, label: "ops", createdAt: Date()), secretHash: "hash1")
            // A carrier's Retry-After still holds after the move.
            let heldUntil = Date().addingTimeInterval(3600)
            try await s.holdEndpoint(EndpointHold.carrier("fr_colissimo"), until: heldUntil, reason: "rate limited")
            let count = ParcelCountSnapshot(counts: try await s.parcelCounts(), countedAt: Date(timeIntervalSince1970: 1_800_000_000), countedBy: "A")
            try await s.saveParcelCountSnapshot(count)

            try await withStore(.postgresql) { destination in
                let counts = try await s.copy(to: destination.store, batchSize: 7)
                #expect(counts.allSatisfy { $0.source == $0.destination })
                #expect(counts.first { $0.table == "parcels" }?.destination == parcels.count - 10 + 1)  // 20 sellers: 10 joined; 1 under a used label
                #expect(counts.filter { $0.destination > 0 }.count == StoreTables.all.count)
                let d = destination.store
                let before = try #require(try await s.parcel(id: p.id))
                let after = try #require(try await d.parcel(id: p.id))
                #expect(after.history.map(\.status) == before.history.map(\.status) && after.items == before.items && after.trackingNumber == before.trackingNumber)
                // A joined parcel's label version and its date.
                #expect(before.labelVersion == 2 && after.labelVersion == 2 && abs(after.labelIssuedAt.timeIntervalSince(before.labelIssuedAt)) < 0.001)
                #expect(try await d.receipts(parcelID: p.id).count == 1)
                #expect(try await d.packages(reusingLabelOf: p.id).map(\.id) == [rest.id])
                #expect(try await d.parcel(trackingNumber: p.trackingNumber)?.id == p.id)
                #expect(try await d.inspection(parcelID: p.id).map(\.outcome) == [.accepted, .rejected])
                #expect(try await d.trackingEvents(parcelID: parcels[1].id).map(\.code) == ["PC1"])
                #expect(try await d.outbox(state: .delivered, limit: 10).map(\.eventID) == [head[0].eventID])
                #expect(try await d.activeToken(secretHash: "hash1")?.id == "tok1")
                #expect(try await d.endpointHolds(now: Date()).map(\.endpoint) == [EndpointHold.carrier("fr_colissimo")])
                #expect(try await d.parcelCountSnapshot() == count)
                #expect(try await d.unconfirmedArrivals(before: arrivedAt.addingTimeInterval(1)).map(\.id) == [parcels[2].id])
                // Replays still replay, and new rows continue the copied numbering.
                #expect(try await d.issueReturn(issuance(request(dispute: "D-3", seller: "S-3", skus: ["A3"]), key: "k3")).kind == .replayed)
                let fresh = try await d.issueReturn(issuance(request(dispute: "D-new", seller: "S-new"))).parcel
                #expect(!Set(parcels.map(\.trackingNumber)).contains(fresh.trackingNumber))
                let seqs = try await d.outbox(state: nil, limit: 1000).map(\.seq)
                #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
                #expect(try await d.consistencyProblems().isEmpty)
                // A second copy into a database that holds data is refused.
                let refused = await #expect(throws: StoreCopyDestinationNotEmpty.self) { try await s.copy(to: d) }
                #expect(refused?.table == "parcels")
            }
        }
    }

    @Test("every table of the schema and every column is listed for db copy and db check, and the date columns are the schema's", arguments: StoreKind.allCases)
    func tableListMatchesTheSchema(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let sqlite = kind == .sqlite
            let schema: [String: [String: String]] = try await t.store.backend.read { db in
                let tables = try db.strings(sqlite
                    ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'"
                    : "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> 'returnd_migrations'")
                var out: [String: [String: String]] = [:]
                for table in tables {
                    let rows = try db.rows(sqlite
                        ? "SELECT name AS column_name, type AS data_type FROM pragma_table_info(?)"
                        : "SELECT column_name::text AS column_name, data_type::text AS data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?", [table])
                    out[table] = Dictionary(uniqueKeysWithValues: rows.map { ($0["column_name"] as String, $0["data_type"] as String) })
                }
                return out
            }
            #expect(Set(schema.keys) == Set(StoreTables.all.map(\.name)))
            let dateType = sqlite ? "DATETIME" : "timestamp with time zone"
            for table in StoreTables.all {
                let columns = try #require(schema[table.name], "\(table.name)")
                #expect(Set(columns.keys) == Set(table.columns), "\(table.name)")
                #expect(Set(columns.filter { $0.value == dateType }.keys) == table.dateColumns, "\(table.name)")
            }
        }
    }

    @Test("a copy that fails part way says the table and rows it got to; the next one is refused until the destination is emptied")
    func copyStoppedPartWay() async throws {
        try await withStore(.sqlite) { source in
            let ids = try await source.store.parcelsOfOwnDisputes(10)
            try await withStore(.postgresql) { destination in
                // The destination refuses the third table's rows, as a full disk or a dropped connection would fail a batch.
                try await destination.store.backend.write { db in try db.execute("ALTER TABLE parcel_history ADD CONSTRAINT refuse_all CHECK (false) NOT VALID") }
                let stopped = await #expect(throws: StoreCopyStopped.self) { try await source.store.copy(to: destination.store, batchSize: 4) }
                #expect(stopped?.table == "parcel_history" && stopped?.rowsCopied == 0 && stopped?.tablesCopied == 2)
                #expect(stopped?.reason.contains("refuse_all") == true, "\(stopped?.reason ?? "")")
                // What was committed before the failure stays: every parcel, none of their history.
                let counts = try await destination.store.rowCounts()
                #expect(counts["parcels"] == ids.count && counts["parcel_history"] ?? 0 == 0)
                let again = await #expect(throws: StoreCopyDestinationNotEmpty.self) { try await source.store.copy(to: destination.store) }
                #expect(again?.table == "parcels")
            }
        }
    }

    @Test("db check names a broken rule", arguments: StoreKind.allCases)
    func checkFindsProblems(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let p = try await t.store.issueReturn(issuance(request())).parcel
            #expect(try await t.store.consistencyProblems().isEmpty)
            try await t.store.backend.write { db in try db.execute("DELETE FROM tracking_schedule WHERE parcel_id = ?", [p.id]) }
            #expect(try await t.store.consistencyProblems() == ["parcel still moving but not followed by tracking: \(p.id)"])
            let arrived = try await t.store.issueReturn(issuance(request(dispute: "D-2", seller: "S-2"))).parcel
            _ = try await t.store.changeStatus(StatusChangeRequest(parcelID: arrived.id, status: .arrivedAtWarehouse, source: .carrier, occurredAt: Date()))
            #expect(try await t.store.consistencyProblems().count == 1)
            try await t.store.backend.write { db in try db.execute("DELETE FROM arrivals_awaiting_scan WHERE parcel_id = ?", [arrived.id]) }
            #expect(try await t.store.consistencyProblems() == [
                "parcel still moving but not followed by tracking: \(p.id)",
                "carrier arrival the unconfirmed-arrivals timer does not watch: \(arrived.id)",
            ])
        }
    }
}
