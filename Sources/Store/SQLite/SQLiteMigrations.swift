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
        m.registerMigration("v7: row ids without AUTOINCREMENT") { db in
            try dropAutoincrement(db, tables: autoincrementTables)
        }
        m.registerMigration("v8: tracking answer digest") { db in
            try db.execute(sql: StoreIndexes.answerDigestColumn)
        }
        m.registerMigration("v9: schedules of parcels no longer followed") { db in
            try db.execute(sql: StoreIndexes.finishedSchedules)
        }
        m.registerMigration("v10: carrier arrivals awaiting a scan") { db in
            for statement in StoreIndexes.arrivalsAwaitingScan(dateType: "DATETIME") { try db.execute(sql: statement) }
        }
        m.registerMigration("v11: packages reusing a used label") { db in
            try rewriteTableSQL(db, table: "parcels", "tracking_number TEXT NOT NULL UNIQUE", with: "tracking_number TEXT UNIQUE")
            for statement in StoreIndexes.labelReuseColumnsAndIndexes { try db.execute(sql: statement) }
        }
        m.registerMigration("v12: endpoint limits shared by instances") { db in
            try db.execute(sql: StoreIndexes.endpointLimits)
        }
        m.registerMigration("v13: the last parcel count") { db in
            try db.execute(sql: StoreIndexes.parcelCountSnapshot(dateType: "DATETIME"))
        }
        m.registerMigration("v14: idempotency keys by age") { db in
            try db.execute(sql: StoreIndexes.idempotencyKeysByAge)
        }
        m.registerMigration("v15: unused labels polled at their deadline") { db in
            try db.execute(sql: StoreIndexes.pollsAtDropOffDeadline)
        }
        m.registerMigration("v16: open parcels closed to items past their deadline") { db in
            for statement in StoreIndexes.closedToItems { try db.execute(sql: statement) }
        }
        m.registerMigration("v17: when the label's version was issued") { db in
            try db.execute(sql: StoreIndexes.labelIssuedAt(dateType: "DATETIME"))
        }
        m.registerMigration("v18: dispute events set aside") { db in
            for statement in StoreIndexes.outboxSetAside(dateType: "DATETIME") { try db.execute(sql: statement) }
        }
        m.registerMigration("v19: idempotency keys' fingerprints beside their bytes") { db in
            try db.execute(sql: StoreIndexes.idempotencyFingerprint)
        }
        m.registerMigration("v20: each write's dispute events on its history and item rows") { db in
            try addEventIDColumns(db)
        }
        return m
    }

    /// Edits a table's stored text in place, for the changes SQLite documents as safe that way
    /// (lang_altertable.html, "simpler procedure": removing a NOT NULL constraint is one): rows
    /// and pages are untouched, so it takes no time on a store of any size. Rebuilding `parcels`
    /// instead took 24 s and 500 MiB of file growth on a store of a million parcels.
    static func rewriteTableSQL(_ db: Database, table: String, _ old: String, with new: String) throws {
        guard let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", arguments: [table]), sql.contains(old) else {
            throw StoreError.corrupt("table \(table) does not read \(old): the schema is not the one this migration knows")
        }
        let version = try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? 0
        try db.execute(sql: "PRAGMA writable_schema = ON")
        try db.execute(sql: "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", arguments: [sql.replacingOccurrences(of: old, with: new), table])
        try db.execute(sql: "PRAGMA schema_version = \(version + 1)")
        try db.execute(sql: "PRAGMA writable_schema = OFF")
        // The edited text must parse (an error rolls the migration back).
        _ = try Row.fetchOne(db, sql: "SELECT * FROM \(table) LIMIT 1")
    }

    /// Tables whose ids only order their rows (history, outbox delivery, receipts, carrier events).
    static let autoincrementTables = ["parcel_history", "outbox", "warehouse_receipts", "tracking_events"]

    /// AUTOINCREMENT made every insert into these tables read and rewrite `sqlite_sequence`:
    /// three such inserts per warehouse receipt, about a tenth of the write set's SQLite time
    /// (bare SQLite, bench/receipts_reference.py). Without it a new id is the largest id + 1;
    /// nothing deletes rows of these tables, so the ids are the same as before.
    ///
    /// The table's stored text is edited in place, SQLite's documented procedure for schema
    /// changes that leave the file's content as it is (lang_altertable.html, "simpler
    /// procedure"): rows and pages are untouched, so it takes no time on a store of any size,
    /// where copying the tables would take minutes and twice their disk space.
    static func addEventIDColumns(_ db: Database) throws {
        for (table, column) in StoreIndexes.eventIDColumns where !(try db.columns(in: table).contains { $0.name == column }) {
            try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(column) TEXT")
        }
    }

    static func dropAutoincrement(_ db: Database, tables: [String]) throws {
        let version = try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? 0
        try db.execute(sql: "PRAGMA writable_schema = ON")
        let names = tables.map { "'\($0)'" }.joined(separator: ", ")
        try db.execute(sql: """
            UPDATE sqlite_master SET sql = replace(sql, 'INTEGER PRIMARY KEY AUTOINCREMENT', 'INTEGER PRIMARY KEY')
            WHERE type = 'table' AND name IN (\(names))
            """)
        // Every connection reloads the schema it has cached.
        try db.execute(sql: "PRAGMA schema_version = \(version + 1)")
        try db.execute(sql: "PRAGMA writable_schema = OFF")
        try db.execute(sql: "DELETE FROM sqlite_sequence WHERE name IN (\(names))")
        // The edited text must parse: each table read once (an error rolls the migration back).
        // Not `integrity_check`, which reads every page: minutes on a large store.
        for table in tables { _ = try Row.fetchOne(db, sql: "SELECT * FROM \(table) LIMIT 1") }
        let left = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master WHERE name IN (\(names)) AND sql LIKE '%AUTOINCREMENT%'") ?? 0
        guard left == 0 else { throw StoreError.corrupt("\(left) tables kept AUTOINCREMENT after migration v7") }
    }
}
