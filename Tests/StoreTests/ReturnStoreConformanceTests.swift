import Foundation
import ReturnsCore
@testable import Store
import Testing

/// What any `ReturnStore` must do, run against SQLite and against PostgreSQL.
@Suite("Store conformance (SQLite and PostgreSQL)")
struct ReturnStoreConformanceTests {
    @Test("concurrent writes commit together, and one that fails leaves nothing while the others keep what they wrote", arguments: StoreKind.allCases)
    func failedWriteIsolated(_ kind: StoreKind) async throws {
        struct Refused: Error, Equatable { var key: String }
        try await withStore(kind) { t in
            let backend = t.store.backend
            // Every third write fails after it wrote; with 120 at once, SQLite's group commit puts
            // failing and succeeding writes in the same transactions.
            let results = await withTaskGroup(of: (Int, Result<Int, Refused>).self) { group in
                for i in 0..<120 {
                    group.addTask {
                        do {
                            let n = try await backend.write { db -> Int in
                                try db.execute("INSERT INTO serial_counters (key, next_serial, last_serial) VALUES (?, ?, ?)", ["k-\(i)", i, i])
                                try db.execute("UPDATE serial_counters SET last_serial = last_serial + 1 WHERE key = ?", ["k-\(i)"])
                                if i % 3 == 0 { throw Refused(key: "k-\(i)") }
                                return i
                            }
                            return (i, .success(n))
                        } catch {
                            return (i, .failure(error as? Refused ?? Refused(key: "unexpected \(error)")))
                        }
                    }
                }
                return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            for i in 0..<120 {
                #expect(results[i] == (i % 3 == 0 ? .failure(Refused(key: "k-\(i)")) : .success(i)), "write \(i)")
            }
            let stored = try await t.store.serialCounters()
            #expect(Set(stored.map(\.key)) == Set((0..<120).filter { $0 % 3 != 0 }.map { "k-\($0)" }))
            // Each kept write kept both of its statements.
            #expect(stored.allSatisfy { $0.last == $0.next + 1 })
        }
    }

    @Test("a new return opens a parcel with a valid tracking number, history and one outbox event", arguments: StoreKind.allCases)
    func createsParcel(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let outcome = try await t.store.issueReturn(issuance(request()))
            #expect(outcome.kind == .created)
            let p = outcome.parcel
            #expect(TrackingNumberScheme.isValidS10(p.trackingNumber))
            #expect(p.status == .labelIssued)
            #expect(p.history.map(\.status) == [.labelIssued])
            #expect(try ReturnCode(parsing: p.returnCode).canonical == p.returnCode)
            let events = try await t.store.outbox(state: .pending, limit: 10)
            #expect(events.map(\.type) == ["return.label_issued"])
            #expect(events.first?.parcelID == p.id && events.first?.disputeID == "D-1")
            // Read back in full, every field survives the round trip (dates to the millisecond).
            let read = try #require(try await t.store.parcel(id: p.id))
            #expect(read.items == p.items && read.buyer == p.buyer && read.returnCode == p.returnCode)
            #expect(abs(read.dropOffBy.timeIntervalSince(p.dropOffBy)) < 0.001)
        }
    }

    @Test("the store's size on disk is read, and grows with the returns stored", arguments: StoreKind.allCases)
    func storeBytes(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let before = try await t.store.storeBytes()
            #expect(before > 0)
            // About 2 MB: more than SQLite's pages or PostgreSQL's files could hold unused.
            for i in 0..<1000 { _ = try await t.store.issueReturn(issuance(request(dispute: "D-\(i)", buyer: "B-\(i)"), key: "k-\(i)")) }
            let after = try await t.store.storeBytes()
            #expect(after >= before + 500 * 1000, "\(before) → \(after) bytes")
        }
    }

    @Test("the free space where the store lives: the SQLite file's file system, as df counts it; none on PostgreSQL (the server's disk is its own)", arguments: StoreKind.allCases)
    func storeFreeBytes(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let free = try await t.store.storeFreeBytes()
            guard let directory = t.directory else {
                #expect(free == nil)
                return
            }
            let df = Process()
            df.executableURL = URL(fileURLWithPath: "/bin/df")
            df.arguments = ["-B1", "--output=avail", directory.path]
            let out = Pipe()
            df.standardOutput = out
            try df.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            df.waitUntilExit()
            let avail = try #require(text.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }, "\(text)")
            let returned = try #require(free)
            // Other processes write meanwhile: the same within 64 MiB.
            #expect(returned > 0 && abs(returned - avail) < 64 << 20, "returnd \(returned), df \(avail)")
        }
    }

    @Test("the same buyer and seller share the open parcel; another seller gets its own", arguments: StoreKind.allCases)
    func grouping(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let first = try await t.store.issueReturn(issuance(request(dispute: "D-1", skus: ["A"])))
            let joined = try await t.store.issueReturn(issuance(request(dispute: "D-2", skus: ["B", "C"])))
            let other = try await t.store.issueReturn(issuance(request(dispute: "D-3", seller: "S-2", skus: ["Z"])))
            #expect(joined.kind == .joined)
            #expect(joined.parcel.id == first.parcel.id)
            #expect(joined.parcel.items.map(\.sku) == ["A", "B", "C"])
            #expect(joined.parcel.labelVersion == 2)
            #expect(joined.parcel.disputeIDs == ["D-1", "D-2"])
            #expect(other.kind == .created && other.parcel.id != first.parcel.id)
            #expect(other.parcel.trackingNumber != first.parcel.trackingNumber)
        }
    }

    @Test("a label version is dated when it was issued: the parcel's creation, then each join; a parcel of its own keeps its date", arguments: StoreKind.allCases)
    func labelIssuedAt(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            // Whole seconds: both backends keep them exactly.
            let created = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) - 86_400)
            let joinedAt = created.addingTimeInterval(3 * 3600), later = created.addingTimeInterval(26 * 3600)
            let first = try await t.store.issueReturn(issuance(request(dispute: "D-1", skus: ["A"], receivedAt: created), now: created))
            #expect(first.parcel.labelVersion == 1 && first.parcel.labelIssuedAt == created)
            let joined = try await t.store.issueReturn(issuance(request(dispute: "D-2", skus: ["B"], receivedAt: created), now: joinedAt))
            #expect(joined.parcel.labelVersion == 2 && joined.parcel.labelIssuedAt == joinedAt && joined.parcel.createdAt == created)
            let other = try await t.store.issueReturn(issuance(request(dispute: "D-3", seller: "S-2", skus: ["Z"], receivedAt: created), now: later))
            #expect(other.parcel.labelIssuedAt == later)
            let again = try await t.store.issueReturn(issuance(request(dispute: "D-4", skus: ["C"], receivedAt: created), now: later))
            #expect(again.parcel.labelVersion == 3 && again.parcel.labelIssuedAt == later)
            // Read back, not only as the issuance answered.
            let read = try #require(try await t.store.parcel(id: first.parcel.id))
            #expect(read.labelIssuedAt == later && read.createdAt == created)
            #expect(try await t.store.parcel(id: other.parcel.id)?.labelIssuedAt == later)
        }
    }

    @Test("an idempotent replay answers the same parcel and changes nothing; a reused key with another body is refused", arguments: StoreKind.allCases)
    func idempotency(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let first = try await store.issueReturn(issuance(request(), key: "k1", hash: "h1"))
            let replay = try await store.issueReturn(issuance(request(), key: "k1", hash: "h1"))
            #expect(replay.kind == .replayed && replay.parcel.id == first.parcel.id && replay.parcel.trackingNumber == first.parcel.trackingNumber)
            #expect(try await store.outbox(state: .pending, limit: 10).count == 1)
            await #expect {
                try await store.issueReturn(issuance(request(skus: ["Q"]), key: "k1", hash: "h2"))
            } throws: { ($0 as? ReturnRefusal)?.code == .idempotencyKeyReused }
        }
    }

    @Test("a parcel's latest receipts come oldest first with the count of them all; a limit above them lists them all; a parcel never read has none", arguments: StoreKind.allCases)
    func latestReceiptsWithTheirCount(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let parcel = try await store.issueReturn(issuance(request())).parcel
            // Whole seconds: SQLite keeps a date to the millisecond, not Date()'s full fraction.
            let start = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            for i in 0..<5 {
                _ = try await store.recordReceipt(.read(parcel, at: "WH-FR", when: start.addingTimeInterval(Double(i))))
            }
            let latest = try await store.latestReceipts(parcelID: parcel.id, limit: 3)
            #expect(latest.total == 5)
            #expect(latest.receipts.map(\.scannedAt) == (2..<5).map { start.addingTimeInterval(Double($0)) })
            let all = try await store.latestReceipts(parcelID: parcel.id, limit: 10)
            #expect(all.total == 5 && all.receipts.map(\.scannedAt) == (0..<5).map { start.addingTimeInterval(Double($0)) })
            let other = try await store.issueReturn(issuance(request(dispute: "D-2", seller: "S-2"))).parcel
            let none = try await store.latestReceipts(parcelID: other.id, limit: 3)
            #expect(none.total == 0 && none.receipts.isEmpty)
        }
    }

    @Test("a key stored by an older returnd (the SHA-256 of the body's bytes) still replays when the same bytes come with today's fingerprint; other bytes under it are refused", arguments: StoreKind.allCases)
    func idempotencyKeyOfAnOlderReturnd(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let first = try await store.issueReturn(issuance(request(), key: "k1", hash: "body-sha256"))
            var retry = issuance(request(), key: "k1", hash: "r2:fingerprint")
            retry.bodyHash = "body-sha256"
            let replay = try await store.issueReturn(retry)
            #expect(replay.kind == .replayed && replay.parcel.id == first.parcel.id)
            retry.bodyHash = "other-body-sha256"
            await #expect {
                try await store.issueReturn(retry)
            } throws: { ($0 as? ReturnRefusal)?.code == .idempotencyKeyReused }
            // With no body hash at all, only the fingerprint counts.
            retry.bodyHash = nil
            await #expect {
                try await store.issueReturn(retry)
            } throws: { ($0 as? ReturnRefusal)?.code == .idempotencyKeyReused }
        }
    }

    /// During a rolling upgrade an older returnd may take the retry of a request this one
    /// stored. Until the fingerprint had a column of its own it was stored where an older
    /// returnd compares the body's bytes, which it then never matched: 422 for a byte-identical retry.
    @Test("a key keeps the body's bytes hash where an older returnd compares it and the fingerprint beside it: a byte-identical retry replays on an older returnd, a reformatted one on this one, another request is refused", arguments: StoreKind.allCases)
    func idempotencyKeyForOlderAndNewerReturnd(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            var first = issuance(request(), key: "k1", hash: "r2:fingerprint")
            first.bodyHash = "body-sha256"
            let issued = try await store.issueReturn(first)
            let stored = try await store.backend.read { db in try db.row("SELECT request_hash, request_fingerprint FROM idempotency_keys WHERE key = ?", ["k1"]) }
            #expect(stored.map { $0["request_hash"] as String } == "body-sha256")
            #expect(stored.flatMap { $0["request_fingerprint"] as String? } == "r2:fingerprint")
            // An older returnd's retry: the bytes' hash was its fingerprint, and it had no other.
            let older = try await store.issueReturn(issuance(request(), key: "k1", hash: "body-sha256"))
            #expect(older.kind == .replayed && older.parcel.id == issued.parcel.id)
            // This returnd's retry of the same request written otherwise: other bytes, the same fingerprint.
            var reformatted = issuance(request(), key: "k1", hash: "r2:fingerprint")
            reformatted.bodyHash = "reformatted-body-sha256"
            #expect(try await store.issueReturn(reformatted).kind == .replayed)
            var other = issuance(request(), key: "k1", hash: "r2:other")
            other.bodyHash = "other-body-sha256"
            await #expect {
                try await store.issueReturn(other)
            } throws: { ($0 as? ReturnRefusal)?.code == .idempotencyKeyReused }
        }
    }

    @Test("idempotency keys past the retention are forgotten oldest first, a bounded number a call, through their index; a forgotten key's replay is refused naming its parcel, a kept one still replays", arguments: StoreKind.allCases)
    func forgetIdempotencyKeys(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let now = Date()
            var parcels: [Parcel] = []
            for (i, daysAgo) in [40, 35, 31, 29, 1].enumerated() {
                let r = request(dispute: "D-\(i)", seller: "S-\(i)")
                parcels.append(try await store.issueReturn(issuance(r, key: "k\(i)", hash: "h\(i)", now: now.addingTimeInterval(-Double(daysAgo) * 86400))).parcel)
            }
            let cutoff = now.addingTimeInterval(-30 * 86400)
            #expect(try await store.forgetIdempotencyKeys(before: cutoff, limit: 2) == 2)
            #expect(try await store.forgetIdempotencyKeys(before: cutoff, limit: 2) == 1)
            #expect(try await store.forgetIdempotencyKeys(before: cutoff, limit: 2) == 0)
            let kept = try await store.backend.read { db in try db.strings("SELECT key FROM idempotency_keys ORDER BY key") }
            #expect(kept == ["k3", "k4"])
            // The replay of a forgotten key is a new request for items already in a parcel.
            await #expect {
                try await store.issueReturn(issuance(request(dispute: "D-0", seller: "S-0"), key: "k0", hash: "h0"))
            } throws: { ($0 as? ReturnRefusal)?.code == .itemAlreadyReturned && "\($0)".contains(parcels[0].id) }
            let replay = try await store.issueReturn(issuance(request(dispute: "D-3", seller: "S-3"), key: "k3", hash: "h3"))
            #expect(replay.kind == .replayed && replay.parcel.id == parcels[3].id)
            // Nothing but the keys went: the parcels and their events stay.
            for p in parcels { #expect(try await store.parcel(id: p.id) != nil) }

            let plan = try await store.backend.read { db -> String in
                if kind == .postgresql { try db.execute("SET LOCAL enable_seqscan = off") }
                let rows = try db.rows("\(kind == .sqlite ? "EXPLAIN QUERY PLAN" : "EXPLAIN") \(SQLReturnStore.agedIdempotencyKeysQuery)", [cutoff, 10])
                return rows.map { $0[kind == .sqlite ? "detail" : "QUERY PLAN"] as String }.joined(separator: "\n")
            }
            #expect(plan.contains("idempotency_keys_created_at"), "\(plan)")
        }
    }

    @Test("a parcel's and a dispute's events are listed oldest first with their delivery state, and no other's", arguments: StoreKind.allCases)
    func outboxOfParcel(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let first = try await store.issueReturn(issuance(request(dispute: "D-1", seller: "S-1"))).parcel
            let other = try await store.issueReturn(issuance(request(dispute: "D-2", seller: "S-2"))).parcel
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: first.id, status: .droppedOff, source: .kiosk, occurredAt: Date()))
            let issued = try #require(try await store.outbox(parcelID: first.id).first)
            try await store.markDelivered(seq: issued.seq, at: Date())
            let events = try await store.outbox(parcelID: first.id)
            #expect(events.map(\.type) == ["return.label_issued", "return.dropped_off"])
            #expect(events.map(\.state) == [.delivered, .pending])
            #expect(events.allSatisfy { $0.parcelID == first.id && $0.disputeID == "D-1" })
            #expect(try await store.outbox(parcelID: other.id).map(\.type) == ["return.label_issued"])
            #expect(try await store.outbox(parcelID: "prc_NONE").isEmpty)
            #expect(try await store.outbox(disputeID: "D-1") == events)
            #expect(try await store.outbox(disputeID: "D-2").map(\.parcelID) == [other.id])
        }
    }

    @Test("a parcel's and a dispute's events are found through the parcel's own history and item rows (a join, status changes, an inspection, a package under a used label): every event the outbox holds for it, none read by the outbox's parcel column", arguments: StoreKind.allCases)
    func outboxFoundThroughParcelRows(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let now = Date()
            let first = try await store.issueReturn(issuance(request(dispute: "D-1", order: "O-1", skus: ["A"]))).parcel
            let joined = try await store.issueReturn(issuance(request(dispute: "D-2", order: "O-2", skus: ["B"])))
            #expect(joined.kind == .joined && joined.parcel.id == first.id)
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: first.id, status: .droppedOff, source: .kiosk, occurredAt: now))
            let package = try await store.issueReturn(issuance(request(dispute: "D-3", order: "O-1", skus: ["C"])))
            #expect(package.kind == .reusedLabel)
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: first.id, status: .arrivedAtWarehouse, source: .scanner, occurredAt: now))
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: first.id, status: .inspected, source: .scanner, occurredAt: now,
                                                                 inspection: [ItemInspection(sku: "A", outcome: .accepted), ItemInspection(sku: "B", outcome: .rejected, reason: "worn")]))
            let other = try await store.issueReturn(issuance(request(dispute: "D-4", seller: "S-2", skus: ["D"]))).parcel
            // What the whole outbox holds for each, read as before.
            func scanned(_ column: String, _ value: String) async throws -> [String] {
                try await store.backend.read { db in try db.strings("SELECT event_id FROM outbox WHERE \(column) = ? ORDER BY seq", [value]) }
            }
            let byParcel = [first.id: try await scanned("parcel_id", first.id), package.parcel.id: try await scanned("parcel_id", package.parcel.id), other.id: try await scanned("parcel_id", other.id)]
            let byDispute = ["D-1": try await scanned("dispute_id", "D-1"), "D-2": try await scanned("dispute_id", "D-2"), "D-3": try await scanned("dispute_id", "D-3")]
            #expect(byParcel[first.id]?.count == 8, "\(byParcel)")  // two label events, then each dispute dropped off, arrived and inspected
            #expect(byDispute["D-2"]?.count == 4 && byParcel[package.parcel.id]?.count == 1)
            // The outbox's own parcel column no longer points anywhere: only the parcel's rows can find them.
            try await store.backend.write { db in try db.execute("UPDATE outbox SET parcel_id = 'P-ELSEWHERE'") }
            for (parcelID, events) in byParcel { #expect(try await store.outbox(parcelID: parcelID).map(\.eventID) == events, "\(parcelID)") }
            for (disputeID, events) in byDispute { #expect(try await store.outbox(disputeID: disputeID).map(\.eventID) == events, "\(disputeID)") }
            #expect(try await store.outbox(parcelID: "P-NONE").isEmpty)
            #expect(try await store.outbox(disputeID: "D-NONE").isEmpty)
            // One index lookup per id, whatever the outbox's size.
            let plan = try await store.backend.read { db -> String in
                if kind == .postgresql { try db.execute("SET LOCAL enable_seqscan = off") }
                let rows = try db.rows("\(kind == .sqlite ? "EXPLAIN QUERY PLAN" : "EXPLAIN") \(SQLReturnStore.eventsByIDQuery(db.dialect))", [#"["evt_1","evt_2"]"#])
                return rows.map { $0[kind == .sqlite ? "detail" : "QUERY PLAN"] as String }.joined(separator: "\n")
            }
            #expect(plan.contains(kind == .sqlite ? "USING INDEX sqlite_autoindex_outbox" : "outbox_event_id_key"), "\(plan)")
        }
    }

    @Test("parcels are listed by status, country, carrier, warehouse and age, least recently changed first, with how many match", arguments: StoreKind.allCases)
    func parcelList(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let now = Date()
            var issued: [Parcel] = []
            for (i, daysAgo) in [20, 15, 10, 5].enumerated() {
                let r = request(dispute: "D-\(i)", seller: "S-\(i)", country: i == 3 ? "DE" : "FR")
                issued.append(try await store.issueReturn(issuance(r, now: now.addingTimeInterval(-Double(daysAgo) * 86400))).parcel)
            }
            // The oldest moves on today: it is the least recently changed no more.
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: issued[0].id, status: .droppedOff, source: .kiosk, occurredAt: now))
            // A package under the oldest's used label shows that label's number.
            let package = try await store.issueReturn(issuance(request(dispute: "D-0", order: "O-D-0", seller: "S-0", skus: ["B"]), now: now.addingTimeInterval(60))).parcel
            #expect(package.labelOf == issued[0].id)

            let all = try await store.parcels(ParcelFilter(), limit: 10)
            #expect(all.matching == 5)
            #expect(all.parcels.map(\.id) == [issued[1].id, issued[2].id, issued[3].id, issued[0].id, package.id])
            let listed = try #require(all.parcels.first { $0.id == package.id })
            #expect(listed.trackingNumber == issued[0].trackingNumber && listed.labelOf == issued[0].id && listed.status == .labelIssued)
            let first = try #require(all.parcels.first)
            #expect(first.trackingNumber == issued[1].trackingNumber && first.country == "FR" && first.carrierID == "fr_colissimo" && first.warehouseID == "WH-FR")
            #expect(abs(first.changedAt.timeIntervalSince(now.addingTimeInterval(-15 * 86400))) < 0.001)
            #expect(abs(first.createdAt.timeIntervalSince(first.changedAt)) < 0.001)

            let limited = try await store.parcels(ParcelFilter(), limit: 2)
            #expect(limited.parcels.map(\.id) == [issued[1].id, issued[2].id] && limited.matching == 5)
            #expect(try await store.parcels(ParcelFilter(status: .droppedOff), limit: 10).parcels.map(\.id) == [issued[0].id])
            #expect(try await store.parcels(ParcelFilter(country: "DE"), limit: 10).parcels.map(\.id) == [issued[3].id])
            let stale = try await store.parcels(ParcelFilter(status: .labelIssued, country: "FR", changedBefore: now.addingTimeInterval(-12 * 86400)), limit: 10)
            #expect(stale.parcels.map(\.id) == [issued[1].id] && stale.matching == 1)
            #expect(try await store.parcels(ParcelFilter(carrierID: "fr_colissimo", warehouseID: "WH-FR"), limit: 10).matching == 5)
            let none = try await store.parcels(ParcelFilter(warehouseID: "WH-NONE"), limit: 10)
            #expect(none.parcels.isEmpty && none.matching == 0)
        }
    }

    @Test("--flagged lists the boxes returnd could not move on: misrouted and not received since, read after expiry, or reported by the carrier after expiry", arguments: StoreKind.allCases)
    func flaggedParcelList(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let p = try await store.parcelsOfOwnSellers(7)
            let at = Date()
            let read = { (parcel: Parcel, warehouse: String) in WarehouseReceipt.read(parcel, at: warehouse, when: at) }
            _ = try await store.recordReceipt(read(p[0], "WH-DE"))  // misrouted, still on its way
            _ = try await store.recordReceipt(read(p[1], "WH-DE"))  // misrouted, then received at its own
            _ = try await store.recordReceipt(read(p[1], "WH-FR"))
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: p[2].id, status: .expired, source: .timer, occurredAt: at))
            _ = try await store.recordReceipt(read(p[2], "WH-FR"))  // read after it expired
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: p[3].id, status: .expired, source: .timer, occurredAt: at))  // expired, never read
            _ = try await store.recordReceipt(read(p[4], "WH-FR"))  // received as it should be
            // The carrier took it after it expired (its acceptance came after), or before (its
            // acceptance dated a year before issue, stored before the expiry: moved nothing then).
            let accepted = TrackingEventRecord(code: "PC1", description: "accepted", occurredAt: at, location: nil, status: .inTransit)
            let old = TrackingEventRecord(code: "DI1", description: "delivered", occurredAt: at.addingTimeInterval(-365 * 86400), location: nil, status: .arrivedAtWarehouse)
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: p[5].id, status: .expired, source: .timer, occurredAt: at))
            _ = try await store.recordPoll(PollRecord(parcelID: p[5].id, outcome: .events([accepted]), polledAt: at.addingTimeInterval(60), nextPollAt: at))
            _ = try await store.recordPoll(PollRecord(parcelID: p[6].id, outcome: .events([old]), polledAt: at.addingTimeInterval(-60), nextPollAt: at))
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: p[6].id, status: .expired, source: .timer, occurredAt: at))
            let flagged = try await store.parcels(ParcelFilter(flaggedReads: true), limit: 10)
            #expect(Set(flagged.parcels.map(\.id)) == [p[0].id, p[2].id, p[5].id] && flagged.matching == 3)
            #expect(try await store.parcels(ParcelFilter(status: .expired, flaggedReads: true), limit: 10).parcels.map(\.id).sorted() == [p[2].id, p[5].id].sorted())
            #expect(try await store.parcels(ParcelFilter(), limit: 10).matching == 7)
        }
    }

    @Test("--unscanned lists the parcels their carrier delivered to the warehouse that no scanner there has read, a misrouted read elsewhere included, and no other", arguments: StoreKind.allCases)
    func unscannedArrivalList(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let p = try await store.parcelsOfOwnSellers(5)
            let at = Date()
            let read = { (parcel: Parcel, warehouse: String) in WarehouseReceipt.read(parcel, at: warehouse, when: at) }
            for i in 0..<3 {
                _ = try await store.changeStatus(StatusChangeRequest(parcelID: p[i].id, status: .arrivedAtWarehouse, source: .carrier, occurredAt: at))
            }
            _ = try await store.recordReceipt(read(p[1], "WH-FR"))  // the carrier's arrival, then its scan
            _ = try await store.recordReceipt(read(p[2], "WH-DE"))  // read at another warehouse only
            _ = try await store.recordReceipt(read(p[3], "WH-FR"))  // a scanner first, no carrier arrival
            let unscanned = try await store.parcels(ParcelFilter(unscannedArrivals: true), limit: 10)
            #expect(Set(unscanned.parcels.map(\.id)) == [p[0].id, p[2].id] && unscanned.matching == 2)
            // After the timer's pass, which forgets the confirmed ones, the same.
            _ = try await store.unconfirmedArrivals(before: at.addingTimeInterval(60))
            #expect(Set(try await store.parcels(ParcelFilter(unscannedArrivals: true), limit: 10).parcels.map(\.id)) == [p[0].id, p[2].id])
            #expect(try await store.parcels(ParcelFilter(country: "DE", unscannedArrivals: true), limit: 10).matching == 0)
        }
    }

    @Test("--dispute lists the parcels holding an item of that dispute, whichever parcel each item went into, and no other", arguments: StoreKind.allCases)
    func parcelsOfDispute(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            // D-1's items go to two sellers, so two parcels; D-2 joins the first seller's parcel; D-3 is apart.
            let first = try await store.issueReturn(issuance(request(dispute: "D-1", seller: "S-1", skus: ["A"]))).parcel
            let second = try await store.issueReturn(issuance(request(dispute: "D-1", seller: "S-2", skus: ["B"]))).parcel
            let joined = try await store.issueReturn(issuance(request(dispute: "D-2", seller: "S-1", skus: ["C"]))).parcel
            let apart = try await store.issueReturn(issuance(request(dispute: "D-3", seller: "S-3", skus: ["D"]))).parcel
            #expect(joined.id == first.id && apart.id != first.id)
            let d1 = try await store.parcels(ParcelFilter(disputeID: "D-1"), limit: 10)
            #expect(Set(d1.parcels.map(\.id)) == [first.id, second.id] && d1.matching == 2)
            #expect(try await store.parcels(ParcelFilter(disputeID: "D-2"), limit: 10).parcels.map(\.id) == [first.id])
            #expect(try await store.parcels(ParcelFilter(status: .labelIssued, disputeID: "D-3"), limit: 10).parcels.map(\.id) == [apart.id])
            #expect(try await store.parcels(ParcelFilter(disputeID: "D-9"), limit: 10).matching == 0)
        }
    }

    @Test("an item already in a parcel cannot be returned again", arguments: StoreKind.allCases)
    func duplicateItem(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            _ = try await store.issueReturn(issuance(request(skus: ["A"])))
            await #expect {
                try await store.issueReturn(issuance(request(skus: ["A"])))
            } throws: { ($0 as? ReturnRefusal)?.code == .itemAlreadyReturned }
        }
    }

    @Test("two instances issuing at once never share a tracking number and never fork a group", arguments: StoreKind.allCases)
    func concurrentAllocation(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let second = try await t.another()
            let stores = [t.store, second]
            let parcels = try await withThrowingTaskGroup(of: Parcel.self) { group in
                for i in 0..<200 {
                    // 100 distinct sellers, two requests each (one per instance): 100 parcels of two items.
                    let store = stores[i % 2]
                    group.addTask { try await store.issueReturn(issuance(request(dispute: "D-\(i)", seller: "S-\(i / 2)", skus: ["SKU-\(i)"]))).parcel }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            try await second.close()
            let ids = Set(parcels.map(\.id))
            #expect(ids.count == 100)
            var final: [Parcel] = []
            for id in ids { final += [try await t.store.parcel(id: id)].compactMap { $0 } }
            #expect(Set(final.map(\.trackingNumber)).count == 100)
            #expect(final.allSatisfy { $0.items.count == 2 })
            // SQLite takes each serial in the parcel's transaction: no gaps. PostgreSQL reserves
            // blocks per instance, one at a time per instance: the counter is ahead by what the
            // two instances hold unused, plus one serial per losing side of a grouping race
            // (its transaction ran again; at most one per request here).
            let next = try #require(try await t.store.serialCounters().first?.next)
            let block = t.store.backend.dialect.serialBlock
            if block == 1 { #expect(next == 10_000_100) } else { #expect((10_000_100...10_000_000 + 200 + 2 * block).contains(next)) }
        }
    }

    @Test("the same item requested at once through two instances gets one place: the first joins the open parcel, every other request is refused, whatever its group", arguments: StoreKind.allCases)
    func concurrentRequestsForOneItem(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let second = try await t.another()
            let stores = [t.store, second]
            // The buyer's open parcel, which the requests for D-2's item B join.
            let open = try await t.store.issueReturn(issuance(request(dispute: "D-1", skus: ["A"]))).parcel
            for round in 0..<5 {
                let sku = "B-\(round)"
                let outcomes = await withTaskGroup(of: Result<ReturnIssuanceOutcome, any Error>.self) { group in
                    for i in 0..<8 {
                        // A retry with a key of its own, or none; one in four from the buyer's
                        // other address (another group, another parcel).
                        let r = request(dispute: "D-2", skus: [sku], country: i % 4 == 3 ? "BE" : "FR")
                        let store = stores[i % 2]
                        group.addTask { await Result { try await store.issueReturn(issuance(r, key: i % 2 == 0 ? "k-\(round)-\(i)" : nil)) } }
                    }
                    return await group.reduce(into: []) { $0.append($1) }
                }
                let taken = outcomes.compactMap { try? $0.get() }
                let refused = outcomes.compactMap { result -> ReturnRefusal.Code? in
                    if case .failure(let error) = result { return (error as? ReturnRefusal)?.code }
                    return nil
                }
                #expect(taken.count == 1 && refused == Array(repeating: .itemAlreadyReturned, count: 7), "round \(round): \(outcomes)")
                let holders = try await t.store.parcels(ParcelFilter(disputeID: "D-2"), limit: 100).parcels.map(\.id)
                var copies = 0
                for id in holders { copies += try await t.store.parcel(id: id)?.items.filter { $0.sku == sku }.count ?? 0 }
                #expect(copies == 1, "round \(round): item \(sku) is in parcels \(copies) times")
            }
            try await second.close()
            #expect(try await t.store.parcel(id: open.id)?.status == .labelIssued)
            #expect(try await t.store.consistencyProblems() == [])
        }
    }

    @Test("an exhausted serial range is a clear refusal, and numbers are not reused", arguments: StoreKind.allCases)
    func exhaustion(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let range = 10_000_000...10_000_001
            let a = try await store.issueReturn(issuance(request(dispute: "D-a", seller: "S-a"), range: range))
            let b = try await store.issueReturn(issuance(request(dispute: "D-b", seller: "S-b"), range: range))
            #expect(a.parcel.trackingNumber != b.parcel.trackingNumber)
            await #expect {
                try await store.issueReturn(issuance(request(dispute: "D-c", seller: "S-c"), range: range))
            } throws: { ($0 as? ReturnRefusal)?.code == .serialRangeExhausted }
            #expect(try await store.serialCounters().first?.remaining == 0)
            // Widening the range in the carrier file resumes allocation after the last number.
            let c = try await store.issueReturn(issuance(request(dispute: "D-c", seller: "S-c"), range: 10_000_000...10_000_005))
            #expect(c.parcel.trackingNumber.contains("10000002"))
        }
    }

    @Test("a committed parcel is there when the store is opened again", arguments: StoreKind.allCases)
    func durableAcrossReopen(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let p = try await t.store.issueReturn(issuance(request())).parcel
            let reopened = try await t.another()
            #expect(try await reopened.parcel(trackingNumber: p.trackingNumber)?.id == p.id)
            #expect(try await reopened.parcel(returnCode: p.returnCode)?.id == p.id)
            try await reopened.close()
        }
    }

    @Test("tokens are found by hash only while not revoked", arguments: StoreKind.allCases)
    func tokens(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let secret = AccessToken.newSecret()
            let token = AccessToken(id: AccessToken.newID(), role: .kiosk, scope: "FR-PARIS-1", label: nil, createdAt: Date())
            try await store.createToken(token, secretHash: AccessToken.hash(secret: secret))
            #expect(try await store.activeToken(secretHash: AccessToken.hash(secret: secret))?.id == token.id)
            #expect(try await store.activeToken(secretHash: AccessToken.hash(secret: secret + "x")) == nil)
            #expect(try await store.revokeToken(id: token.id, at: Date()))
            #expect(try await !store.revokeToken(id: token.id, at: Date()))
            #expect(try await store.activeToken(secretHash: AccessToken.hash(secret: secret)) == nil)
            #expect(try await store.tokens().first?.revokedAt != nil)
        }
    }

    @Test("status changes move forward with history and dispute events; a repeat or a late step writes nothing; an illegal move is refused", arguments: StoreKind.allCases)
    func statusChanges(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let p = try await store.issueReturn(issuance(request())).parcel
            let drop = StatusChangeRequest(parcelID: p.id, status: .droppedOff, source: .kiosk, occurredAt: Date(), location: "FR-PARIS-1")
            #expect(try await store.changeStatus(drop).changed)
            #expect(try await !store.changeStatus(drop).changed)
            let arrived = StatusChangeRequest(parcelID: p.id, status: .arrivedAtWarehouse, source: .scanner, occurredAt: Date(), location: "WH-FR")
            #expect(try await store.changeStatus(arrived).parcel.status == .arrivedAtWarehouse)
            // A late kiosk report changes nothing; expiring a parcel in the warehouse is refused.
            #expect(try await !store.changeStatus(drop).changed)
            await #expect(throws: ParcelStateMachine.IllegalTransition.self) {
                try await store.changeStatus(StatusChangeRequest(parcelID: p.id, status: .expired, source: .timer, occurredAt: Date()))
            }
            let stored = try #require(try await store.parcel(id: p.id))
            #expect(stored.history.map(\.status) == [.labelIssued, .droppedOff, .arrivedAtWarehouse])
            #expect(try await store.outbox(state: nil, limit: 10).map(\.type) == ["return.label_issued", "return.dropped_off", "return.arrived_at_warehouse"])
            await #expect(throws: StoreError.self) {
                try await store.changeStatus(StatusChangeRequest(parcelID: "P-NOPE", status: .droppedOff, source: .kiosk, occurredAt: Date()))
            }
        }
    }

    @Test("a read of a parcel that expired is kept once as its receipt, moves nothing and tells no dispute", arguments: StoreKind.allCases)
    func receiptOfExpiredParcel(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let p = try await store.issueReturn(issuance(request())).parcel
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: p.id, status: .expired, source: .timer, occurredAt: Date()))
            let pending = try await store.outboxStats().pending
            let at = Date(timeIntervalSince1970: 1_795_000_000)
            let read = WarehouseReceipt(parcelID: p.id, warehouseID: "WH-FR", code: p.trackingNumber, scannedAt: at, receivedAt: at, scannerTokenID: "T1")
            for _ in 0..<2 {
                guard case .closed(let parcel) = try await store.recordReceipt(read) else { Issue.record("not flagged as closed"); return }
                #expect(parcel.status == .expired)
            }
            #expect(try await store.parcel(id: p.id)?.status == .expired)
            #expect(try await store.receipts(parcelID: p.id).map(\.warehouseID) == ["WH-FR"])
            #expect(try await store.outboxStats().pending == pending)
        }
    }

    @Test("a retried receipt is kept once; a read at another warehouse is kept, flagged, and moves nothing", arguments: StoreKind.allCases)
    func receipts(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let p = try await store.issueReturn(issuance(request())).parcel
            let at = Date(timeIntervalSince1970: 1_795_000_000.123)
            let wrong = WarehouseReceipt(parcelID: p.id, warehouseID: "WH-DE", code: p.trackingNumber, scannedAt: at, receivedAt: at, scannerTokenID: "T1")
            guard case .misrouted(_, let expected) = try await store.recordReceipt(wrong) else { Issue.record("not flagged"); return }
            #expect(expected == "WH-FR")
            #expect(try await store.parcel(id: p.id)?.status == .labelIssued)
            let right = WarehouseReceipt(parcelID: p.id, warehouseID: "WH-FR", code: p.trackingNumber, scannedAt: at, receivedAt: at, scannerTokenID: "T1")
            guard case .arrived(let first) = try await store.recordReceipt(right), case .arrived(let again) = try await store.recordReceipt(right) else {
                Issue.record("not arrived"); return
            }
            #expect(first.changed && !again.changed)
            let kept = try await store.receipts(parcelID: p.id)
            #expect(kept.map(\.misrouted) == [true, false])
            #expect(kept.allSatisfy { abs($0.scannedAt.timeIntervalSince(at)) < 0.001 })
            // Inspection: one outcome per item, read back per dispute.
            let inspected = try await store.changeStatus(StatusChangeRequest(
                parcelID: p.id, status: .inspected, source: .scanner, occurredAt: Date(), inspection: [ItemInspection(sku: "A", outcome: .accepted)]))
            #expect(inspected.parcel.status == .inspected)
            #expect(try await store.inspection(parcelID: p.id).map(\.outcome) == [.accepted])
        }
    }

    /// 85 = 64 + 16 + 4 + 1: every size of statement `RowInsert` writes, each row's values kept
    /// with their row and the rows in order.
    @Test("a parcel of 85 items stores every item, verdict and dispute event whole and in order, many rows to a statement", arguments: StoreKind.allCases)
    func manyRowsToAStatement(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            // One request of 85 items, then 85 more requests of one item, each its own dispute.
            let skus = (0..<85).map { "K\($0)" }
            var r = request(dispute: "D-0", skus: skus)
            r.items = r.items.enumerated().map { n, item in
                var item = item
                item.quantity = n + 1
                item.unitPrice = Money(amount: "\(n).50", currency: "EUR")
                return item
            }
            let first = try await store.issueReturn(issuance(r)).parcel
            #expect(first.items.map { "\($0.sku) \($0.quantity) \($0.unitPrice.amount)" } == (0..<85).map { "K\($0) \($0 + 1) \($0).50" })
            for n in 1...85 { _ = try await store.issueReturn(issuance(request(dispute: "D-\(n)", skus: ["J"]))) }
            let p = try #require(try await store.parcel(id: first.id))
            #expect(p.items.count == 170)
            #expect(p.items.suffix(85).map(\.disputeID) == (1...85).map { "D-\($0)" })
            let at = Date()
            _ = try await store.recordReceipt(WarehouseReceipt(parcelID: p.id, warehouseID: "WH-FR", code: p.trackingNumber, scannedAt: at, receivedAt: at, scannerTokenID: "T1"))
            let arrived = try await store.outbox(parcelID: p.id).filter { $0.type == "return.arrived_at_warehouse" }
            #expect(arrived.map(\.disputeID) == (0...85).map { "D-\($0)" })
            #expect(Set(arrived.map(\.eventID)).count == 86)
            // Every third item rejected, each with a reason of its own.
            let verdicts = p.items.enumerated().map { n, item in
                ItemInspection(sku: item.sku, disputeID: item.disputeID, outcome: n % 3 == 0 ? .rejected : .accepted, reason: n % 3 == 0 ? "seal \(n)" : nil)
            }
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: p.id, status: .inspected, source: .scanner, occurredAt: at, inspection: verdicts))
            let stored = try await store.inspection(parcelID: p.id)
            #expect(stored.map { "\($0.disputeID ?? "-")/\($0.sku) \($0.outcome) \($0.reason ?? "-")" }
                == verdicts.map { "\($0.disputeID ?? "-")/\($0.sku) \($0.outcome) \($0.reason ?? "-")" })
            let inspected = try await store.outbox(parcelID: p.id).filter { $0.type == "return.inspected" }
            #expect(inspected.map(\.disputeID) == (0...85).map { "D-\($0)" })
            // D-0's event carries its 85 verdicts; D-84's its one item, the parcel's 169th.
            let head = try #require(try JSONSerialization.jsonObject(with: Data(inspected[0].payload.utf8)) as? [String: Any])
            #expect((head["inspection"] as? [[String: Any]])?.compactMap { $0["sku"] as? String } == skus)
            #expect(inspected[84].payload.contains("\"reason\":\"seal 168\""))
        }
    }

    @Test("an inspection is read back, and told to each dispute, in the order of the parcel's items, not of its skus' text", arguments: StoreKind.allCases)
    func inspectionInItemOrder(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            // By bytes "B" < "a" < "c"; the items go in as c, a, B and D-2's b after them.
            let p = try await store.issueReturn(issuance(request(dispute: "D-1", skus: ["c", "a", "B"]))).parcel
            _ = try await store.issueReturn(issuance(request(dispute: "D-2", skus: ["b"])))
            let at = Date()
            _ = try await store.recordReceipt(WarehouseReceipt(parcelID: p.id, warehouseID: "WH-FR", code: p.trackingNumber, scannedAt: at, receivedAt: at, scannerTokenID: "T1"))
            // The verdicts come in yet another order.
            let verdicts = ["B", "b", "a", "c"].map { ItemInspection(sku: $0, outcome: $0 == "a" ? .rejected : .accepted, reason: $0 == "a" ? "used" : nil) }
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: p.id, status: .inspected, source: .scanner, occurredAt: at, inspection: verdicts))
            #expect(try await store.inspection(parcelID: p.id).map { "\($0.disputeID ?? "-")/\($0.sku)" } == ["D-1/c", "D-1/a", "D-1/B", "D-2/b"])
            let told = try await store.outbox(parcelID: p.id).filter { $0.type == "return.inspected" }
            #expect(told.map(\.disputeID) == ["D-1", "D-2"])
            let first = try #require(told.first?.payload.data(using: .utf8))
            let json = try #require(try JSONSerialization.jsonObject(with: first) as? [String: Any])
            #expect((json["inspection"] as? [[String: Any]])?.compactMap { $0["sku"] as? String } == ["c", "a", "B"])
        }
    }

    @Test("a receipt prepared from the route's read writes the same as one without; a read gone stale is done again in the writer", arguments: StoreKind.allCases)
    func receiptsFromASeenParcel(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let at = Date(timeIntervalSince1970: 1_795_000_000.123)
            // Fresh read: the prepared change is applied.
            let p = try await store.issueReturn(issuance(request(dispute: "D-1", seller: "S-1"))).parcel
            let seen = try #require(try await store.parcel(id: p.id))
            let right = WarehouseReceipt(parcelID: p.id, warehouseID: "WH-FR", code: p.trackingNumber, scannedAt: at, receivedAt: at, scannerTokenID: "T1")
            guard case .arrived(let moved) = try await store.recordReceipt(right, seen: seen) else { Issue.record("not arrived"); return }
            #expect(moved.changed)
            #expect(moved.parcel.history.map(\.status) == [.labelIssued, .arrivedAtWarehouse])
            let stored = try #require(try await store.parcel(id: p.id))
            #expect(stored.status == .arrivedAtWarehouse)
            #expect(stored.history.map(\.status) == moved.parcel.history.map(\.status))
            #expect(stored.history.last?.detail == "at WH-FR")
            let events = try await store.outbox(state: nil, limit: 10).filter { $0.parcelID == p.id }
            #expect(events.map(\.type) == ["return.label_issued", "return.arrived_at_warehouse"])
            #expect(events.last.map { $0.payload.contains("\"status\":\"arrived_at_warehouse\"") } == true)
            // The same read again: a harmless repeat, nothing more written.
            guard case .arrived(let again) = try await store.recordReceipt(right, seen: stored) else { Issue.record("not arrived"); return }
            #expect(!again.changed)
            #expect(try await store.outbox(state: nil, limit: 10).filter { $0.parcelID == p.id }.count == 2)

            // Stale read: the parcel was dropped off after the route read it.
            let q = try await store.issueReturn(issuance(request(dispute: "D-2", seller: "S-2"))).parcel
            let stale = try #require(try await store.parcel(id: q.id))
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: q.id, status: .droppedOff, source: .kiosk, occurredAt: at))
            let receipt = WarehouseReceipt(parcelID: q.id, warehouseID: "WH-FR", code: q.trackingNumber, scannedAt: at, receivedAt: at, scannerTokenID: "T1")
            guard case .arrived(let fromWriter) = try await store.recordReceipt(receipt, seen: stale) else { Issue.record("not arrived"); return }
            #expect(fromWriter.changed)
            #expect(fromWriter.parcel.history.map(\.status) == [.labelIssued, .droppedOff, .arrivedAtWarehouse])
            #expect(try await store.parcel(id: q.id)?.history.map(\.status) == [.labelIssued, .droppedOff, .arrivedAtWarehouse])
            // Stale and at the wrong warehouse: flagged from the parcel as it now is.
            let r = try await store.issueReturn(issuance(request(dispute: "D-3", seller: "S-3"))).parcel
            let old = try #require(try await store.parcel(id: r.id))
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: r.id, status: .droppedOff, source: .kiosk, occurredAt: at))
            let wrong = WarehouseReceipt(parcelID: r.id, warehouseID: "WH-DE", code: r.trackingNumber, scannedAt: at, receivedAt: at, scannerTokenID: "T1")
            guard case .misrouted(let flagged, _) = try await store.recordReceipt(wrong, seen: old) else { Issue.record("not flagged"); return }
            #expect(flagged.status == .droppedOff)
        }
    }

    @Test("a scan resolved inside the write: found by each lookup it is recorded and answered with the parcel's receipts (the latest 20 of a box read again and again); a refused code writes nothing, even beside concurrent scans", arguments: StoreKind.allCases)
    func scansResolvedInTheWrite(_ kind: StoreKind) async throws {
        struct UnknownCode: Error, Equatable { var code: String }
        try await withStore(kind) { t in
            let store = t.store
            let at = Date(timeIntervalSince1970: 1_795_000_000.123)
            func receipt(_ warehouse: String) -> @Sendable (Parcel) -> WarehouseReceipt {
                { p in WarehouseReceipt(parcelID: p.id, warehouseID: warehouse, code: p.trackingNumber, scannedAt: at, receivedAt: at, scannerTokenID: "T1") }
            }
            // One parcel per lookup: by id, by tracking number, by return code.
            let parcels = try await (1...3).asyncMap { try await store.issueReturn(issuance(request(dispute: "D-\($0)", seller: "S-\($0)"))).parcel }
            let lookups: [@Sendable (any ParcelFinder) throws -> Parcel?] = [
                { [id = parcels[0].id] in try $0.parcel(id: id) },
                { [tn = parcels[1].trackingNumber] in try $0.parcel(trackingNumber: tn) },
                { [rc = parcels[2].returnCode] in try $0.parcel(returnCode: rc) },
            ]
            for (p, lookup) in zip(parcels, lookups) {
                let scanned = try await store.recordScan(resolve: { finder in try lookup(finder).map { .found($0) } ?? .refused(UnknownCode(code: "?")) }, receipt: receipt("WH-FR"))
                guard case .arrived(let change) = scanned.outcome else { Issue.record("not arrived"); continue }
                #expect(change.changed && change.parcel.id == p.id && change.parcel.status == .arrivedAtWarehouse)
                #expect(scanned.receipts.map(\.warehouseID) == ["WH-FR"])
                #expect(try await store.parcel(id: p.id)?.status == .arrivedAtWarehouse)
                #expect(try await store.outbox(state: nil, limit: 20).filter { $0.parcelID == p.id }.map(\.type) == ["return.label_issued", "return.arrived_at_warehouse"])
            }
            // The same scan again, then one at the wrong warehouse: both answered with every receipt so far.
            let again = try await store.recordScan(resolve: { [id = parcels[0].id] in .found(try #require(try $0.parcel(id: id))) }, receipt: receipt("WH-FR"))
            guard case .arrived(let repeated) = again.outcome else { Issue.record("not arrived"); return }
            #expect(!repeated.changed && again.receipts.count == 1)
            let fourth = try await store.issueReturn(issuance(request(dispute: "D-4", seller: "S-4"))).parcel
            let wrong = try await store.recordScan(resolve: { [id = fourth.id] in .found(try #require(try $0.parcel(id: id))) }, receipt: receipt("WH-DE"))
            guard case .misrouted(let flagged, "WH-FR") = wrong.outcome else { Issue.record("not flagged"); return }
            #expect(flagged.status == .labelIssued && wrong.receipts.map(\.misrouted) == [true])

            // Refused codes among 60 concurrent scans: each refusal is thrown as given and writes nothing; the others commit.
            let many = try await (0..<30).asyncMap { try await store.issueReturn(issuance(request(dispute: "M-\($0)", seller: "MS-\($0)"))).parcel }
            let outcomes = await withTaskGroup(of: (Int, Result<ReceiptOutcome, UnknownCode>).self) { group in
                for i in 0..<60 {
                    group.addTask {
                        let code = i % 2 == 0 ? many[i / 2].trackingNumber : "NOPE-\(i)"
                        do {
                            let s = try await store.recordScan(resolve: { finder in try finder.parcel(trackingNumber: code).map { .found($0) } ?? .refused(UnknownCode(code: code)) }, receipt: receipt("WH-FR"))
                            return (i, .success(s.outcome))
                        } catch {
                            return (i, .failure(error as? UnknownCode ?? UnknownCode(code: "unexpected \(error)")))
                        }
                    }
                }
                return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            for i in 0..<60 {
                switch outcomes[i] {
                case .success(.arrived(let change)): #expect(i % 2 == 0 && change.changed, "scan \(i)")
                case .failure(let refusal): #expect(i % 2 == 1 && refusal == UnknownCode(code: "NOPE-\(i)"), "scan \(i)")
                default: Issue.record("scan \(i): \(String(describing: outcomes[i]))")
                }
            }
            #expect(try await many.asyncMap { try await store.parcel(id: $0.id)?.status } == Array(repeating: .arrivedAtWarehouse, count: 30))
            let counts = try await store.parcelCounts().filter { $0.status == .arrivedAtWarehouse }.reduce(0) { $0 + $1.count }
            #expect(counts == 33)

            // A box read 25 times: every read stored, the answer the latest 20, oldest first.
            let times = (1...25).map { at.addingTimeInterval(Double($0)) }
            var last: ScannedReceipt?
            for time in times {
                last = try await store.recordScan(resolve: { [id = parcels[1].id] in .found(try #require(try $0.parcel(id: id))) }, receipt: { p in
                    WarehouseReceipt(parcelID: p.id, warehouseID: "WH-FR", code: p.trackingNumber, scannedAt: time, receivedAt: time, scannerTokenID: "T1")
                })
            }
            // In milliseconds: PostgreSQL keeps microseconds, and a Date read back may differ below them.
            func ms(_ dates: [Date]?) -> [Int64]? { dates?.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } }
            #expect(ms(last?.receipts.map(\.scannedAt)) == ms(Array(times.suffix(ScannedReceipt.latestCount))))
            #expect(ms(try await store.receipts(parcelID: parcels[1].id).map(\.scannedAt)) == ms([at] + times))
        }
    }

    @Test("outbox: only each dispute's oldest event is claimed, a claim excludes other instances until delivered or expired", arguments: StoreKind.allCases)
    func outboxClaims(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let p1 = try await store.issueReturn(issuance(request(dispute: "D-1", seller: "S-1"))).parcel
            _ = try await store.issueReturn(issuance(request(dispute: "D-2", seller: "S-2")))
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: p1.id, status: .droppedOff, source: .kiosk, occurredAt: Date()))
            let other = try await t.another()
            let now = Date()
            let claimed = try await store.claimDueEvents(now: now, limit: 10, leaseUntil: now.addingTimeInterval(60))
            #expect(claimed.map(\.disputeID).sorted() == ["D-1", "D-2"])
            #expect(claimed.allSatisfy { $0.type == "return.label_issued" })
            // Another instance finds nothing: the heads are claimed, D-1's second event waits its turn.
            #expect(try await other.claimDueEvents(now: now, limit: 10, leaseUntil: now.addingTimeInterval(60)).isEmpty)
            let d1 = try #require(claimed.first { $0.disputeID == "D-1" })
            try await store.markDelivered(seq: d1.seq, at: now)
            let next = try await other.claimDueEvents(now: now, limit: 10, leaseUntil: now.addingTimeInterval(60))
            #expect(next.map(\.type) == ["return.dropped_off"])
            // Given back unsent (the dispute service was found down): claimable again at once, no
            // attempt counted.
            try await other.releaseEvents(seqs: next.map(\.seq))
            let again = try await store.claimDueEvents(now: now, limit: 10, leaseUntil: now.addingTimeInterval(60))
            #expect(again.map(\.seq) == next.map(\.seq) && again.allSatisfy { $0.attempts == 0 })
            // D-2's claimer died: once its lease ran out, another instance takes the event over.
            let later = now.addingTimeInterval(61)
            let takenOver = try await other.claimDueEvents(now: later, limit: 10, leaseUntil: later.addingTimeInterval(60))
            #expect(takenOver.map(\.disputeID).sorted() == ["D-1", "D-2"])
            try await other.close()
            // A failure schedules a retry and frees the claim; a dead event holds back nothing else.
            let d2 = try #require(takenOver.first { $0.disputeID == "D-2" })
            try await store.markFailed(seq: d2.seq, nextAttemptAt: later.addingTimeInterval(5), error: "HTTP 503")
            #expect(try await store.claimDueEvents(now: later.addingTimeInterval(5), limit: 10, leaseUntil: later.addingTimeInterval(65)).map(\.seq) == [d2.seq])
            #expect(try await store.outboxStats().pending == 2)
            // Given up on: counted dead, no longer pending, and not the oldest pending.
            try await store.markDead(seq: d2.seq, at: later, error: "HTTP 410")
            let stats = try await store.outboxStats()
            let oldest = try #require(try await store.outboxEntry(id: next[0].eventID)).createdAt
            #expect(stats.pending == 1 && stats.dead == 1 && stats.oldestPendingCreatedAt == oldest, "\(stats)")
            // After an outage longer than the dead-letter age, every dead letter is due again at
            // once (`returnctl outbox retry --all-dead`); pending and delivered events stay as they are.
            #expect(try await store.retryDeadEvents(at: later) == 1)
            let revived = try await store.outboxStats()
            #expect(revived.pending == 2 && revived.dead == 0, "\(revived)")
            #expect(try await store.claimDueEvents(now: later, limit: 10, leaseUntil: later.addingTimeInterval(60)).map(\.seq) == [d2.seq])
            #expect(try await store.retryDeadEvents(at: later) == 0)
            // Read from the undelivered events' index, not every event ever stored.
            let plan = try await store.backend.read { db -> String in
                if t.kind == .postgresql { try db.execute("SET LOCAL enable_seqscan = off") }
                return try db.rows("\(t.kind == .sqlite ? "EXPLAIN QUERY PLAN" : "EXPLAIN") \(SQLReturnStore.outboxStatsQuery)", [])
                    .map { $0[t.kind == .sqlite ? "detail" : "QUERY PLAN"] as String }.joined(separator: "\n")
            }
            #expect(plan.contains("outbox_undelivered"), "\(plan)")
        }
    }

    @Test("outbox: an event set aside is kept with its reason, no longer holds back its dispute, is neither pending nor dead, and no retry sends it", arguments: StoreKind.allCases)
    func outboxSetAside(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let p1 = try await store.issueReturn(issuance(request(dispute: "D-1", seller: "S-1"))).parcel
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: p1.id, status: .droppedOff, source: .kiosk, occurredAt: Date()))
            // Whole seconds: a date read back is compared with it.
            let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.up))
            let head = try #require(try await store.claimDueEvents(now: now, limit: 10, leaseUntil: now.addingTimeInterval(60)).first)
            #expect(head.type == "return.label_issued")
            // Refused by the dispute service until given up on: it holds back D-1's next event.
            try await store.markDead(seq: head.seq, at: now, error: "HTTP 422")
            #expect(try await store.claimDueEvents(now: now, limit: 10, leaseUntil: now.addingTimeInterval(60)).isEmpty)

            let aside = try #require(try await store.setAsideEvent(id: head.eventID, at: now, reason: "dispute closed by the marketplace (ticket 4711)"))
            #expect(aside.state == .setAside && aside.setAsideAt == now && aside.setAsideReason == "dispute closed by the marketplace (ticket 4711)")
            #expect(aside.lastError == "HTTP 422", "the service's answer stays for the audit")
            let next = try await store.claimDueEvents(now: now, limit: 10, leaseUntil: now.addingTimeInterval(60))
            #expect(next.map(\.type) == ["return.dropped_off"])
            let stats = try await store.outboxStats()
            #expect(stats.pending == 1 && stats.dead == 0, "\(stats)")
            #expect(try await store.outbox(state: .setAside, limit: 10).map(\.eventID) == [head.eventID])
            #expect(try await store.outbox(state: .dead, limit: 10).isEmpty)
            #expect(try await store.outbox(parcelID: p1.id).map(\.state) == [.setAside, .pending])
            // Neither retry sends it: its dispute's later events may have gone since.
            #expect(try await store.retryEvent(id: head.eventID, at: now) == false)
            #expect(try await store.retryDeadEvents(at: now) == 0)
            #expect(try await store.outboxEntry(id: head.eventID)?.state == .setAside)
            // Once only, and never a delivered event.
            #expect(try await store.setAsideEvent(id: head.eventID, at: now, reason: "again") == nil)
            guard let dropOff = next.first else { return }
            try await store.markDelivered(seq: dropOff.seq, at: now)
            #expect(try await store.setAsideEvent(id: dropOff.eventID, at: now, reason: "too late") == nil)
            #expect(try await store.setAsideEvent(id: "evt_unknown", at: now, reason: "x") == nil)
            // A pending event (backing off, never dead) can be set aside too.
            let p2 = try await store.issueReturn(issuance(request(dispute: "D-2", seller: "S-2"))).parcel
            let pending = try #require(try await store.outbox(parcelID: p2.id).first)
            #expect(try await store.setAsideEvent(id: pending.eventID, at: now, reason: "sent by hand")?.state == .setAside)
            #expect(try await store.claimDueEvents(now: now, limit: 10, leaseUntil: now.addingTimeInterval(60)).isEmpty)
            #expect(try await store.consistencyProblems().isEmpty)
        }
    }

    @Test("an event's last error is kept to 500 scalars, however it is built: one letter with 20,000 combining marks is cut too", arguments: StoreKind.allCases)
    func outboxErrorBounded(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            _ = try await store.issueReturn(issuance(request(dispute: "D-1", seller: "S-1")))
            let now = Date()
            let event = try #require(try await store.claimDueEvents(now: now, limit: 1, leaseUntil: now.addingTimeInterval(60)).first)
            let marks = "e" + String(repeating: "\u{301}", count: 20_000)
            try await store.markFailed(seq: event.seq, nextAttemptAt: now, error: "HTTP 308 redirect to \(marks)")
            let failed = try #require(try await store.outboxEntry(id: event.eventID)?.lastError)
            #expect(failed.unicodeScalars.count < 520 && failed.hasSuffix("… (40022 bytes)"), "\(failed.utf8.count) bytes")
            try await store.markDead(seq: event.seq, at: now, error: marks)
            let dead = try #require(try await store.outboxEntry(id: event.eventID)?.lastError)
            #expect(dead.unicodeScalars.count < 520, "\(dead.utf8.count) bytes")
        }
    }

    @Test("outbox: claimers racing on two stores never claim the same event, and between them claim every dispute's head", arguments: StoreKind.allCases)
    func outboxClaimsRace(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            for i in 0..<40 { _ = try await store.issueReturn(issuance(request(dispute: "D-\(i)", seller: "S-\(i)"))) }
            let other = try await t.another()
            let now = Date()
            let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for i in 0..<16 {
                    let s = i % 2 == 0 ? store : other
                    group.addTask { try await s.claimDueEvents(now: now, limit: 5, leaseUntil: now.addingTimeInterval(60)).map(\.seq) }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            try await other.close()
            #expect(claims.count == Set(claims).count, "claimed twice: \(claims.sorted())")
            let rest = try await store.claimDueEvents(now: now, limit: 100, leaseUntil: now.addingTimeInterval(60)).map(\.seq)
            #expect(Set(claims).isDisjoint(with: rest))
            #expect(claims.count + rest.count == 40)
        }
    }

    @Test("polls: claims given back unpolled (carrier paused) are due again at the time given, not before, and claimable by anyone then", arguments: StoreKind.allCases)
    func pollReleases(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let ids = try await store.parcelsOfOwnDisputes(6)
            let now = Date().addingTimeInterval(1)
            let claimed = try await store.claimPollTargets(now: now, limit: 10, leaseUntil: now.addingTimeInterval(300))
            #expect(Set(claimed.map(\.parcelID)) == Set(ids))
            let paused = now.addingTimeInterval(600)
            try await store.releasePollTargets(parcelIDs: Array(ids.prefix(4)), nextPollAt: paused)
            try await store.releasePollTargets(parcelIDs: [], nextPollAt: paused)
            // Not before the pause ends, even though the lease (300 s) has run out by then.
            #expect(try await store.claimPollTargets(now: now.addingTimeInterval(301), limit: 10, leaseUntil: paused.addingTimeInterval(300)).map(\.parcelID).sorted() == Array(ids.suffix(2)).sorted())
            let again = try await t.another()
            let reclaimed = try await again.claimPollTargets(now: paused, limit: 10, leaseUntil: paused.addingTimeInterval(300))
            try await again.close()
            #expect(Set(reclaimed.map(\.parcelID)) == Set(ids.prefix(4)))
        }
    }

    @Test("polls: concurrent claimers get disjoint parcels; events are stored once; an arrived parcel is no longer polled", arguments: StoreKind.allCases)
    func pollClaims(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let ids = try await store.parcelsOfOwnDisputes(40)
            let other = try await t.another()
            let now = Date().addingTimeInterval(1)
            let claims = try await withThrowingTaskGroup(of: [PollTarget].self) { group in
                for n in 0..<4 {
                    let s = n % 2 == 0 ? store : other
                    group.addTask { try await s.claimPollTargets(now: now, limit: 15, leaseUntil: now.addingTimeInterval(300)) }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            try await other.close()
            #expect(claims.count == 40)
            #expect(Set(claims.map(\.parcelID)) == Set(ids))
            let event = TrackingEventRecord(code: "DI1", description: "delivered", occurredAt: now, location: "WH-FR", status: .arrivedAtWarehouse)
            let accepted = TrackingEventRecord(code: "PC1", description: "accepted", occurredAt: now.addingTimeInterval(-60), location: nil, status: .inTransit)
            let first = try await store.recordPoll(PollRecord(parcelID: ids[0], outcome: .events([event, accepted]), polledAt: now, nextPollAt: now.addingTimeInterval(60)))
            #expect(first.statusChanges == [.inTransit, .arrivedAtWarehouse])
            let again = try await store.recordPoll(PollRecord(parcelID: ids[0], outcome: .events([event, accepted]), polledAt: now, nextPollAt: now.addingTimeInterval(60)))
            #expect(again.newEvents.isEmpty)
            #expect(try await store.trackingEvents(parcelID: ids[0]).map(\.code) == ["PC1", "DI1"])
            // A failed poll for another parcel is counted; the arrived one is not claimed again.
            _ = try await store.recordPoll(PollRecord(parcelID: ids[1], outcome: .failed("HTTP 500"), polledAt: now, nextPollAt: now))
            let much = now.addingTimeInterval(3600)
            let reclaimed = try await store.claimPollTargets(now: much, limit: 100, leaseUntil: much.addingTimeInterval(60))
            #expect(!reclaimed.map(\.parcelID).contains(ids[0]))
            #expect(reclaimed.first { $0.parcelID == ids[1] }?.failures == 1)
            #expect(try await store.carrierHealth().first?.failing == 1)
            // The carrier's last error is its latest failed poll's.
            _ = try await store.recordPoll(PollRecord(parcelID: ids[2], outcome: .failed("HTTP 503"), polledAt: now.addingTimeInterval(5), nextPollAt: much))
            let health = try await store.carrierHealth()
            #expect(health.count == 1 && health.first?.failing == 2 && health.first?.lastError == "HTTP 503", "\(health)")
            #expect(health.first?.followed == 39 && health.first?.lastPolledAt.map { abs($0.timeIntervalSince(now.addingTimeInterval(5))) < 0.001 } == true)
        }
    }

    @Test("a carrier event dated more than a day before its parcel was issued is stored but moves nothing and tells no dispute; a later one moves it", arguments: StoreKind.allCases)
    func eventsBeforeIssue(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let issued = Date()
            let p = try await store.issueReturn(issuance(request(), now: issued)).parcel
            // The number's earlier life: delivered a year ago; and a carrier's local time read as UTC, 14 hours early.
            let old = TrackingEventRecord(code: "DI1", description: "delivered", occurredAt: issued.addingTimeInterval(-365 * 86_400), location: "WH-FR", status: .arrivedAtWarehouse)
            let early = TrackingEventRecord(code: "PC1", description: "accepted", occurredAt: issued.addingTimeInterval(-14 * 3600), location: nil, status: .inTransit)
            let outcome = try await store.recordPoll(PollRecord(parcelID: p.id, outcome: .events([old, early]), polledAt: issued, nextPollAt: issued.addingTimeInterval(60)))
            #expect(outcome.staleEvents.map(\.code) == ["DI1"])
            #expect(outcome.statusChanges == [.inTransit] && outcome.status == .inTransit)
            #expect(Set(try await store.trackingEvents(parcelID: p.id).map(\.code)) == ["DI1", "PC1"])
            let events = try await store.outbox(parcelID: p.id).map(\.type)
            #expect(!events.contains("return.arrived_at_warehouse"), "\(events)")
            let delivered = TrackingEventRecord(code: "DI1", description: "delivered", occurredAt: issued.addingTimeInterval(2 * 86_400), location: "WH-FR", status: .arrivedAtWarehouse)
            let later = try await store.recordPoll(PollRecord(parcelID: p.id, outcome: .events([old, early, delivered]), polledAt: issued, nextPollAt: issued.addingTimeInterval(60)))
            #expect(later.statusChanges == [.arrivedAtWarehouse] && later.staleEvents.isEmpty)
            #expect(try await store.outbox(parcelID: p.id).filter { $0.type == "return.arrived_at_warehouse" }.count == 1)
        }
    }

    @Test("a carrier event dated after the poll moves the parcel at the poll's time: the history (noting the carrier's date past the skew) and the dispute never get a date still to come", arguments: StoreKind.allCases)
    func eventsAfterPoll(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let issued = Date()
            let p = try await store.issueReturn(issuance(request(), now: issued)).parcel
            let polled = issued.addingTimeInterval(3600)
            // Seconds ahead (clocks differ) and days ahead (a carrier's clock, or its local time read as UTC).
            let accepted = TrackingEventRecord(code: "PC1", description: "accepted", occurredAt: polled.addingTimeInterval(60), location: nil, status: .inTransit)
            let delivered = TrackingEventRecord(code: "DI1", description: "delivered", occurredAt: polled.addingTimeInterval(3 * 86_400), location: "WH-FR", status: .arrivedAtWarehouse)
            let outcome = try await store.recordPoll(PollRecord(parcelID: p.id, outcome: .events([delivered, accepted]), polledAt: polled, nextPollAt: polled.addingTimeInterval(60)))
            #expect(outcome.statusChanges == [.inTransit, .arrivedAtWarehouse])
            #expect(outcome.aheadEvents.map(\.code) == ["DI1"])
            let history = try #require(try await store.parcel(id: p.id)).history.suffix(2)
            #expect(history.map(\.status) == [.inTransit, .arrivedAtWarehouse])
            #expect(history.allSatisfy { abs($0.occurredAt.timeIntervalSince(polled)) < 0.001 }, "\(history)")
            #expect(history.first?.detail == "carrier PC1: accepted")
            #expect(history.last?.detail == "at WH-FR; carrier DI1: delivered (dated \(delivered.occurredAt.formatted(.iso8601)) by the carrier, after the poll: recorded at the poll's time)")
            let arrival = try #require(try await store.outbox(parcelID: p.id).first { $0.type == "return.arrived_at_warehouse" })
            let event = try JSONDecoder.returnd.decode(DisputeEvent.self, from: Data(arrival.payload.utf8))
            #expect(abs(event.occurredAt.timeIntervalSince(polled)) < 1, "whole seconds in the event's JSON")
            // The carrier's own record keeps its date as given.
            let stored = try await store.trackingEvents(parcelID: p.id).first { $0.code == "DI1" }
            #expect(stored.map { abs($0.occurredAt.timeIntervalSince(delivered.occurredAt)) < 0.001 } == true)
        }
    }

    @Test("a poll whose parcel closed or was inspected while it was out stores its events and moves nothing: expired events are reported, the inspected parcel takes the delivery as old news", arguments: StoreKind.allCases)
    func pollAfterParcelClosed(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let now = Date()
            let lapsed = try await store.issueReturn(issuance(request(dispute: "D-1", seller: "S-1"), now: now)).parcel
            let done = try await store.issueReturn(issuance(request(dispute: "D-2", seller: "S-2"), now: now)).parcel
            // Claimed while both were followed.
            #expect(try await store.claimPollTargets(now: now.addingTimeInterval(86_400), limit: 10, leaseUntil: now.addingTimeInterval(86_700)).count == 2)
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: lapsed.id, status: .expired, source: .timer, occurredAt: now))
            _ = try await store.recordReceipt(WarehouseReceipt(parcelID: done.id, warehouseID: "WH-FR", code: done.trackingNumber, scannedAt: now, receivedAt: now, scannerTokenID: "T1"))
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: done.id, status: .inspected, source: .scanner, occurredAt: now, inspection: [ItemInspection(sku: "A", outcome: .accepted)]))
            let before = try await store.outbox(state: nil, limit: 50).count
            let polled = now.addingTimeInterval(60)
            let accepted = TrackingEventRecord(code: "PC1", description: "accepted", occurredAt: now.addingTimeInterval(-600), location: nil, status: .inTransit)
            let delivered = TrackingEventRecord(code: "DI1", description: "delivered", occurredAt: now.addingTimeInterval(30), location: "WH-FR", status: .arrivedAtWarehouse)
            let late = try await store.recordPoll(PollRecord(parcelID: lapsed.id, outcome: .events([accepted]), polledAt: polled, nextPollAt: polled.addingTimeInterval(60)))
            #expect(late.status == .expired && late.statusChanges.isEmpty && late.closedEvents.map(\.code) == ["PC1"])
            let after = try await store.recordPoll(PollRecord(parcelID: done.id, outcome: .events([accepted, delivered]), polledAt: polled, nextPollAt: polled.addingTimeInterval(60)))
            #expect(after.status == .inspected && after.statusChanges.isEmpty && after.closedEvents.isEmpty)
            #expect(try await store.trackingEvents(parcelID: lapsed.id).map(\.code) == ["PC1"])
            #expect(try await store.trackingEvents(parcelID: done.id).map(\.code) == ["PC1", "DI1"])
            // Marked for whoever reads the history: the expired return's news moved nothing.
            let lapsedNow = try #require(try await store.parcel(id: lapsed.id)), doneNow = try #require(try await store.parcel(id: done.id))
            #expect(try await store.trackingEvents(parcelID: lapsed.id).map { $0.isAfterClose(of: lapsedNow) } == [true])
            #expect(try await store.trackingEvents(parcelID: done.id).allSatisfy { !$0.isAfterClose(of: doneNow) })
            #expect(try await store.parcel(id: lapsed.id)?.status == .expired)
            #expect(try await store.parcel(id: done.id)?.status == .inspected)
            #expect(try await store.outbox(state: nil, limit: 50).count == before)
            // Neither is followed any more.
            #expect(try await store.claimPollTargets(now: now.addingTimeInterval(2 * 86_400), limit: 10, leaseUntil: now.addingTimeInterval(2 * 86_400 + 300)).isEmpty)
        }
    }

    @Test("polls: the answer a parcel had before moves only its schedule; a new answer, or a stale claim, is stored in full", arguments: StoreKind.allCases)
    func quietPolls(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let p = try await store.issueReturn(issuance(request())).parcel
            var now = Date().addingTimeInterval(1)
            func claim() async throws -> PollTarget {
                now = now.addingTimeInterval(86_400)
                return try await claimDue(store, at: now)
            }
            let accepted = TrackingEventRecord(code: "PC1", description: "accepted", occurredAt: now, location: nil, status: .inTransit)
            let sorted = TrackingEventRecord(code: "SO1", description: "sorted", occurredAt: now.addingTimeInterval(60), location: "Paris", status: nil)
            var target = try await claim()
            #expect(target.eventsDigest == nil)
            let first = try await store.recordPoll(PollRecord(parcelID: p.id, outcome: .events([accepted]), polledAt: now, nextPollAt: now, knownDigest: target.eventsDigest))
            #expect(first.statusChanges == [.inTransit])
            // The same answer again, in another order of the same events: nothing new.
            target = try await claim()
            #expect(target.eventsDigest == TrackingEventRecord.digest([accepted]))
            #expect(TrackingEventRecord.digest([accepted, sorted]) == TrackingEventRecord.digest([sorted, accepted]))
            let same = try await store.recordPoll(PollRecord(parcelID: p.id, outcome: .events([accepted]), polledAt: now, nextPollAt: now, knownDigest: target.eventsDigest))
            #expect(same.newEvents.isEmpty && same.statusChanges.isEmpty && same.status == .inTransit)
            target = try await claim()
            #expect(target.unchangedPolls == 1 && target.failures == 0)
            // As the poller sends it, with the claim's status: the same outcome.
            let again = try await store.recordPoll(PollRecord(parcelID: p.id, outcome: .events([accepted]), polledAt: now, nextPollAt: now,
                                                              knownDigest: target.eventsDigest, knownStatus: target.status))
            #expect(again.newEvents.isEmpty && again.statusChanges.isEmpty && again.status == .inTransit)
            target = try await claim()
            #expect(target.unchangedPolls == 2 && target.failures == 0)
            // A new answer is stored, whatever digest the claim carried.
            let more = try await store.recordPoll(PollRecord(parcelID: p.id, outcome: .events([sorted, accepted]), polledAt: now, nextPollAt: now, knownDigest: target.eventsDigest))
            #expect(more.newEvents.map(\.code) == ["SO1"])
            // A claim whose digest is no longer the schedule's (another instance stored a newer
            // answer meanwhile) does not skip: the events are tried and the new one stored.
            let delivered = TrackingEventRecord(code: "DI1", description: "delivered", occurredAt: now.addingTimeInterval(120), location: "WH", status: .arrivedAtWarehouse)
            let stale = TrackingEventRecord.digest([accepted, sorted, delivered])
            let late = try await store.recordPoll(PollRecord(parcelID: p.id, outcome: .events([accepted, sorted, delivered]), polledAt: now, nextPollAt: now, knownDigest: stale))
            #expect(late.newEvents.map(\.code) == ["DI1"] && late.statusChanges == [.arrivedAtWarehouse])
            #expect(try await store.trackingEvents(parcelID: p.id).map(\.code) == ["PC1", "SO1", "DI1"])
            // Arrived: no longer followed, even though the last answer is the one it had.
            #expect(try await store.claimPollTargets(now: now.addingTimeInterval(86_400), limit: 10, leaseUntil: now).isEmpty)
        }
    }

    @Test("polls: the claim deletes the schedule rows of parcels received or expired as it meets them, a bounded number per pass, and carrier health counts only parcels still moving", arguments: StoreKind.allCases)
    func claimSweepsFinishedParcels(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store, start = Date(), sweep = SQLReturnStore.claimSweepRounds
            // Issued a second apart, so their first polls fall due in this order.
            var parcels: [Parcel] = []
            for i in 0..<(sweep + 2) {
                parcels.append(try await store.issueReturn(issuance(request(dispute: "D-\(i)", buyer: "B-\(i)"), now: start.addingTimeInterval(Double(i)))).parcel)
            }
            // All but the last two leave tracking without a poll: read by a scanner, the last of them expired.
            for p in parcels[0..<(sweep - 1)] {
                _ = try await store.recordReceipt(WarehouseReceipt(parcelID: p.id, warehouseID: "WH-FR", code: p.trackingNumber, scannedAt: start, receivedAt: start, scannerTokenID: "T1"))
            }
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: parcels[sweep - 1].id, status: .expired, source: .timer, occurredAt: start))
            func scheduled() async throws -> Set<String> {
                Set(try await store.backend.read { db in try db.strings("SELECT parcel_id FROM tracking_schedule") })
            }
            #expect(try await scheduled().count == sweep + 2)
            #expect(try await store.carrierHealth().map(\.followed) == [2])
            let later = start.addingTimeInterval(3600)
            // One target per claim: a pass sweeps at most claimSweepRounds finished rows and
            // claims nothing when that is all it met; the next pass goes on from there.
            let first = try await store.claimPollTargets(now: later, limit: 1, leaseUntil: later.addingTimeInterval(60))
            #expect(first.isEmpty)
            #expect(try await scheduled() == Set(parcels[sweep...].map(\.id)))
            let second = try await store.claimPollTargets(now: later, limit: 1, leaseUntil: later.addingTimeInterval(60))
            #expect(second.map(\.parcelID) == [parcels[sweep].id])
            // With room in the claim, finished rows in front of the due ones do not hold them back.
            let more = try await store.issueReturn(issuance(request(dispute: "D-new", buyer: "B-new"), now: start.addingTimeInterval(Double(sweep + 2)))).parcel
            let last = parcels[sweep + 1]
            _ = try await store.recordReceipt(WarehouseReceipt(parcelID: last.id, warehouseID: "WH-FR", code: last.trackingNumber, scannedAt: start, receivedAt: start, scannerTokenID: "T1"))
            let third = try await store.claimPollTargets(now: later, limit: 5, leaseUntil: later.addingTimeInterval(60))
            #expect(third.map(\.parcelID) == [more.id])
            #expect(try await scheduled() == [parcels[sweep].id, more.id])
            #expect(try await store.consistencyProblems().isEmpty)
        }
    }

    @Test("polls: a parcel received at the warehouse stops being followed, even when its carrier's answer is unchanged", arguments: StoreKind.allCases)
    func quietPollAfterReceipt(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let p = try await t.store.issueReturn(issuance(request())).parcel, store = t.store
            let now = Date().addingTimeInterval(86_400), later = now.addingTimeInterval(86_400)
            let accepted = TrackingEventRecord(code: "PC1", description: "accepted", occurredAt: now, location: nil, status: .inTransit)
            let known = try await claimDue(store, at: now).eventsDigest
            _ = try await store.recordPoll(PollRecord(parcelID: p.id, outcome: .events([accepted]), polledAt: now, nextPollAt: now, knownDigest: known))
            let target = try await claimDue(store, at: later)
            // Scanned at the warehouse while the poll was in flight.
            _ = try await store.recordReceipt(WarehouseReceipt(parcelID: p.id, warehouseID: "WH-FR", code: p.trackingNumber, scannedAt: later, receivedAt: later, scannerTokenID: "T1"))
            // The poller's record carries the status of its claim, which the scan has changed.
            #expect(target.status == .inTransit)
            let outcome = try await store.recordPoll(PollRecord(parcelID: p.id, outcome: .events([accepted]), polledAt: later, nextPollAt: later,
                                                                knownDigest: target.eventsDigest, knownStatus: target.status))
            #expect(outcome.status == .arrivedAtWarehouse && outcome.newEvents.isEmpty)
            #expect(try await store.claimPollTargets(now: later.addingTimeInterval(86_400 * 30), limit: 10, leaseUntil: later).isEmpty)
            let rows = try await store.backend.read { db in try db.int("SELECT COUNT(*) FROM tracking_schedule WHERE parcel_id = ?", [p.id]) }
            #expect(rows == 0)
        }
    }

    @Test("polls: an answer of the same bytes as the last stored one moves only the schedule; after a receipt meanwhile the parcel stops being followed", arguments: StoreKind.allCases)
    func sameAnswerPolls(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let p = try await t.store.issueReturn(issuance(request())).parcel, store = t.store
            let now = Date().addingTimeInterval(86_400), later = now.addingTimeInterval(86_400)
            let accepted = TrackingEventRecord(code: "PC1", description: "accepted", occurredAt: now, location: nil, status: .inTransit)
            #expect(try await claimDue(store, at: now).answerDigest == nil)
            _ = try await store.recordPoll(PollRecord(parcelID: p.id, outcome: .events([accepted]), polledAt: now, nextPollAt: now, answerDigest: "bytes-1"))
            // The digest is kept with the answer whose events were stored.
            let target = try await claimDue(store, at: later)
            #expect(target.answerDigest == "bytes-1" && target.status == .inTransit)
            func schedule() async throws -> (unchanged: Int, next: Date, answer: String?) {
                let row = try await store.backend.read { db in try db.row("SELECT unchanged_polls, next_poll_at, answer_digest FROM tracking_schedule WHERE parcel_id = ?", [p.id]) }
                return try #require(row.map { ($0["unchanged_polls"], $0["next_poll_at"], $0["answer_digest"]) })
            }
            let same = try await store.recordPoll(PollRecord(parcelID: p.id, outcome: .sameAnswer, polledAt: later, nextPollAt: later.addingTimeInterval(3600),
                                                             knownDigest: target.eventsDigest, knownStatus: target.status, answerDigest: "bytes-1"))
            #expect(same.status == .inTransit && same.newEvents.isEmpty && same.statusChanges.isEmpty)
            var s = try await schedule()
            #expect(s.unchanged == 1 && abs(s.next.timeIntervalSince(later.addingTimeInterval(3600))) < 1 && s.answer == "bytes-1")
            #expect(try await store.trackingEvents(parcelID: p.id).count == 1)
            // Bytes the schedule does not hold (another poll stored other bytes since the claim):
            // the full path, which adds nothing (a same answer's events were stored with it).
            let other = try await store.recordPoll(PollRecord(parcelID: p.id, outcome: .sameAnswer, polledAt: later, nextPollAt: later.addingTimeInterval(7200),
                                                              knownStatus: .inTransit, answerDigest: "bytes-0"))
            #expect(other.status == .inTransit && other.newEvents.isEmpty)
            s = try await schedule()
            #expect(s.unchanged == 2 && abs(s.next.timeIntervalSince(later.addingTimeInterval(7200))) < 1 && s.answer == "bytes-0")
            #expect(try await store.trackingEvents(parcelID: p.id).count == 1)
            // Scanned at the warehouse while a poll was in flight: the same bytes, but the
            // parcel is no longer followed.
            let last = try await claimDue(store, at: later.addingTimeInterval(86_400))
            _ = try await store.recordReceipt(WarehouseReceipt(parcelID: p.id, warehouseID: "WH-FR", code: p.trackingNumber, scannedAt: later, receivedAt: later, scannerTokenID: "T1"))
            let after = try await store.recordPoll(PollRecord(parcelID: p.id, outcome: .sameAnswer, polledAt: later, nextPollAt: later,
                                                              knownStatus: last.status, answerDigest: last.answerDigest))
            #expect(after.status == .arrivedAtWarehouse && after.newEvents.isEmpty)
            let rows = try await store.backend.read { db in try db.int("SELECT COUNT(*) FROM tracking_schedule WHERE parcel_id = ?", [p.id]) }
            #expect(rows == 0)
        }
    }

    @Test("polls stored as a batch: each outcome as recordPoll gives it, in order; a failing record takes only itself down", arguments: StoreKind.allCases)
    func pollBatches(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let ids = try await store.parcelsOfOwnDisputes(6)
            let now = Date().addingTimeInterval(86_400)
            let targets = try await store.claimPollTargets(now: now, limit: 10, leaseUntil: now.addingTimeInterval(300))
            let known = Dictionary(uniqueKeysWithValues: targets.map { ($0.parcelID, $0.eventsDigest) })
            let accepted = TrackingEventRecord(code: "PC1", description: "accepted", occurredAt: now, location: nil, status: .inTransit)
            let delivered = TrackingEventRecord(code: "DI1", description: "delivered", occurredAt: now.addingTimeInterval(60), location: "WH", status: .arrivedAtWarehouse)
            func record(_ id: String, _ outcome: PollRecord.Outcome) -> PollRecord {
                PollRecord(parcelID: id, outcome: outcome, polledAt: now, nextPollAt: now.addingTimeInterval(3600), knownDigest: known[id] ?? nil)
            }
            // News, arrival, not found, a carrier failure: all in one transaction.
            let first = await store.recordPolls([
                record(ids[0], .events([accepted])), record(ids[1], .events([accepted, delivered])),
                record(ids[2], .notFound), record(ids[3], .failed("HTTP 503")),
            ])
            #expect(first.count == 4)
            #expect(try first[0].get().statusChanges == [.inTransit])
            #expect(try first[1].get().statusChanges == [.inTransit, .arrivedAtWarehouse] && first[1].get().status == .arrivedAtWarehouse)
            #expect(try first[2].get().newEvents.isEmpty && first[3].get().status == .labelIssued)
            #expect(try await store.trackingEvents(parcelID: ids[1]).map(\.code) == ["PC1", "DI1"])
            let later = now.addingTimeInterval(7200)
            let due = try await store.claimPollTargets(now: later, limit: 10, leaseUntil: later.addingTimeInterval(300))
            #expect(!due.map(\.parcelID).contains(ids[1]), "an arrived parcel is no longer followed")
            #expect(due.first { $0.parcelID == ids[3] }?.failures == 1)
            // A record for a parcel that does not exist fails; the others around it are stored.
            let digest = Dictionary(uniqueKeysWithValues: due.map { ($0.parcelID, $0.eventsDigest) })
            let second = await store.recordPolls([
                PollRecord(parcelID: ids[0], outcome: .events([accepted]), polledAt: later, nextPollAt: later, knownDigest: digest[ids[0]] ?? nil),
                PollRecord(parcelID: "P-NOPE", outcome: .events([accepted]), polledAt: later, nextPollAt: later),
                PollRecord(parcelID: ids[4], outcome: .events([accepted]), polledAt: later, nextPollAt: later, knownDigest: digest[ids[4]] ?? nil),
            ])
            #expect(second.count == 3)
            #expect(try second[0].get().newEvents.isEmpty, "the same answer again: nothing new")
            #expect(throws: (any Error).self) { try second[1].get() }
            #expect(try second[2].get().statusChanges == [.inTransit])
            #expect(try await store.trackingEvents(parcelID: ids[4]).map(\.code) == ["PC1"])
            #expect(try await store.parcel(id: ids[4])?.status == .inTransit)
        }
    }

    @Test("a batch of answers the parcels had last time moves each schedule on; one whose parcel changed since the claim takes the full path", arguments: StoreKind.allCases)
    func quietPollBatches(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            var parcels: [Parcel] = []
            for i in 0..<5 { parcels.append(try await store.issueReturn(issuance(request(dispute: "D-\(i)", seller: "S-\(i)"))).parcel) }
            let accepted = TrackingEventRecord(code: "PC1", description: "accepted", occurredAt: Date(), location: nil, status: .inTransit)
            var now = Date().addingTimeInterval(86_400)
            var targets = try await store.claimPollTargets(now: now, limit: 10, leaseUntil: now.addingTimeInterval(300))
            _ = await store.recordPolls(targets.map { PollRecord(parcelID: $0.parcelID, outcome: .events([accepted]), polledAt: now, nextPollAt: now, knownDigest: $0.eventsDigest, knownStatus: $0.status) })
            now = now.addingTimeInterval(86_400)
            targets = try await store.claimPollTargets(now: now, limit: 10, leaseUntil: now.addingTimeInterval(300))
            #expect(targets.count == 5 && targets.allSatisfy { $0.status == .inTransit && $0.unchangedPolls == 0 })
            // Scanned at the warehouse after the claim: its quiet answer must not keep it followed.
            let scanned = parcels[2]
            _ = try await store.recordReceipt(WarehouseReceipt(parcelID: scanned.id, warehouseID: "WH-FR", code: scanned.trackingNumber, scannedAt: now, receivedAt: now, scannerTokenID: "T1"))
            // The same answer for all five; each is next due at its own time.
            let next = Dictionary(uniqueKeysWithValues: targets.enumerated().map { ($1.parcelID, now.addingTimeInterval(Double(60 * ($0 + 1)))) })
            let outcomes = await store.recordPolls(targets.map {
                PollRecord(parcelID: $0.parcelID, outcome: .events([accepted]), polledAt: now, nextPollAt: next[$0.parcelID]!, knownDigest: $0.eventsDigest, knownStatus: $0.status)
            })
            for (target, outcome) in zip(targets, outcomes) {
                let o = try outcome.get()
                #expect(o.newEvents.isEmpty && o.statusChanges.isEmpty)
                #expect(o.status == (target.parcelID == scanned.id ? .arrivedAtWarehouse : .inTransit))
            }
            // Due again each at its own time, counted as unchanged once more; the scanned one never again.
            let later = now.addingTimeInterval(3600)
            let due = try await store.claimPollTargets(now: later, limit: 10, leaseUntil: later.addingTimeInterval(300))
            #expect(Set(due.map(\.parcelID)) == Set(parcels.map(\.id)).subtracting([scanned.id]))
            #expect(due.allSatisfy { $0.unchangedPolls == 1 && $0.failures == 0 })
            #expect(try await store.parcel(id: scanned.id)?.status == .arrivedAtWarehouse)
        }
    }

    @Test("counts and timers see the same parcels on both backends", arguments: StoreKind.allCases)
    func countsAndTimers(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let old = Date().addingTimeInterval(-40 * 86400)
            _ = try await store.issueReturn(issuance(request(dispute: "D-old", seller: "S-old", receivedAt: old), now: old))
            _ = try await store.issueReturn(issuance(request(dispute: "D-new", seller: "S-new")))
            #expect(try await store.parcelCounts() == [ParcelCount(status: .labelIssued, country: "FR", count: 2)])
            #expect(try await store.overdueLabels(now: Date(), limit: 10, finalCheckWait: nil).count == 1)
        }
    }

    @Test("db check names the parcels holding an item priced in a currency not in circulation, as stored before prices were checked against ISO 4217", arguments: StoreKind.allCases)
    func checkNamesCurrencyNotInCirculation(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let parcel = try await store.issueReturn(issuance(request(dispute: "D-1"))).parcel
            #expect(try await store.consistencyProblems().isEmpty)
            try await store.backend.write { db in try db.execute("UPDATE parcel_items SET currency = 'XTS' WHERE parcel_id = ?", [parcel.id]) }
            #expect(try await store.consistencyProblems() == ["item priced in a currency not in circulation (ISO 4217): \(parcel.id) (XTS)"])
        }
    }

    @Test("the count finds, in the same pass, the parcels at the warehouse unchanged since before the overdue time; inspected or recent ones are not overdue", arguments: StoreKind.allCases)
    func inspectionOverdueCounted(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let now = Date()
            var issued: [String] = []
            for n in 1...4 { issued.append(try await store.issueReturn(issuance(request(dispute: "D-\(n)", seller: "S-\(n)"))).parcel.id) }
            let ids = issued
            for id in ids.prefix(3) {
                _ = try await store.changeStatus(StatusChangeRequest(parcelID: id, status: .arrivedAtWarehouse, source: .scanner, occurredAt: now))
            }
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: ids[2], status: .inspected, source: .scanner, occurredAt: now,
                                                                 inspection: [ItemInspection(sku: "A", outcome: .accepted)]))
            // The first arrived five days ago, the second an hour ago (the row's last change is what counts).
            try await store.backend.write { db in
                try db.execute("UPDATE parcels SET updated_at = ? WHERE id = ?", [now.addingTimeInterval(-5 * 86400), ids[0]])
                try db.execute("UPDATE parcels SET updated_at = ? WHERE id = ?", [now.addingTimeInterval(-3600), ids[1]])
                try db.execute("UPDATE parcels SET updated_at = ? WHERE id = ?", [now.addingTimeInterval(-9 * 86400), ids[2]])
                try db.execute("UPDATE parcels SET updated_at = ? WHERE id = ?", [now.addingTimeInterval(-9 * 86400), ids[3]])
            }
            let counts = try await store.parcelCounts(inspectionOverdueBefore: now.addingTimeInterval(-4 * 86400))
            #expect(counts == [ParcelCount(status: .arrivedAtWarehouse, country: "FR", count: 2, overdue: 1),
                               ParcelCount(status: .inspected, country: "FR", count: 1),
                               ParcelCount(status: .labelIssued, country: "FR", count: 1)])
            #expect(try await store.parcelCounts().allSatisfy { $0.overdue == 0 })
        }
    }

    @Test("an unused label's poll is due at its deadline at the latest, and the label waits past it for a poll after it that succeeded, up to the wait; packages under a used label, never polled, do not wait", arguments: StoreKind.allCases)
    func overdueLabelsWaitForFinalCheck(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let now = Date()
            // Received 15 days less 10 minutes ago: its window, and so its label, ends in 10 minutes.
            func hourBeforeFirstPoll(_ r: ReturnRequest) -> ReturnIssuance {
                var i = issuance(r, now: now)
                i.firstPollDelay = 3600
                return i
            }
            let soon = try await store.issueReturn(hourBeforeFirstPoll(request(dispute: "D-1", seller: "S-1", receivedAt: now.addingTimeInterval(-15 * 86400 + 600)))).parcel
            let deadline = soon.dropOffBy
            #expect(abs(deadline.timeIntervalSince(now.addingTimeInterval(600))) < 0.001)
            // Due at the deadline, not an hour after issue (the first poll's delay).
            #expect(try await store.claimPollTargets(now: deadline.addingTimeInterval(-1), limit: 10, leaseUntil: now).isEmpty)
            let claimed = try await store.claimPollTargets(now: deadline, limit: 10, leaseUntil: deadline.addingTimeInterval(2 * 86400))
            #expect(claimed.map(\.parcelID) == [soon.id] && claimed.first?.dropOffBy == deadline)
            // Joining an open parcel with an earlier window brings its poll forward with its deadline.
            let later = try await store.issueReturn(hourBeforeFirstPoll(request(dispute: "D-2", seller: "S-2", receivedAt: now.addingTimeInterval(-10 * 86400)))).parcel
            let joined = try await store.issueReturn(hourBeforeFirstPoll(request(dispute: "D-3", seller: "S-2", skus: ["B"], receivedAt: now.addingTimeInterval(-15 * 86400 + 1200)))).parcel
            #expect(joined.id == later.id && abs(joined.dropOffBy.timeIntervalSince(now.addingTimeInterval(1200))) < 0.001)
            #expect(try await store.claimPollTargets(now: joined.dropOffBy.addingTimeInterval(-1), limit: 10, leaseUntil: now).isEmpty)
            #expect(try await store.claimPollTargets(now: joined.dropOffBy, limit: 10, leaseUntil: joined.dropOffBy.addingTimeInterval(2 * 86400)).map(\.parcelID) == [later.id])

            let after = deadline.addingTimeInterval(3600)
            func overdue(_ at: Date, wait: TimeInterval? = 86400) async throws -> [String] {
                try await store.overdueLabels(now: at, limit: 10, finalCheckWait: wait).map(\.parcelID).filter { $0 != later.id }
            }
            #expect(try await overdue(after, wait: nil) == [soon.id])
            let waiting = try await store.labelsPastDeadline(now: after)
            #expect(waiting.count == 2 && waiting.oldestDeadline.map { abs($0.timeIntervalSince(deadline)) < 0.001 } == true)
            #expect(try await store.labelsPastDeadline(now: now) == LabelsPastDeadline(count: 0, oldestDeadline: nil))
            #expect(try await overdue(after).isEmpty)
            // A failed poll after the deadline is no check; one that succeeded is.
            _ = try await store.recordPoll(PollRecord(parcelID: soon.id, outcome: .failed("timeout"), polledAt: deadline.addingTimeInterval(5), nextPollAt: after))
            #expect(try await overdue(after).isEmpty)
            #expect(try await overdue(deadline.addingTimeInterval(86399)).isEmpty)
            let waited = try #require(try await store.overdueLabels(now: deadline.addingTimeInterval(86401), limit: 10, finalCheckWait: 86400).first)
            #expect(waited == OverdueLabel(parcelID: soon.id, checkedAt: nil, wasToBeChecked: true, lastPollError: "timeout"))
            let checkedAt = deadline.addingTimeInterval(60)
            _ = try await store.recordPoll(PollRecord(parcelID: soon.id, outcome: .events([]), polledAt: checkedAt, nextPollAt: after))
            let checked = try #require(try await store.overdueLabels(now: after, limit: 10, finalCheckWait: 86400).first)
            #expect(checked.parcelID == soon.id && checked.checkedAt.map { abs($0.timeIntervalSince(checkedAt)) < 0.001 } == true && checked.lastPollError == nil)

            // The rest of an order under its used label has no schedule: nothing to wait for.
            let used = try await store.issueReturn(issuance(request(dispute: "D-4", order: "O-4", seller: "S-4", receivedAt: now.addingTimeInterval(-14 * 86400)), now: now)).parcel
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: used.id, status: .droppedOff, source: .kiosk, occurredAt: now))
            let rest = try await store.issueReturn(issuance(request(dispute: "D-5", order: "O-4", seller: "S-4", skus: ["C"], receivedAt: now.addingTimeInterval(-14 * 86400)), now: now))
            #expect(rest.kind == .reusedLabel)
            #expect(try await overdue(rest.parcel.dropOffBy.addingTimeInterval(1)).contains(rest.parcel.id))
        }
    }

    @Test("the last parcel count is stored whole, replaced by the next, and read by every instance", arguments: StoreKind.allCases)
    func parcelCountSnapshot(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let second = try await t.another()
            #expect(try await second.parcelCountSnapshot() == nil)
            let at = Date(timeIntervalSince1970: 1_800_000_000.5)
            let first = ParcelCountSnapshot(counts: [ParcelCount(status: .labelIssued, country: "FR", count: 2), ParcelCount(status: .inspected, country: "UA", count: 1)],
                                            countedAt: at, countedBy: "A")
            try await t.store.saveParcelCountSnapshot(first)
            #expect(try await second.parcelCountSnapshot() == first)
            let next = ParcelCountSnapshot(counts: [], countedAt: at.addingTimeInterval(60), countedBy: "B")
            try await second.saveParcelCountSnapshot(next)
            try await second.close()
            #expect(try await t.store.parcelCountSnapshot() == next)
        }
    }

    @Test("carrier arrivals with no scanner read are found after the cutoff on both backends; the timer forgets the confirmed ones and reads only the arrivals it watches", arguments: StoreKind.allCases)
    func unconfirmedArrivals(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let now = Date()
            func arrived(_ dispute: String, _ source: StatusSource, hoursAgo: Double) async throws -> Parcel {
                let p = try await store.issueReturn(issuance(request(dispute: dispute, seller: "S-\(dispute)"))).parcel
                _ = try await store.changeStatus(StatusChangeRequest(parcelID: p.id, status: .arrivedAtWarehouse, source: source, occurredAt: now.addingTimeInterval(-hoursAgo * 3600)))
                return p
            }
            let lostLonger = try await arrived("D-1", .carrier, hoursAgo: 80)
            let lost = try await arrived("D-2", .carrier, hoursAgo: 50)
            let scanned = try await arrived("D-3", .carrier, hoursAgo: 60)
            _ = try await store.recordReceipt(WarehouseReceipt(parcelID: scanned.id, warehouseID: scanned.warehouseID, code: scanned.trackingNumber, scannedAt: now, receivedAt: now, scannerTokenID: "tok"))
            let misrouted = try await arrived("D-4", .carrier, hoursAgo: 70)
            _ = try await store.recordReceipt(WarehouseReceipt(parcelID: misrouted.id, warehouseID: "WH-ELSEWHERE", code: misrouted.trackingNumber, scannedAt: now, receivedAt: now, scannerTokenID: "tok"))
            let notYet = try await arrived("D-5", .carrier, hoursAgo: 10)  // not yet past the cutoff
            _ = try await arrived("D-6", .scanner, hoursAgo: 90)  // arrived by a scan: confirmed
            _ = try await store.issueReturn(issuance(request(dispute: "D-7", seller: "S-7")))  // never arrived
            let inspected = try await arrived("D-8", .carrier, hoursAgo: 100)  // inspected without a receipt of its own
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: inspected.id, status: .inspected, source: .scanner, occurredAt: now,
                                                                 inspection: [ItemInspection(sku: "A", outcome: .accepted)]))
            func watched() async throws -> [String] {
                try await store.backend.read { db in try db.strings("SELECT parcel_id FROM arrivals_awaiting_scan ORDER BY arrived_at") }
            }
            // Every carrier arrival is watched, the scanned one until the timer's next pass.
            #expect(try await watched() == [inspected.id, lostLonger.id, misrouted.id, scanned.id, lost.id, notYet.id])
            // Oldest arrival first; a read at another warehouse confirms nothing.
            #expect(try await store.unconfirmedArrivals(before: now.addingTimeInterval(-48 * 3600)).map(\.id) == [lostLonger.id, misrouted.id, lost.id])
            #expect(try await store.unconfirmedArrivals(before: now.addingTimeInterval(-75 * 3600)).map(\.id) == [lostLonger.id])
            #expect(try await store.overdueLabels(now: now.addingTimeInterval(30 * 86400), limit: 10, finalCheckWait: nil).count == 1)
            // The scanned and the inspected arrivals are forgotten; the misrouted one and the one not yet past the
            // cutoff are still watched.
            #expect(try await watched() == [lostLonger.id, misrouted.id, lost.id, notYet.id])

            // The labels' timer reads through its partial index, which status changes of other
            // kinds (a receipt, a tracking move) do not write; the arrivals' timer reads only
            // the arrivals it watches, not the parcels' history.
            let sqlite = kind == .sqlite
            let plans = try await store.backend.read { db -> [String] in
                // With a handful of rows PostgreSQL's planner would rather scan; the plan must
                // show that the index serves the query.
                if !sqlite { try db.execute("SET LOCAL enable_seqscan = off") }
                let explain = sqlite ? "EXPLAIN QUERY PLAN" : "EXPLAIN"
                let column = sqlite ? "detail" : "QUERY PLAN"
                func plan(_ query: String, _ arguments: [any SQLBindable]) throws -> String {
                    try db.rows("\(explain) \(query)", arguments).map { $0[column] as String }.joined(separator: "\n")
                }
                return [try plan(SQLReturnStore.overdueLabelsQuery, [now, now, 10]), try plan(SQLReturnStore.watchedArrivalsQuery, [now]),
                        try plan(SQLReturnStore.labelsPastDeadlineQuery, [now])]
            }
            #expect(plans[0].contains("parcels_awaiting_drop_off"), "\(plans[0])")
            // The count reads unused labels only. (Before v16/v12 PostgreSQL's planner could take
            // `parcels_open_group` too; it now holds only parcels open to items, so it cannot.)
            #expect(plans[2].contains("parcels_awaiting_drop_off"), "\(plans[2])")
            #expect(plans[1].contains("arrivals_awaiting_scan") && !plans[1].contains("parcel_history"), "\(plans[1])")
            if sqlite {
                // The watched arrivals are walked and their parcels looked up, never all parcels scanned.
                #expect(plans[1].split(separator: "\n").filter { $0.hasPrefix("SCAN") } == ["SCAN arrivals_awaiting_scan"], "\(plans[1])")
            }
            let indexes = try await store.indexNames()
            #expect(indexes.allSatisfy { !["parcels_status", "parcel_history_status", "parcel_history_carrier_arrivals"].contains($0) }, "\(indexes)")
        }
    }
}

/// The one parcel due at `date`, claimed for a minute.
private func claimDue(_ store: SQLReturnStore, at date: Date) async throws -> PollTarget {
    try #require(try await store.claimPollTargets(now: date, limit: 10, leaseUntil: date.addingTimeInterval(60)).first)
}

extension Sequence {
    /// `map` for async bodies, one element after another.
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}

extension ReturnStore {
    /// `count` parcels, each of its own dispute and seller (so none joins another).
    func parcelsOfOwnSellers(_ count: Int) async throws -> [Parcel] {
        var parcels: [Parcel] = []
        for i in 0..<count { parcels.append(try await issueReturn(issuance(request(dispute: "D-\(i)", seller: "S-\(i)"))).parcel) }
        return parcels
    }
}

extension WarehouseReceipt {
    /// A scanner's read of `parcel` at `warehouse`, scanned and received at `when`.
    static func read(_ parcel: Parcel, at warehouse: String, when: Date) -> WarehouseReceipt {
        WarehouseReceipt(parcelID: parcel.id, warehouseID: warehouse, code: parcel.trackingNumber, scannedAt: when, receivedAt: when, scannerTokenID: "T1")
    }
}
