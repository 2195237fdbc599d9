import Foundation
import ReturnsCore

extension SQLReturnStore {
    public func changeStatus(_ change: StatusChangeRequest) async throws -> StatusChangeOutcome {
        try await backend.write { db in try Self.change(change, db) }
    }

    /// `loaded` is the parcel as the caller already read it in this transaction, if it did.
    static func change(_ c: StatusChangeRequest, _ db: any SQLSession, loaded: Parcel? = nil) throws -> StatusChangeOutcome {
        guard let parcel = try loaded ?? loadParcel(db, where: "id = ?", c.parcelID, lock: true) else { throw StoreError.notFound("parcel \(c.parcelID)") }
        guard let plan = try plan(c, on: parcel) else { return StatusChangeOutcome(parcel: parcel, changed: false) }
        return try apply(plan, db)
    }

    /// Works out a status change from the parcel alone: nil for a harmless repeat, or the
    /// history row and the dispute events (with their JSON) to write. Pure, so it can run
    /// before the write transaction, off the single SQLite writer.
    static func plan(_ c: StatusChangeRequest, on parcel: Parcel) throws -> PlannedChange? {
        guard case .moved(let status) = try ParcelStateMachine.apply(c.status, to: parcel.status) else { return nil }
        if status == .inspected { try InspectionRules.validate(c.inspection ?? [], parcel: parcel) }
        let text = [c.location.map { "at \($0)" }, c.detail].compactMap { $0 }.joined(separator: "; ")
        let detail = text.isEmpty ? nil : text
        // The parcel as it will be stored, without reading it back: only status and history change.
        var moved = parcel
        moved.status = status
        moved.history.append(StatusChange(status: status, source: c.source, occurredAt: c.occurredAt, detail: detail))
        // An inspection's events carry the verdicts as stored, so they are made after writing them.
        var events: [PlannedEvent]? = []
        if status == .inspected {
            events = nil
        } else if let kind = status.disputeEvent {
            events = try DisputeEvent.events(kind, for: moved, at: c.occurredAt, source: c.source, location: c.location).map {
                PlannedEvent(event: $0, payload: try $0.jsonText())
            }
        }
        return PlannedChange(request: c, seen: parcel, moved: moved, detail: detail, events: events)
    }

    static func apply(_ plan: PlannedChange, _ db: any SQLSession) throws -> StatusChangeOutcome {
        let c = plan.request, parcel = plan.seen, status = plan.moved.status
        if status == .inspected {
            // plan() validated the verdicts against this parcel; this finds each one's item.
            let verdicts = c.inspection ?? []
            try verdictInsert.run(
                db, zip(verdicts, try InspectionRules.judgedItems(verdicts, parcel: parcel)).map { r, item in
                    [parcel.id, item.disputeID, item.sku, r.outcome.rawValue, r.reason, c.occurredAt]
                })
        }
        try db.execute("UPDATE parcels SET status = ?, updated_at = ? WHERE id = ?", [status.rawValue, Date(), parcel.id])
        if status == .droppedOff && c.source != .carrier {
            // Handed over at a kiosk: ask the carrier soon for its acceptance scan.
            try db.execute("UPDATE tracking_schedule SET next_poll_at = ?, unchanged_polls = 0 WHERE parcel_id = ?", [c.occurredAt, parcel.id])
        }
        // The events first: the history row keeps their ids (`StoreIndexes.eventIDColumns`).
        var events: [PlannedEvent] = []
        if let planned = plan.events {
            events = planned
        } else if let kind = status.disputeEvent {
            let inspection = try inspectionRows(db, parcel.id)
            events = try DisputeEvent.events(kind, for: plan.moved, at: c.occurredAt, source: c.source, location: c.location, inspection: inspection).map {
                PlannedEvent(event: $0, payload: try $0.jsonText())
            }
        }
        let eventIDs = events.count == 1 ? events[0].event.id : events.map(\.event.id).joined(separator: ",")
        try db.execute("INSERT INTO parcel_history (parcel_id, status, source, occurred_at, detail, event_ids) VALUES (?, ?, ?, ?, ?, ?)",
                       [parcel.id, status.rawValue, c.source.rawValue, c.occurredAt, plan.detail, eventIDs])
        if status == .arrivedAtWarehouse && c.source == .carrier {
            // Watched by the timer until a scanner confirms it; the timer forgets it then, so a
            // receipt writes nothing here.
            try db.execute("INSERT INTO arrivals_awaiting_scan (parcel_id, arrived_at) VALUES (?, ?) ON CONFLICT DO NOTHING", [parcel.id, c.occurredAt])
        }
        if !events.isEmpty { try insertEvents(db, events) }
        return StatusChangeOutcome(parcel: plan.moved, changed: true)
    }

    /// Whether the parcel is still as `seen` was read. Status only moves forward and items only
    /// change with `label_version`, so the pair stands for the parcel's items and history.
    /// Takes the row lock on PostgreSQL.
    static func isUnchanged(_ db: any SQLSession, _ seen: Parcel) throws -> Bool {
        guard let row = try db.row("SELECT status, label_version FROM parcels WHERE id = ?\(db.dialect.lockRow)", [seen.id]) else { return false }
        return row["status"] as String == seen.status.rawValue && row["label_version"] as Int == seen.labelVersion
    }

    public func recordReceipt(_ r: WarehouseReceipt, seen: Parcel?) async throws -> ReceiptOutcome {
        let arrival = Self.arrival(r)
        // Prepared outside the one writer: the events' JSON was a third of a receipt's time there.
        let planned = seen.map { seen in (seen: seen, plan: Result { try Self.plan(arrival, on: seen) }) }
        return try await backend.write { db in
            let fresh = try planned.flatMap { try Self.isUnchanged(db, $0.seen) ? $0 : nil }
            guard let parcel = try fresh?.seen ?? Self.loadParcel(db, where: "id = ?", r.parcelID, lock: true) else { throw StoreError.notFound("parcel \(r.parcelID)") }
            return try Self.receive(r, parcel: parcel, plan: fresh?.plan, db)
        }
    }

    public func recordScan(
        resolve: @escaping @Sendable (any ParcelFinder) throws -> ScanResolution,
        receipt: @escaping @Sendable (Parcel) -> WarehouseReceipt
    ) async throws -> ScannedReceipt {
        let result = try await backend.write { db -> Result<ScannedReceipt, any Error> in
            // A refusal is returned, not thrown: nothing was written, and a thrown write would
            // make group commit run its whole batch again.
            let parcel: Parcel
            switch try resolve(SessionParcelFinder(db: db, lock: true)) {
            case .found(let found): parcel = found
            case .refused(let why): return .failure(why)
            }
            let r = receipt(parcel)
            let outcome = try Self.receive(r, parcel: parcel, plan: nil, db)
            return .success(ScannedReceipt(outcome: outcome, receipts: try Self.latestReceiptRows(db, parcel.id)))
        }
        return try result.get()
    }

    public func findParcel<T: Sendable>(_ body: @escaping @Sendable (any ParcelFinder) throws -> T) async throws -> T {
        try await backend.read { db in try body(SessionParcelFinder(db: db, lock: false)) }
    }

    static func arrival(_ r: WarehouseReceipt) -> StatusChangeRequest {
        StatusChangeRequest(parcelID: r.parcelID, status: .arrivedAtWarehouse, source: .scanner, occurredAt: r.scannedAt, location: r.warehouseID)
    }

    /// Writes a receipt for `parcel` as it is in this transaction. `plan`: the arrival worked out
    /// before the write from this same parcel, if it was.
    static func receive(_ r: WarehouseReceipt, parcel: Parcel, plan: Result<PlannedChange?, any Error>?, _ db: any SQLSession) throws -> ReceiptOutcome {
        let misrouted = parcel.warehouseID != r.warehouseID
        try db.execute("""
                INSERT INTO warehouse_receipts (parcel_id, warehouse_id, code, scanned_at, received_at, scanner, misrouted)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """, [r.parcelID, r.warehouseID, r.code, r.scannedAt, r.receivedAt, r.scannerTokenID, misrouted])
        if misrouted { return .misrouted(parcel: parcel, expectedWarehouse: parcel.warehouseID) }
        // Refused by the state machine, but the box is here: without the row nothing would say so.
        if parcel.status.isClosed { return .closed(parcel: parcel) }
        guard let plan else { return .arrived(try Self.change(arrival(r), db, loaded: parcel)) }
        guard let planned = try plan.get() else { return .arrived(StatusChangeOutcome(parcel: parcel, changed: false)) }
        return .arrived(try Self.apply(planned, db))
    }

    /// The parcel's latest `ScannedReceipt.latestCount` receipts, oldest first: a scanner's
    /// answer. A box left under a fixed scanner is read again and again, and every read is
    /// stored; listing them all made each read pay for every one before it, inside the write
    /// (5,000 reads: 43 ms a read in a debug build, 736 KB answers).
    static func latestReceiptRows(_ db: any SQLSession, _ parcelID: String, limit: Int = ScannedReceipt.latestCount) throws -> [ReceiptRecord] {
        // Newest first and turned around here: an outer query putting them back in order cost the
        // receipts benchmark's route 5 % (interleaved A/B), where this costs what listing all did.
        try db.rows("SELECT * FROM warehouse_receipts WHERE parcel_id = ? ORDER BY id DESC LIMIT ?", [parcelID, limit])
            .reversed().map(receiptRecord)
    }

    public func latestReceipts(parcelID: String, limit: Int) async throws -> LatestReceipts {
        try await backend.read { db in
            let listed = try Self.latestReceiptRows(db, parcelID, limit: limit)
            // Counted only when the list may be short of them all.
            let total = listed.count < limit ? listed.count
                : try db.int("SELECT COUNT(*) FROM warehouse_receipts WHERE parcel_id = ?", [parcelID]) ?? listed.count
            return LatestReceipts(receipts: listed, total: total)
        }
    }

    static func receiptRecord(_ row: SQLRow) -> ReceiptRecord {
        ReceiptRecord(warehouseID: row["warehouse_id"], scannedAt: row["scanned_at"], receivedAt: row["received_at"], misrouted: row["misrouted"], scanner: row["scanner"])
    }

    public func inspection(parcelID: String) async throws -> [ItemInspection] {
        try await backend.read { db in try Self.inspectionRows(db, parcelID) }
    }

    /// In the order of the parcel's items (the label's). Ordered by dispute and sku until
    /// 2026-12-07, that is by the database's collation: PostgreSQL in an English locale puts "a"
    /// before "B" and SQLite by bytes after it, so the same inspection reached the dispute service
    /// in another order on each backend (`StoreDifferentialTests` found it).
    static func inspectionRows(_ db: any SQLSession, _ parcelID: String) throws -> [ItemInspection] {
        try db.rows("""
            SELECT v.* FROM item_inspections v JOIN parcel_items i ON i.parcel_id = v.parcel_id AND i.dispute_id = v.dispute_id AND i.sku = v.sku
            WHERE v.parcel_id = ? ORDER BY i.position
            """, [parcelID]).map {
            ItemInspection(sku: $0["sku"], disputeID: $0["dispute_id"], outcome: ItemInspection.Outcome(rawValue: $0["outcome"]) ?? .rejected, reason: $0["reason"])
        }
    }

    // MARK: - Outbox

    public func claimDueEvents(now: Date, limit: Int, leaseUntil: Date) async throws -> [OutboxEntry] {
        guard backend.dialect.claimsOutboxOutsideTheWrite else {
            return try await backend.write { db in
                let entries = try db.rows(Self.dueEventsQuery + db.dialect.skipLocked("o"), [now, now, limit]).map(Self.outboxEntry)
                for e in entries { try db.execute("UPDATE outbox SET lease_until = ? WHERE seq = ?", [leaseUntil, e.seq]) }
                return entries
            }
        }
        let candidates = try await backend.read { db in try db.rows(Self.dueEventsQuery, [now, now, limit]).map(Self.outboxEntry) }
        if candidates.isEmpty { return [] }
        // Still the head of its dispute if still undelivered: an event is never undelivered
        // again, so none below it can come back. The guard drops what changed since the read
        // (delivered, given up on, claimed by another store on the file).
        return try await backend.write { db in
            try candidates.filter { e in
                try db.execute("""
                    UPDATE outbox SET lease_until = ? WHERE seq = ? AND delivered_at IS NULL AND dead_at IS NULL AND set_aside_at IS NULL
                    AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND (lease_until IS NULL OR lease_until <= ?)
                    """, [leaseUntil, e.seq, now, now]) == 1
            }
        }
    }

    /// Only each dispute's oldest undelivered event can be due, so a dispute's events go out in
    /// order whichever instance claims them. An event set aside is out of line (it stays in the
    /// partial index: set aside by hand, they are few).
    static let dueEventsQuery = """
        SELECT o.* FROM outbox o
        JOIN (SELECT dispute_id, MIN(seq) AS head FROM outbox WHERE delivered_at IS NULL AND set_aside_at IS NULL GROUP BY dispute_id) h ON o.seq = h.head
        WHERE o.dead_at IS NULL AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?)
        AND (o.lease_until IS NULL OR o.lease_until <= ?)
        ORDER BY o.seq LIMIT ?
        """

    public func releaseEvents(seqs: [Int64]) async throws {
        guard !seqs.isEmpty else { return }
        try await backend.write { db in
            for seq in seqs { try db.execute("UPDATE outbox SET lease_until = NULL WHERE seq = ? AND delivered_at IS NULL", [seq]) }
        }
    }

    public func markDelivered(seq: Int64, at date: Date) async throws {
        try await backend.write { db in
            try db.execute("UPDATE outbox SET lease_until = NULL, delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE seq = ?", [date, seq])
        }
    }

    public func markFailed(seq: Int64, nextAttemptAt: Date, error: String) async throws {
        try await backend.write { db in
            try db.execute("UPDATE outbox SET lease_until = NULL, attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE seq = ?", [nextAttemptAt, error.quotedInMessage(max: 500), seq])
        }
    }

    public func markDead(seq: Int64, at date: Date, error: String) async throws {
        try await backend.write { db in
            try db.execute("UPDATE outbox SET lease_until = NULL, attempts = attempts + 1, dead_at = ?, last_error = ? WHERE seq = ?", [date, error.quotedInMessage(max: 500), seq])
        }
    }

    public func retryEvent(id: String, at date: Date) async throws -> Bool {
        try await backend.write { db in
            try db.execute("UPDATE outbox SET dead_at = NULL, lease_until = NULL, next_attempt_at = ?, retried_at = ? WHERE event_id = ? AND delivered_at IS NULL AND set_aside_at IS NULL", [date, date, id]) == 1
        }
    }

    public func retryDeadEvents(at date: Date) async throws -> Int {
        try await backend.write { db in
            try db.execute("UPDATE outbox SET dead_at = NULL, lease_until = NULL, next_attempt_at = ?, retried_at = ? WHERE dead_at IS NOT NULL AND delivered_at IS NULL AND set_aside_at IS NULL", [date, date])
        }
    }

    public func setAsideEvent(id: String, at date: Date, reason: String) async throws -> OutboxEntry? {
        try await backend.write { db in
            let changed = try db.execute("""
                UPDATE outbox SET set_aside_at = ?, set_aside_reason = ?, lease_until = NULL
                WHERE event_id = ? AND delivered_at IS NULL AND set_aside_at IS NULL
                """, [date, reason.quotedInMessage(max: 500), id])
            guard changed == 1 else { return nil }
            return try db.row("SELECT * FROM outbox WHERE event_id = ?", [id]).map(Self.outboxEntry)
        }
    }

    public func outbox(state: OutboxEntry.State?, limit: Int) async throws -> [OutboxEntry] {
        let condition = switch state {
        case .pending: "delivered_at IS NULL AND dead_at IS NULL AND set_aside_at IS NULL"
        case .delivered: "delivered_at IS NOT NULL"
        case .dead: "dead_at IS NOT NULL AND delivered_at IS NULL AND set_aside_at IS NULL"
        case .setAside: "set_aside_at IS NOT NULL AND delivered_at IS NULL"
        case nil: "1 = 1"
        }
        return try await backend.read { db in
            try db.rows("SELECT * FROM outbox WHERE \(condition) ORDER BY seq LIMIT ?", [limit]).map(Self.outboxEntry)
        }
    }

    public func outboxEntry(id: String) async throws -> OutboxEntry? {
        try await backend.read { db in try db.row("SELECT * FROM outbox WHERE event_id = ?", [id]).map(Self.outboxEntry) }
    }

    /// These two find a parcel's events through the ids its own history and item rows keep
    /// (`StoreIndexes.eventIDColumns`), then the outbox's `event_id` index. A parcel an older
    /// returnd wrote to is read the old way, the whole outbox (a million events of 430 bytes:
    /// 0.3 s cached, 2.3 s from disk; README, "Dispute updates"): no index holds every event's
    /// parcel or dispute, since one would cost every event a write, a warehouse receipt's among
    /// them (an index on the parcel: the receipts 0.81x, bench/HISTORY.md).
    public func outbox(parcelID: String) async throws -> [OutboxEntry] {
        try await backend.read { db in
            guard let ids = try Self.eventIDs(db, parcelIDs: [parcelID]) else {
                return try db.rows("SELECT * FROM outbox WHERE parcel_id = ? ORDER BY seq", [parcelID]).map(Self.outboxEntry)
            }
            return try Self.events(db, ids)
        }
    }

    public func outbox(disputeID: String) async throws -> [OutboxEntry] {
        try await backend.read { db in
            // A dispute's events are about the parcels holding its items (parcel_items_dispute_sku).
            let parcels = try db.strings("SELECT DISTINCT parcel_id FROM parcel_items WHERE dispute_id = ?", [disputeID])
            guard let ids = try Self.eventIDs(db, parcelIDs: parcels) else {
                return try db.rows("SELECT * FROM outbox WHERE dispute_id = ? ORDER BY seq", [disputeID]).map(Self.outboxEntry)
            }
            return try Self.events(db, ids).filter { $0.disputeID == disputeID }
        }
    }

    /// Every event the writes of these parcels made, from their history and item rows; nil when
    /// an older returnd wrote one of those rows (it kept no ids), so the caller reads the outbox.
    static func eventIDs(_ db: any SQLSession, parcelIDs: [String]) throws -> [String]? {
        var ids: [String] = []
        for parcelID in parcelIDs {
            let kept = try db.rows("""
                SELECT event_ids AS ids FROM parcel_history WHERE parcel_id = ?
                UNION ALL SELECT event_id AS ids FROM parcel_items WHERE parcel_id = ?
                """, [parcelID, parcelID])
            for row in kept {
                guard let list = row["ids"] as String? else { return nil }
                ids += list.split(separator: ",").map(String.init)
            }
        }
        return Array(Set(ids))
    }

    static func events(_ db: any SQLSession, _ ids: [String]) throws -> [OutboxEntry] {
        guard !ids.isEmpty else { return [] }
        return try db.rows(eventsByIDQuery(db.dialect), [try jsonArray(ids)]).map(outboxEntry)
    }

    /// Through the outbox's `event_id` index (its UNIQUE constraint's), one lookup per id.
    static func eventsByIDQuery(_ dialect: SQLDialect) -> String {
        "SELECT * FROM outbox WHERE event_id IN (\(dialect.textsOfJSONArray)) ORDER BY seq"
    }

    static let outboxStatsQuery = """
        SELECT SUM(CASE WHEN dead_at IS NULL THEN 1 ELSE 0 END) AS pending,
               SUM(CASE WHEN dead_at IS NOT NULL THEN 1 ELSE 0 END) AS dead,
               MIN(CASE WHEN dead_at IS NULL THEN created_at END) AS oldest
        FROM outbox WHERE delivered_at IS NULL AND set_aside_at IS NULL
        """

    public func outboxStats() async throws -> OutboxStats {
        try await backend.read { db in
            // Only the undelivered rows, through their partial index: over every event ever
            // stored this took 2 s with 4,000,000 of them, on every scrape and status line.
            let row = try db.row(Self.outboxStatsQuery)!
            return OutboxStats(pending: row["pending"] ?? 0, dead: row["dead"] ?? 0, oldestPendingCreatedAt: row["oldest"])
        }
    }

    public func storeBytes() async throws -> Int {
        let query = backend.dialect.storeBytes
        return try await backend.read { db in try db.int(query) ?? 0 }
    }

    public func storeFreeBytes() async throws -> Int? { backend.freeBytes() }

    static func outboxEntry(_ r: SQLRow) -> OutboxEntry {
        OutboxEntry(
            seq: r["seq"], eventID: r["event_id"], disputeID: r["dispute_id"], parcelID: r["parcel_id"], type: r["type"],
            payload: r["payload"], createdAt: r["created_at"], attempts: r["attempts"], nextAttemptAt: r["next_attempt_at"],
            lastError: r["last_error"], deliveredAt: r["delivered_at"], deadAt: r["dead_at"], retriedAt: r["retried_at"],
            setAsideAt: r["set_aside_at"], setAsideReason: r["set_aside_reason"])
    }

    // MARK: - Timers

    /// Parcels whose label expired unused, oldest first (`parcels_awaiting_drop_off`), each with
    /// its poll schedule: past the second cutoff (the end of the wait for a final check), not
    /// followed, or asked after its deadline by a poll that succeeded.
    static let overdueLabelsQuery = """
        SELECT p.id, p.drop_off_by, s.parcel_id AS followed, s.last_polled_at, s.failures, s.last_error
        FROM parcels p LEFT JOIN tracking_schedule s ON s.parcel_id = p.id
        WHERE p.status = 'label_issued' AND p.drop_off_by < ?
        AND (p.drop_off_by < ? OR s.parcel_id IS NULL OR (s.last_polled_at >= p.drop_off_by AND s.failures = 0))
        ORDER BY p.drop_off_by LIMIT ?
        """

    public func overdueLabels(now: Date, limit: Int, finalCheckWait: TimeInterval?) async throws -> [OverdueLabel] {
        // No wait: every label past its deadline is past the end of the wait too.
        let waitEnd = now.addingTimeInterval(-(finalCheckWait ?? 0))
        return try await backend.read { db in
            try db.rows(Self.overdueLabelsQuery, [now, waitEnd, limit]).map { row in
                let deadline: Date = row["drop_off_by"], polled: Date? = row["last_polled_at"]
                let followed = finalCheckWait != nil && (row["followed"] as String?) != nil
                let checked = followed && (row["failures"] as Int?) == 0 ? polled.flatMap { $0 >= deadline ? $0 : nil } : nil
                return OverdueLabel(parcelID: row["id"], checkedAt: checked, wasToBeChecked: followed,
                                    lastPollError: checked == nil && followed ? row["last_error"] : nil)
            }
        }
    }

    /// Through `parcels_awaiting_drop_off`: the labels past their deadline, not every label.
    static let labelsPastDeadlineQuery = "SELECT COUNT(*) AS n, MIN(drop_off_by) AS oldest FROM parcels WHERE status = 'label_issued' AND drop_off_by < ?"

    public func labelsPastDeadline(now: Date) async throws -> LabelsPastDeadline {
        try await backend.read { db in
            let row = try db.row(Self.labelsPastDeadlineQuery, [now])
            return LabelsPastDeadline(count: row?["n"] ?? 0, oldestDeadline: row?["oldest"])
        }
    }

    /// The oldest keys past the retention, through `idempotency_keys_created_at`: a pass costs
    /// the keys it forgets, not every key stored.
    static let agedIdempotencyKeysQuery = "SELECT key FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?"

    public func forgetIdempotencyKeys(before: Date, limit: Int) async throws -> Int {
        try await backend.write { db in
            try db.execute("DELETE FROM idempotency_keys WHERE key IN (\(Self.agedIdempotencyKeysQuery))", [before, limit])
        }
    }

    /// The carrier arrivals the timer watches, oldest first: whether each still waits for a
    /// scan (the parcel not inspected, no receipt at its own warehouse) and whether it arrived
    /// before the cutoff. `arrivals_awaiting_scan` holds only those waiting and those confirmed
    /// since the last pass, not every carrier arrival ever stored (`StoreIndexes`). The parcel
    /// is looked up per row, not joined: a join let SQLite's planner scan all the parcels when
    /// it had statistics for them and none yet for the new table (a third of a second a pass at
    /// 1,000,000 parcels).
    static let watchedArrivalsQuery = """
        SELECT parcel_id AS id,
        CASE WHEN (SELECT p.status FROM parcels p WHERE p.id = arrivals_awaiting_scan.parcel_id) = 'arrived_at_warehouse'
            AND NOT EXISTS (SELECT 1 FROM warehouse_receipts r WHERE r.parcel_id = arrivals_awaiting_scan.parcel_id AND r.misrouted = 0)
            THEN 1 ELSE 0 END AS waiting,
        CASE WHEN arrived_at < ? THEN 1 ELSE 0 END AS overdue
        FROM arrivals_awaiting_scan ORDER BY arrived_at, parcel_id
        """

    /// Parcels a carrier reported at the warehouse before the cutoff that no scanner there read,
    /// oldest arrival first. Forgets the arrivals confirmed since the last call: a receipt and
    /// an inspection are never undone, so a confirmed arrival stays confirmed.
    public func unconfirmedArrivals(before: Date) async throws -> [Parcel] {
        let (unconfirmed, confirmed) = try await backend.read { db -> ([Parcel], [String]) in
            var unconfirmed: [Parcel] = [], confirmed: [String] = []
            for row in try db.rows(Self.watchedArrivalsQuery, [before]) {
                let id: String = row["id"]
                if row["waiting"] as Int == 0 {
                    confirmed.append(id)
                } else if row["overdue"] as Int == 1, let parcel = try Self.loadParcel(db, where: "id = ?", id) {
                    unconfirmed.append(parcel)
                }
            }
            return (unconfirmed, confirmed)
        }
        // A write only when something was confirmed, and one statement for all of it.
        if !confirmed.isEmpty {
            try await backend.write { db in
                try db.execute("DELETE FROM arrivals_awaiting_scan WHERE parcel_id IN (\(db.dialect.textsOfJSONArray))", [try Self.jsonArray(confirmed)])
            }
        }
        return unconfirmed
    }
}

/// Parcel lookups on the transaction's own session. `lock`: the transaction is about to change
/// the parcel it finds (PostgreSQL takes its row lock).
struct SessionParcelFinder: ParcelFinder {
    let db: any SQLSession
    let lock: Bool

    func parcel(id: String) throws -> Parcel? { try SQLReturnStore.loadParcel(db, where: "id = ?", id, lock: lock) }
    func parcel(trackingNumber: String) throws -> Parcel? {
        // A package under another parcel's label has no number of its own (NULL), so this is
        // the labelled parcel, through the number's unique index.
        try SQLReturnStore.loadParcel(db, where: "tracking_number = ?", trackingNumber, lock: lock)
    }
    func packages(reusingLabelOf parcelID: String) throws -> [Parcel] {
        try db.strings("SELECT id FROM parcels WHERE label_of = ? ORDER BY created_at, id", [parcelID]).compactMap {
            try SQLReturnStore.loadParcel(db, where: "id = ?", $0, lock: lock)
        }
    }
    func receivedPackages(among ids: [String], at warehouseID: String) throws -> Set<String> {
        Set(try db.strings("SELECT DISTINCT parcel_id FROM warehouse_receipts WHERE parcel_id IN (\(db.dialect.textsOfJSONArray)) AND warehouse_id = ?", [try SQLReturnStore.jsonArray(ids), warehouseID]))
    }
    func package(among ids: [String], readAt warehouseID: String, scannedAt: Date) throws -> String? {
        try db.string("SELECT parcel_id FROM warehouse_receipts WHERE parcel_id IN (\(db.dialect.textsOfJSONArray)) AND warehouse_id = ? AND scanned_at = ? LIMIT 1",
                      [try SQLReturnStore.jsonArray(ids), warehouseID, scannedAt])
    }
    func parcel(returnCode: String) throws -> Parcel? { try SQLReturnStore.loadParcel(db, where: "return_code = ?", returnCode, lock: lock) }
}
