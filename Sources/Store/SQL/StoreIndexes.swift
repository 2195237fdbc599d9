/// Schema changes (and the data clean-ups that go with them) both backends share.
enum StoreIndexes {
    /// The two timers' queries read parcels still waiting for drop-off and carrier arrivals not
    /// yet confirmed by a scan. Indexes on every status and every history row served them, and
    /// every status change paid for them: a delete and an insert in `parcels_status`, an insert
    /// in `parcel_history_status`. Partial indexes hold only the rows those queries read, so a
    /// warehouse receipt or a tracking move writes neither.
    static let timerIndexes = [
        "DROP INDEX parcels_status",
        "DROP INDEX parcel_history_status",
        "CREATE INDEX parcels_awaiting_drop_off ON parcels(drop_off_by) WHERE status = 'label_issued'",
        "CREATE INDEX parcel_history_carrier_arrivals ON parcel_history(occurred_at) WHERE status = 'arrived_at_warehouse' AND source = 'carrier'",
    ]

    /// The bytes of the carrier's last stored answer, digested, beside the digest of its events:
    /// a poll that gets the same bytes again moves the schedule on without reading them.
    static let answerDigestColumn = "ALTER TABLE tracking_schedule ADD COLUMN answer_digest TEXT"

    /// Until 2026-12-03 the claim filtered the parcel's status in its query, so the schedule row
    /// of a parcel read by a scanner, expired or cancelled stayed at the head of the due index
    /// and every pass walked it (a second a pass with 300,000 parcels received). The claim now
    /// deletes such rows as it meets them; this clears the ones a store gathered before, once.
    /// Both tables are in issuance order, so it is mostly sequential: about a second per
    /// 300,000 rows on SQLite.
    static let finishedSchedules = """
        DELETE FROM tracking_schedule WHERE parcel_id IN
        (SELECT id FROM parcels WHERE status NOT IN ('label_issued', 'dropped_off', 'in_transit'))
        """
}

extension StoreIndexes {
    /// The carrier arrivals the unconfirmed-arrivals timer watches: written when a carrier
    /// reports a parcel at the warehouse (the tracking path), forgotten by the timer once a
    /// scanner there read the parcel or it was inspected. Until 2026-12-03 the timer walked
    /// `parcel_history_carrier_arrivals`, every carrier arrival ever stored, on each pass: 4 to
    /// 8 s with 1,000,000 of them (bench/arrivals_timer). The table holds only the arrivals still
    /// waiting and those confirmed since the last pass, so a pass costs what is waiting. A
    /// receipt writes nothing here: the receipt's write set is its cost (docs/PERFORMANCE.md,
    /// Warehouse receipts).
    /// `dateType`: DATETIME on SQLite, TIMESTAMPTZ on PostgreSQL.
    static func arrivalsAwaitingScan(dateType: String) -> [String] {
        [
            "CREATE TABLE arrivals_awaiting_scan (parcel_id TEXT PRIMARY KEY REFERENCES parcels(id), arrived_at \(dateType) NOT NULL)",
            // The carrier arrivals not yet confirmed, read once through the index they replace.
            """
            INSERT INTO arrivals_awaiting_scan (parcel_id, arrived_at)
            SELECT h.parcel_id, MIN(h.occurred_at) FROM parcel_history h JOIN parcels p ON p.id = h.parcel_id
            WHERE h.status = 'arrived_at_warehouse' AND h.source = 'carrier' AND p.status = 'arrived_at_warehouse'
            AND NOT EXISTS (SELECT 1 FROM warehouse_receipts r WHERE r.parcel_id = p.id AND r.misrouted = 0)
            GROUP BY h.parcel_id
            """,
            // Nothing reads it any more, and every carrier arrival wrote it.
            "DROP INDEX parcel_history_carrier_arrivals",
        ]
    }
}

extension StoreIndexes {
    /// DOMAIN.md: once an order's free label is used, the rest of the order goes back in a
    /// package under that label's number. Such a package is a parcel row of its own (id, return
    /// code, items, history) with `label_of` naming the labelled parcel and no tracking number
    /// of its own (NULL: it has no label; it shows its label's). So the number stays UNIQUE and
    /// every lookup by number finds the labelled parcel through the same index as before.
    /// `label_of` has no foreign key: `returnctl db copy` copies parcels in id order, and
    /// `db check` checks it instead. `packages_under_label` counts them on the labelled parcel,
    /// so a warehouse scan of a number (the receipts' hot path) looks for such packages only
    /// when there are some: no query more per receipt.
    static let labelReuseColumnsAndIndexes = [
        "ALTER TABLE parcels ADD COLUMN label_of TEXT",
        "ALTER TABLE parcels ADD COLUMN packages_under_label INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX parcels_label_of ON parcels(label_of) WHERE label_of IS NOT NULL",
        // A request finds its order's used label among the parcels of its buyer and seller: few,
        // whatever the order ids look like (an index on the items' order_id made a marketplace
        // sending one order id for everything cost a scan of all its items per request). Status
        // is not in it, so a status change (a receipt) does not write it.
        "CREATE INDEX parcels_buyer_seller ON parcels(buyer_id, seller_id, country)",
    ]

    static let postgresLabelReuse = ["ALTER TABLE parcels ALTER COLUMN tracking_number DROP NOT NULL"] + labelReuseColumnsAndIndexes
}

extension StoreIndexes {
    /// `Idempotency-Key`s by age, for `returns.idempotency_keys_days`: the timer deletes the
    /// oldest without reading the others. One more index entry per return with a key.
    static let idempotencyKeysByAge = "CREATE INDEX idempotency_keys_created_at ON idempotency_keys(created_at)"

    /// An open parcel past its deadline, waiting for its carrier's word before it expires, takes
    /// no more items (`closed_to_items`): new items of its buyer and seller open a parcel of their
    /// own, so the one open parcel per buyer and seller is the one not closed to items.
    static let closedToItems = [
        "ALTER TABLE parcels ADD COLUMN closed_to_items INTEGER NOT NULL DEFAULT 0",
        "DROP INDEX parcels_open_group",
        "CREATE UNIQUE INDEX parcels_open_group ON parcels(buyer_id, seller_id, country) WHERE status = 'label_issued' AND closed_to_items = 0",
    ]

    /// When the label's current version was issued: NULL until items join the parcel (version 1
    /// is issued with it, at `created_at`), so the column costs no rewrite of a large store. A
    /// parcel joined before it existed reads as issued at its creation, as its PDF said then.
    static func labelIssuedAt(dateType: String) -> String {
        "ALTER TABLE parcels ADD COLUMN label_issued_at \(dateType)"
    }

    /// An `Idempotency-Key`'s request fingerprint (`ReturnRequest.fingerprint()`), kept beside
    /// `request_hash`, which holds the SHA-256 of the body's bytes again: what every returnd
    /// before 2026-12-07 compares. Keys stored in between hold the fingerprint in `request_hash`
    /// and none here. Empty on every older key, so the upgrade rewrites no row.
    static let idempotencyFingerprint = "ALTER TABLE idempotency_keys ADD COLUMN request_fingerprint TEXT"

    /// The dispute events each write made, kept on the rows that write adds for the parcel: a
    /// status change's history row (`event_ids`, comma-separated, empty for none) and the items a
    /// request brought (`event_id`, the label event of their dispute). An auditor's read of a
    /// parcel's or a dispute's events finds them through the parcel's own indexed rows instead of
    /// reading the whole outbox; an index on the outbox's parcel would cost every event a write of
    /// its own (the receipts 0.81x). NULL on the rows an older returnd wrote: those parcels are
    /// still read the old way.
    /// Added only where absent: the migration tests give a store of an older schema these
    /// columns first, as this build's writer writes them.
    static let eventIDColumns = [(table: "parcel_history", column: "event_ids"), (table: "parcel_items", column: "event_id")]
    static var postgresEventIDColumns: [String] {
        eventIDColumns.map { "ALTER TABLE \($0.table) ADD COLUMN IF NOT EXISTS \($0.column) TEXT" }
    }

    /// Dispute events an operator set aside (`returnctl outbox set-aside`), and why: empty on
    /// every event until then, so the upgrade rewrites no row.
    static func outboxSetAside(dateType: String) -> [String] {
        ["ALTER TABLE outbox ADD COLUMN set_aside_at \(dateType)", "ALTER TABLE outbox ADD COLUMN set_aside_reason TEXT"]
    }

    /// Unused labels' next polls brought forward to their deadline, as issuance and the poller
    /// schedule them since the timers wait for a poll after the deadline before expiring a label:
    /// one scheduled hours after it would have held its expiry up that long.
    static let pollsAtDropOffDeadline = """
        UPDATE tracking_schedule SET next_poll_at = (SELECT p.drop_off_by FROM parcels p WHERE p.id = tracking_schedule.parcel_id)
        WHERE parcel_id IN (SELECT id FROM parcels WHERE status = 'label_issued')
        AND next_poll_at > (SELECT p.drop_off_by FROM parcels p WHERE p.id = tracking_schedule.parcel_id)
        """

    /// The last count of the parcels by status and country (`ParcelCountsService`): `returnctl
    /// status` and the other instances read it instead of every parcel again. One row; the
    /// counts as JSON, since they are only ever read whole.
    static func parcelCountSnapshot(dateType: String) -> String {
        """
        CREATE TABLE parcel_count_snapshot (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            counted_at \(dateType) NOT NULL,
            counted_by TEXT NOT NULL,
            counts TEXT NOT NULL
        )
        """
    }

    /// A carrier's rate limit and a `Retry-After` it sent hold for every instance on the store
    /// and survive a restart (`RequestSlots`, `EndpointHold`). Times are microseconds since 1970
    /// in a BIGINT on both backends: the schedule is compared exactly when slots are given back.
    static let endpointLimits = """
        CREATE TABLE endpoint_limits (
            endpoint TEXT PRIMARY KEY,
            theoretical_next_us BIGINT NOT NULL,
            held_until_us BIGINT NOT NULL,
            held_reason TEXT
        )
        """
}
