import GRDB

enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: parcels, items, history, outbox, idempotency, serials, tokens") { db in
            try db.execute(sql: """
                CREATE TABLE parcels (
                    id TEXT PRIMARY KEY,
                    tracking_number TEXT NOT NULL UNIQUE,
                    return_code TEXT NOT NULL UNIQUE,
                    carrier_id TEXT NOT NULL,
                    country TEXT NOT NULL,
                    status TEXT NOT NULL,
                    buyer_id TEXT NOT NULL,
                    seller_id TEXT NOT NULL,
                    seller_name TEXT NOT NULL,
                    buyer_json TEXT NOT NULL,
                    warehouse_id TEXT NOT NULL,
                    drop_off_by DATETIME NOT NULL,
                    faster_refund_by DATETIME NOT NULL,
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL,
                    label_version INTEGER NOT NULL
                );
                -- At most one open parcel per (buyer, seller, country): grouping cannot fork.
                CREATE UNIQUE INDEX parcels_open_group ON parcels(buyer_id, seller_id, country) WHERE status = 'label_issued';
                CREATE INDEX parcels_status ON parcels(status);
                CREATE TABLE parcel_items (
                    parcel_id TEXT NOT NULL REFERENCES parcels(id),
                    position INTEGER NOT NULL,
                    dispute_id TEXT NOT NULL,
                    order_id TEXT NOT NULL,
                    sku TEXT NOT NULL,
                    title TEXT NOT NULL,
                    quantity INTEGER NOT NULL,
                    unit_amount TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    PRIMARY KEY (parcel_id, position)
                );
                CREATE INDEX parcel_items_dispute_sku ON parcel_items(dispute_id, sku);
                CREATE TABLE parcel_history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    parcel_id TEXT NOT NULL REFERENCES parcels(id),
                    status TEXT NOT NULL,
                    source TEXT NOT NULL,
                    occurred_at DATETIME NOT NULL,
                    detail TEXT
                );
                CREATE INDEX parcel_history_parcel ON parcel_history(parcel_id);
                CREATE TABLE outbox (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    event_id TEXT NOT NULL UNIQUE,
                    dispute_id TEXT NOT NULL,
                    parcel_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    created_at DATETIME NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at DATETIME,
                    last_error TEXT,
                    delivered_at DATETIME,
                    dead_at DATETIME
                );
                CREATE INDEX outbox_pending ON outbox(dispute_id, seq) WHERE delivered_at IS NULL AND dead_at IS NULL;
                CREATE TABLE idempotency_keys (
                    key TEXT PRIMARY KEY,
                    request_hash TEXT NOT NULL,
                    parcel_id TEXT NOT NULL,
                    created_at DATETIME NOT NULL
                );
                CREATE TABLE serial_counters (
                    key TEXT PRIMARY KEY,
                    next_serial INTEGER NOT NULL,
                    last_serial INTEGER NOT NULL
                );
                CREATE TABLE api_tokens (
                    id TEXT PRIMARY KEY,
                    token_hash TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL,
                    scope TEXT,
                    label TEXT,
                    created_at DATETIME NOT NULL,
                    revoked_at DATETIME
                );
                """)
        }
        m.registerMigration("v2: warehouse receipts, inspections, outbox retries") { db in
            try db.execute(sql: """
                CREATE TABLE warehouse_receipts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    parcel_id TEXT NOT NULL REFERENCES parcels(id),
                    warehouse_id TEXT NOT NULL,
                    code TEXT NOT NULL,
                    scanned_at DATETIME NOT NULL,
                    received_at DATETIME NOT NULL,
                    scanner TEXT NOT NULL,
                    misrouted INTEGER NOT NULL,
                    -- A scanner that retries sends the same read again: it is kept once.
                    UNIQUE (parcel_id, warehouse_id, scanned_at)
                );
                CREATE TABLE item_inspections (
                    parcel_id TEXT NOT NULL REFERENCES parcels(id),
                    dispute_id TEXT NOT NULL,
                    sku TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    reason TEXT,
                    inspected_at DATETIME NOT NULL,
                    PRIMARY KEY (parcel_id, dispute_id, sku)
                );
                ALTER TABLE outbox ADD COLUMN retried_at DATETIME;
                DROP INDEX outbox_pending;
                CREATE INDEX outbox_undelivered ON outbox(dispute_id, seq) WHERE delivered_at IS NULL;
                CREATE INDEX parcel_history_status ON parcel_history(status, source, occurred_at);
                """)
        }
        m.registerMigration("v3: tracking schedule and carrier events") { db in
            try db.execute(sql: """
                CREATE TABLE tracking_schedule (
                    parcel_id TEXT PRIMARY KEY REFERENCES parcels(id),
                    next_poll_at DATETIME NOT NULL,
                    lease_until DATETIME,
                    unchanged_polls INTEGER NOT NULL DEFAULT 0,
                    failures INTEGER NOT NULL DEFAULT 0,
                    last_polled_at DATETIME,
                    last_error TEXT
                );
                CREATE INDEX tracking_schedule_due ON tracking_schedule(next_poll_at);
                CREATE TABLE tracking_events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    parcel_id TEXT NOT NULL REFERENCES parcels(id),
                    code TEXT NOT NULL,
                    description TEXT NOT NULL,
                    occurred_at DATETIME NOT NULL,
                    location TEXT,
                    status TEXT,
                    recorded_at DATETIME NOT NULL,
                    -- The same event seen again on the next poll is stored once.
                    UNIQUE (parcel_id, code, occurred_at)
                );
                -- Every parcel that can still move gets a schedule row, due at once.
                INSERT INTO tracking_schedule (parcel_id, next_poll_at)
                    SELECT id, created_at FROM parcels WHERE status IN ('label_issued', 'dropped_off', 'in_transit');
                """)
        }
        m.registerMigration("v4: outbox leases") { db in
            // Deliveries are claimed like polls, so that several instances never send the same
            // event at once and a crashed instance's claim runs out.
            try db.execute(sql: "ALTER TABLE outbox ADD COLUMN lease_until DATETIME")
        }
        m.registerMigration("v5: tracking events digest") { db in
            // What the last poll's answer held, so a poll that brings the same answer writes
            // one row instead of trying every event again.
            try db.execute(sql: "ALTER TABLE tracking_schedule ADD COLUMN events_digest TEXT")
        }
        m.registerMigration("v6: partial indexes for the timers") { db in
            for statement in StoreIndexes.timerIndexes { try db.execute(sql: statement) }
        }
        return m
    }
}
