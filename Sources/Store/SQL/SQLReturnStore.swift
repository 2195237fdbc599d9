import Foundation
import Logging
import ReturnsCore

/// The store's logic, written once over `SQLBackend`: SQLite (the embedded default) or
/// PostgreSQL (several instances). The backends differ only in connections, transactions,
/// migrations and the few words of `SQLDialect`.
public final class SQLReturnStore: ReturnStore {
    public let backend: any SQLBackend
    let logger: Logger
    let serials = SerialBlocks()

    public init(backend: any SQLBackend, logger: Logger = Logger(label: "returnd.store")) {
        self.backend = backend
        self.logger = logger
    }

    /// The embedded default: a SQLite file.
    public static func sqlite(path: String, logger: Logger = Logger(label: "returnd.store"), busyTimeout: TimeInterval = 10) throws -> SQLReturnStore {
        SQLReturnStore(backend: try SQLiteBackend(path: path, busyTimeout: busyTimeout, logger: logger), logger: logger)
    }

    /// Creates or upgrades the schema; refuses a store a newer returnd has upgraded. This
    /// version would not keep what those migrations added (a newer table its writes do not fill,
    /// a column its inserts leave out), and nothing in the store says how to go back.
    public func migrate() async throws {
        let (known, applied) = try await backend.migrations()
        let unknown = applied.filter { !known.contains($0) }
        if !unknown.isEmpty { throw StoreError.database(Self.newerSchema(unknown)) }
        try await backend.migrate()
    }

    public static func newerSchema(_ unknown: [String]) -> String {
        "the store was upgraded by a newer returnd: it holds \(unknown.count == 1 ? "a migration" : "migrations") this version does not know (\(unknown.joined(separator: "; "))). "
            + "Run that version or a later one; going back to this one needs the backup taken before the upgrade"
    }

    public func close() async throws {
        try await backend.close()
    }

    public func ping() async throws {
        try await backend.ping()
    }

    // MARK: - Returns

    public func issueReturn(_ issuance: ReturnIssuance) async throws -> ReturnIssuanceOutcome {
        let block = backend.dialect.serialBlock
        guard block > 1 else { return try await backend.write { db in try Self.issue(issuance, db) } }
        // Serials come from this instance's reserved block; when it is empty the transaction
        // stops before writing anything, a new block is reserved, and the issue runs again.
        while true {
            do {
                return try await backend.write { [serials] db in
                    try Self.issue(issuance, db) { _ in
                        guard let serial = serials.take(issuance.serialCounterKey, range: issuance.serialRange) else { throw SerialBlocks.Empty() }
                        return serial
                    }
                }
            } catch is SerialBlocks.Empty {
                try await serials.refill(issuance.serialCounterKey, range: issuance.serialRange) {
                    try await backend.write { db in try Self.reserveSerials(db, issuance, count: block) }
                }
            }
        }
    }

    static func issue(
        _ i: ReturnIssuance, _ db: any SQLSession, serial allocate: ((any SQLSession) throws -> Int)? = nil
    ) throws -> ReturnIssuanceOutcome {
        let request = i.request
        // Before anything is read: a second request for the dispute waits here, then sees what
        // the first committed (its key, its items).
        if let lock = db.dialect.lockDispute { try db.execute(lock, [request.disputeID]) }
        if let key = i.idempotencyKey,
            let row = try db.row("SELECT request_hash, request_fingerprint, parcel_id FROM idempotency_keys WHERE key = ?", [key])
        {
            // The fingerprint where one is stored, else the column as each returnd filled it:
            // the body's bytes before 2026-12-07, the fingerprint that day, the bytes again since.
            let stored = row["request_hash"] as String, fingerprint: String? = row["request_fingerprint"]
            guard fingerprint == i.requestHash || stored == i.requestHash || stored == i.bodyHash else {
                throw ReturnRefusal(.idempotencyKeyReused, "Idempotency-Key \(key) was used before with a different request (a field returnd reads differs)")
            }
            guard let parcel = try loadParcel(db, where: "id = ?", row["parcel_id"] as String) else {
                throw StoreError.corrupt("idempotency key \(key) points at a missing parcel")
            }
            return ReturnIssuanceOutcome(parcel: parcel, kind: .replayed)
        }
        // An item already in a live parcel must not get a second label.
        for item in request.items {
            if let parcelID = try db.string("""
                    SELECT p.id FROM parcel_items i JOIN parcels p ON p.id = i.parcel_id
                    WHERE i.dispute_id = ? AND i.sku = ? AND p.status NOT IN ('expired', 'cancelled') LIMIT 1
                    """, [request.disputeID, item.sku])
            {
                throw ReturnRefusal(.itemAlreadyReturned, "item \(item.sku) of dispute \(request.disputeID) is already in parcel \(parcelID)")
            }
        }
        let key = GroupingKey(request)
        // The label event's id, known before the rows that keep it are written.
        let labelEventID = DisputeEvent.newID()
        // The buyer and seller's unused labels: the open parcel, and any past its deadline that
        // the timers have yet to expire (they wait for its carrier's word: a box may be on its
        // way under it). Joined, new items would expire with such a parcel, so it takes no more
        // (`closed_to_items`, out of the one-open-parcel index) and they go to the open one, or
        // open a parcel of their own.
        let unused = try db.rows(Self.unusedLabelsQuery + db.dialect.lockRow, [key.buyerID, key.sellerID, key.country])
        let waiting = unused.filter { ($0["drop_off_by"] as Date) < i.now }.map { $0["id"] as String }
        if !waiting.isEmpty {
            try db.execute("UPDATE parcels SET closed_to_items = 1 WHERE id IN (\(db.dialect.textsOfJSONArray))", [try Self.jsonArray(waiting)])
        }
        let openID = unused.first { ($0["drop_off_by"] as Date) >= i.now }.map { $0["id"] as String }
        let open = try openID.flatMap { try loadParcel(db, where: "id = ?", $0) }
        let parcelID: String
        let kind: ReturnIssuanceOutcome.Kind
        if let open {
            parcelID = open.id
            kind = .joined
            let deadlines = i.policy.deadlines(receivedAt: request.receivedAt, createdAt: open.createdAt, existingDropOffBy: open.dropOffBy)
            try db.execute("""
                    UPDATE parcels SET label_version = label_version + 1, label_issued_at = ?, drop_off_by = ?, faster_refund_by = ?,
                    buyer_json = ?, updated_at = ? WHERE id = ?
                    """, [i.now, deadlines.dropOffBy, deadlines.fasterRefundBy, try json(request.buyer), i.now, parcelID])
            if deadlines.dropOffBy < open.dropOffBy {
                // An item with an earlier deadline brought the parcel's forward: so is its poll at it.
                try db.execute("UPDATE tracking_schedule SET next_poll_at = ? WHERE parcel_id = ? AND next_poll_at > ?", [deadlines.dropOffBy, parcelID, deadlines.dropOffBy])
            }
            try insertItems(db, parcelID: parcelID, startingAt: open.items.count, request, eventID: labelEventID)
        } else {
            // DOMAIN.md: once the order's free label was used, the rest of the order goes back
            // under it. Such a package gets no serial, no label and no schedule: it stores no
            // number of its own (NULL; it shows its label's) but its labelled parcel in
            // `label_of`; the carrier's events for the number are that parcel's, and the package
            // moves by the kiosk and the warehouse scan.
            let used = try usedLabel(db, request, key)
            kind = used == nil ? .created : .reusedLabel
            let number: (column: String, value: String) = if let used {
                ("label_of", used.id)
            } else {
                ("tracking_number", i.scheme.trackingNumber(serial: try allocate.map { try $0(db) } ?? allocateSerial(db, i), date: i.now))
            }
            parcelID = try freshParcelID(db)
            let code = try freshReturnCode(db)
            let deadlines = i.policy.deadlines(receivedAt: request.receivedAt, createdAt: i.now, existingDropOffBy: nil)
            try db.execute("""
                    INSERT INTO parcels (id, \(number.column), return_code, carrier_id, country, status, buyer_id, seller_id,
                    seller_name, buyer_json, warehouse_id, drop_off_by, faster_refund_by, created_at, updated_at, label_version)
                    VALUES (?, ?, ?, ?, ?, 'label_issued', ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                    """, [
                    parcelID, number.value, code, used?.carrierID ?? i.carrierID, key.country, key.buyerID, key.sellerID, request.seller.name,
                    try json(request.buyer), used?.warehouseID ?? i.warehouseID, deadlines.dropOffBy, deadlines.fasterRefundBy, i.now, i.now,
                ])
            let detail = "dispute \(request.disputeID)" + (used.map { "; order \(request.orderID) goes back under the used label of parcel \($0.id), tracking number \($0.trackingNumber) written by hand" } ?? "")
            try db.execute("INSERT INTO parcel_history (parcel_id, status, source, occurred_at, detail, event_ids) VALUES (?, 'label_issued', 'marketplace', ?, ?, ?)", [parcelID, i.now, detail, labelEventID])
            try insertItems(db, parcelID: parcelID, startingAt: 0, request, eventID: labelEventID)
            if let used {
                try db.execute("UPDATE parcels SET packages_under_label = packages_under_label + 1 WHERE id = ?", [used.id])
            } else {
                // Followed from the start (a buyer may skip the kiosk); the poller spaces the polls.
                // At the latest at the drop-off deadline: the expiry waits for a poll after it.
                try db.execute("INSERT INTO tracking_schedule (parcel_id, next_poll_at) VALUES (?, ?)", [parcelID, min(i.now.addingTimeInterval(i.firstPollDelay), deadlines.dropOffBy)])
            }
        }
        if let key = i.idempotencyKey {
            // The bytes' hash where an older returnd looks (during a rolling upgrade it may take
            // this key's retry: a byte-identical one replays there), the fingerprint beside it.
            try db.execute("INSERT INTO idempotency_keys (key, request_hash, request_fingerprint, parcel_id, created_at) VALUES (?, ?, ?, ?, ?)",
                           [key, i.bodyHash ?? i.requestHash, i.requestHash, parcelID, i.now])
        }
        guard let parcel = try loadParcel(db, where: "id = ?", parcelID) else { throw StoreError.corrupt("parcel \(parcelID) vanished") }
        var events = DisputeEvent.events(.labelIssued, for: parcel, disputes: [request.disputeID], at: i.now)
        for index in events.indices { events[index].id = labelEventID }
        try insertEvents(db, events)
        return ReturnIssuanceOutcome(parcel: parcel, kind: kind)
    }

    /// A buyer and seller's unused labels (`parcels_buyer_seller`): the open parcel, and those past
    /// their deadline waiting to expire. `closed_to_items` is not read here, so a store of an
    /// older schema (the migration tests build one) issues as before.
    static let unusedLabelsQuery = "SELECT id, drop_off_by FROM parcels WHERE buyer_id = ? AND seller_id = ? AND country = ? AND status = 'label_issued'"

    /// The used label of this order (same buyer, seller and country), if there is one: the rest
    /// of the order goes back under it. The oldest used parcel holding items of the order names
    /// it: its own label, or the label it went back under itself (an order whose first items
    /// joined a package under another order's label). `p.*` so that a store not yet migrated
    /// to `label_of` (the migration tests) reads it as absent.
    static func usedLabel(_ db: any SQLSession, _ request: ReturnRequest, _ key: GroupingKey) throws -> (id: String, trackingNumber: String, carrierID: String, warehouseID: String)? {
        guard let row = try db.row("""
                SELECT p.* FROM parcels p WHERE p.buyer_id = ? AND p.seller_id = ? AND p.country = ?
                AND p.status IN \(ParcelStatus.labelUsedSQL)
                AND EXISTS (SELECT 1 FROM parcel_items i WHERE i.parcel_id = p.id AND i.order_id = ?)
                ORDER BY p.created_at, p.id LIMIT 1
                """, [key.buyerID, key.sellerID, key.country, request.orderID])
        else { return nil }
        let labelledID: String = row["label_of"] ?? row["id"]
        guard let labelled = try db.row("SELECT tracking_number, carrier_id, warehouse_id FROM parcels WHERE id = ? AND tracking_number IS NOT NULL", [labelledID]) else {
            throw StoreError.corrupt("parcel \(labelledID), the label of order \(request.orderID), has no tracking number")
        }
        return (labelledID, labelled["tracking_number"], labelled["carrier_id"], labelled["warehouse_id"])
    }

    /// Takes the next serial of the counter inside the caller's transaction, so a number is
    /// used exactly when its parcel commits (SQLite).
    static func allocateSerial(_ db: any SQLSession, _ i: ReturnIssuance) throws -> Int {
        try upsertCounter(db, i)
        guard let serial = try db.int(
            "UPDATE serial_counters SET next_serial = next_serial + 1 WHERE key = ? AND next_serial <= last_serial RETURNING next_serial - 1",
            [i.serialCounterKey])
        else { throw exhausted(i) }
        return serial
    }

    /// Reserves up to `count` serials in one short transaction (PostgreSQL). Serials reserved
    /// but never used (an instance stopped, a parcel's transaction failed) are skipped for good:
    /// a gap in the carrier's range, never a number used twice.
    static func reserveSerials(_ db: any SQLSession, _ i: ReturnIssuance, count: Int) throws -> ClosedRange<Int> {
        try upsertCounter(db, i)
        guard let row = try db.row("SELECT next_serial, last_serial FROM serial_counters WHERE key = ?\(db.dialect.lockRow)", [i.serialCounterKey]) else {
            throw StoreError.corrupt("serial counter \(i.serialCounterKey) vanished")
        }
        let next: Int = row["next_serial"], last: Int = row["last_serial"]
        guard next <= last else { throw exhausted(i) }
        let end = min(last, next + count - 1)
        try db.execute("UPDATE serial_counters SET next_serial = ? WHERE key = ?", [end + 1, i.serialCounterKey])
        return next...end
    }

    /// The range comes from the carrier file; widening it there widens it here.
    static func upsertCounter(_ db: any SQLSession, _ i: ReturnIssuance) throws {
        try db.execute("""
                INSERT INTO serial_counters (key, next_serial, last_serial) VALUES (?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET last_serial = excluded.last_serial,
                next_serial = CASE WHEN serial_counters.next_serial > excluded.next_serial
                    THEN serial_counters.next_serial ELSE excluded.next_serial END
                """, [i.serialCounterKey, i.serialRange.lowerBound, i.serialRange.upperBound])
    }

    static func exhausted(_ i: ReturnIssuance) -> ReturnRefusal {
        ReturnRefusal(.serialRangeExhausted, "carrier \(i.carrierID) has used every tracking number of its range \(i.serialRange); widen tracking_number.serial_range")
    }

    static func freshParcelID(_ db: any SQLSession) throws -> String {
        for _ in 0..<8 {
            let id = ParcelID.random()
            if try !db.exists("SELECT 1 FROM parcels WHERE id = ?", [id]) { return id }
        }
        throw StoreError.corrupt("could not draw a free parcel id")
    }

    static func freshReturnCode(_ db: any SQLSession) throws -> String {
        for _ in 0..<8 {
            let code = ReturnCode.random().canonical
            if try !db.exists("SELECT 1 FROM parcels WHERE return_code = ?", [code]) { return code }
        }
        throw StoreError.corrupt("could not draw a free return code")
    }

    static let itemInsert = RowInsert(
        into: "parcel_items", columns: ["parcel_id", "position", "dispute_id", "order_id", "sku", "title", "quantity", "unit_amount", "currency", "event_id"])
    static let eventInsert = RowInsert(into: "outbox", columns: ["event_id", "dispute_id", "parcel_id", "type", "payload", "created_at"])
    static let verdictInsert = RowInsert(into: "item_inspections", columns: ["parcel_id", "dispute_id", "sku", "outcome", "reason", "inspected_at"])

    /// `eventID`: the label event of the request that brings them (`StoreIndexes.eventIDColumns`).
    static func insertItems(_ db: any SQLSession, parcelID: String, startingAt: Int, _ r: ReturnRequest, eventID: String) throws {
        try itemInsert.run(
            db, r.items.enumerated().map { offset, item in
                [parcelID, startingAt + offset, r.disputeID, r.orderID, item.sku, item.title, item.quantity, item.unitPrice.amount, item.unitPrice.currency, eventID]
            })
    }

    static func insertEvents(_ db: any SQLSession, _ events: [DisputeEvent]) throws {
        try insertEvents(db, try events.map { PlannedEvent(event: $0, payload: try $0.jsonText()) })
    }

    /// In the given order: a dispute's events are sent in the order they were written.
    static func insertEvents(_ db: any SQLSession, _ planned: [PlannedEvent]) throws {
        // created_at is when the event was written, not when it happened (in the payload): a
        // carrier scan reported days late must not count as days undelivered (dead-letter age).
        let now = Date()
        try eventInsert.run(db, planned.map { [$0.event.id, $0.event.disputeID, $0.event.parcelID, $0.event.type.rawValue, $0.payload, now] })
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder.returnd.encode(value), as: UTF8.self)
    }

    // MARK: - Reading parcels

    public func parcel(id: String) async throws -> Parcel? {
        try await findParcel { try $0.parcel(id: id) }
    }

    /// The parcel whose own label carries this number (not the packages going under it).
    public func parcel(trackingNumber: String) async throws -> Parcel? {
        try await findParcel { try $0.parcel(trackingNumber: trackingNumber) }
    }

    public func packages(reusingLabelOf parcelID: String) async throws -> [Parcel] {
        try await findParcel { try $0.packages(reusingLabelOf: parcelID) }
    }

    public func parcel(returnCode: String) async throws -> Parcel? {
        try await findParcel { try $0.parcel(returnCode: returnCode) }
    }

    /// `lock`: the transaction is about to change the parcel (PostgreSQL takes its row lock).
    static func loadParcel(_ db: any SQLSession, where condition: String, _ value: String, lock: Bool = false) throws -> Parcel? {
        guard let row = try db.row("SELECT * FROM parcels WHERE \(condition)\(lock ? db.dialect.lockRow : "")", [value]) else { return nil }
        let id: String = row["id"]
        let items = try db.rows("SELECT * FROM parcel_items WHERE parcel_id = ? ORDER BY position", [id]).map { r in
            ParcelItem(
                disputeID: r["dispute_id"], orderID: r["order_id"], sku: r["sku"], title: r["title"], quantity: r["quantity"],
                unitPrice: Money(amount: r["unit_amount"], currency: r["currency"]))
        }
        let history = try db.rows("SELECT * FROM parcel_history WHERE parcel_id = ? ORDER BY id", [id]).map { r in
            StatusChange(
                status: ParcelStatus(rawValue: r["status"]) ?? .labelIssued, source: StatusSource(rawValue: r["source"]) ?? .operator,
                occurredAt: r["occurred_at"], detail: r["detail"])
        }
        guard let status = ParcelStatus(rawValue: row["status"]) else { throw StoreError.corrupt("parcel \(id) has status \(row.value("status"))") }
        let buyer = try Buyer.decodeStored(row["buyer_json"])
        // A package under another parcel's label has no number of its own: it shows that label's.
        let labelOf: String? = row["label_of"]
        guard let trackingNumber = try row["tracking_number"] ?? labelOf.flatMap({ try db.string("SELECT tracking_number FROM parcels WHERE id = ?", [$0]) }) else {
            throw StoreError.corrupt("parcel \(id) has no tracking number and no label it goes back under")
        }
        return Parcel(
            id: id, trackingNumber: trackingNumber, carrierID: row["carrier_id"], country: row["country"], status: status,
            returnCode: row["return_code"], buyer: buyer, seller: Seller(id: row["seller_id"], name: row["seller_name"]),
            warehouseID: row["warehouse_id"], items: items, history: history, dropOffBy: row["drop_off_by"],
            fasterRefundBy: row["faster_refund_by"], createdAt: row["created_at"], labelVersion: row["label_version"],
            labelIssuedAt: row["label_issued_at"], labelOf: labelOf, packagesUnderLabel: row["packages_under_label"] ?? 0)
    }

    public func parcelCounts(inspectionOverdueBefore: Date?) async throws -> [ParcelCount] {
        // One pass over the parcels either way: the overdue ones are summed beside the count.
        let before = inspectionOverdueBefore ?? .distantPast
        return try await backend.read { db in
            try db.rows("""
                SELECT status, country, COUNT(*) AS n,
                    SUM(CASE WHEN status = 'arrived_at_warehouse' AND updated_at < ? THEN 1 ELSE 0 END) AS overdue
                FROM parcels GROUP BY status, country ORDER BY status, country
                """, [before]).compactMap {
                guard let status = ParcelStatus(rawValue: $0["status"]) else { return nil }
                return ParcelCount(status: status, country: $0["country"], count: $0["n"], overdue: $0["overdue"])
            }
        }
    }

    public func parcels(_ filter: ParcelFilter, limit: Int) async throws -> ParcelListPage {
        var conditions: [String] = [], arguments: [SQLValue] = []
        func match(_ column: String, _ value: (any SQLBindable)?, _ op: String = "=") {
            guard let value else { return }
            conditions.append("p.\(column) \(op) ?")
            arguments.append(value.sqlValue)
        }
        match("status", filter.status?.rawValue)
        match("country", filter.country)
        match("carrier_id", filter.carrierID)
        match("warehouse_id", filter.warehouseID)
        match("updated_at", filter.changedBefore, "<")
        if filter.flaggedReads {
            // Per parcel through the receipts' (parcel, warehouse, scan time) key and the carrier
            // events' (parcel, ...) key, inside the scan below. A carrier event stored after the
            // return closed is `TrackingEventRecord.isAfterClose`.
            conditions.append("""
                (EXISTS (SELECT 1 FROM warehouse_receipts r WHERE r.parcel_id = p.id
                         AND ((r.misrouted = 1 AND p.status NOT IN ('arrived_at_warehouse', 'inspected')) OR p.status IN ('expired', 'cancelled')))
                 OR (p.status IN ('expired', 'cancelled') AND EXISTS (
                     SELECT 1 FROM tracking_events e WHERE e.parcel_id = p.id AND e.status IS NOT NULL
                     AND e.recorded_at >= (SELECT MAX(h.occurred_at) FROM parcel_history h WHERE h.parcel_id = p.id AND h.status = p.status))))
                """)
        }
        if filter.unscannedArrivals {
            // The timer's watch list holds every carrier arrival until a scan confirms it (and
            // forgets it at its next pass after one): a few rows, each checked as the timer does.
            conditions.append("""
                p.status = 'arrived_at_warehouse' AND p.id IN (SELECT a.parcel_id FROM arrivals_awaiting_scan a)
                AND NOT EXISTS (SELECT 1 FROM warehouse_receipts r WHERE r.parcel_id = p.id AND r.misrouted = 0)
                """)
        }
        if let dispute = filter.disputeID {
            // Through the items' (dispute, sku) index: a dispute's few parcels, not a scan.
            conditions.append("p.id IN (SELECT i.parcel_id FROM parcel_items i WHERE i.dispute_id = ?)")
            arguments.append(dispute.sqlValue)
        }
        // No index serves this (a status index would cost every receipt a write); the window
        // count gives the number matching from the same scan.
        let sql = """
                SELECT p.id, COALESCE(p.tracking_number, l.tracking_number) AS tracking_number, p.carrier_id, p.country, p.status,
                       p.warehouse_id, p.created_at, p.updated_at, p.label_of, COUNT(*) OVER () AS matching
                FROM parcels p LEFT JOIN parcels l ON l.id = p.label_of
                \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                ORDER BY p.updated_at, p.id LIMIT ?
                """
        let values = arguments + [limit.sqlValue]
        let rows = try await backend.read { db in try db.rows(sql, values) }
        let parcels = rows.compactMap { r -> ParcelListing? in
            guard let status = ParcelStatus(rawValue: r["status"]) else { return nil }
            return ParcelListing(id: r["id"], trackingNumber: r["tracking_number"], carrierID: r["carrier_id"], country: r["country"], status: status,
                                 warehouseID: r["warehouse_id"], createdAt: r["created_at"], changedAt: r["updated_at"], labelOf: r["label_of"])
        }
        return ParcelListPage(parcels: parcels, matching: rows.first.map { $0["matching"] } ?? 0)
    }

    public func parcelCountSnapshot() async throws -> ParcelCountSnapshot? {
        try await backend.read { db in
            guard let row = try db.row("SELECT counted_at, counted_by, counts FROM parcel_count_snapshot WHERE id = 1") else { return nil }
            // A count that does not read back is only a cache: the next count replaces it.
            guard let counts = try? JSONDecoder().decode([ParcelCount].self, from: Data((row["counts"] as String).utf8)) else { return nil }
            return ParcelCountSnapshot(counts: counts, countedAt: row["counted_at"], countedBy: row["counted_by"])
        }
    }

    public func saveParcelCountSnapshot(_ snapshot: ParcelCountSnapshot) async throws {
        let counts = String(decoding: try JSONEncoder().encode(snapshot.counts), as: UTF8.self)
        try await backend.write { db in
            try db.execute("""
                INSERT INTO parcel_count_snapshot (id, counted_at, counted_by, counts) VALUES (1, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET counted_at = excluded.counted_at, counted_by = excluded.counted_by, counts = excluded.counts
                """, [snapshot.countedAt, snapshot.countedBy, counts])
        }
    }

    public func serialCounters() async throws -> [SerialCounterUsage] {
        try await backend.read { db in
            try db.rows("SELECT * FROM serial_counters ORDER BY key").map {
                SerialCounterUsage(key: $0["key"], next: $0["next_serial"], last: $0["last_serial"])
            }
        }
    }

    // MARK: - Tokens

    public func createToken(_ token: AccessToken, secretHash: String) async throws {
        try await backend.write { db in
            try db.execute("INSERT INTO api_tokens (id, token_hash, role, scope, label, created_at) VALUES (?, ?, ?, ?, ?, ?)", [token.id, secretHash, token.role.rawValue, token.scope, token.label, token.createdAt])
        }
    }

    public func activeToken(secretHash: String) async throws -> AccessToken? {
        try await backend.read { db in
            try db.row("SELECT * FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL", [secretHash])
                .flatMap(Self.token)
        }
    }

    public func tokens() async throws -> [AccessToken] {
        try await backend.read { db in try db.rows("SELECT * FROM api_tokens ORDER BY created_at, id").compactMap(Self.token) }
    }

    public func revokeToken(id: String, at date: Date) async throws -> Bool {
        try await backend.write { db in
            try db.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [date, id]) == 1
        }
    }

    static func token(_ r: SQLRow) -> AccessToken? {
        guard let role = Role(rawValue: r["role"]) else { return nil }
        return AccessToken(id: r["id"], role: role, scope: r["scope"], label: r["label"], createdAt: r["created_at"], revokedAt: r["revoked_at"])
    }
}
