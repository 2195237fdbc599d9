import Foundation
import ReturnsCore

/// What `returnctl db check` and `returnctl db copy` work with: the tables, their keys and
/// which columns hold dates (SQLite keeps them as text, PostgreSQL as timestamptz).
public enum StoreTables {
    public struct Table: Sendable {
        public var name: String
        public var columns: [String]
        public var key: [String]
        public var dateColumns: Set<String>
        /// An identity column PostgreSQL must continue after the copied rows.
        public var identity: String?
    }

    /// In foreign-key order: a table comes after the ones it points at.
    public static let all: [Table] = [
        Table(name: "parcels", columns: ["id", "tracking_number", "return_code", "carrier_id", "country", "status", "buyer_id", "seller_id", "seller_name",
                                         "buyer_json", "warehouse_id", "drop_off_by", "faster_refund_by", "created_at", "updated_at", "label_version", "label_of", "packages_under_label", "closed_to_items", "label_issued_at"],
              key: ["id"], dateColumns: ["drop_off_by", "faster_refund_by", "created_at", "updated_at", "label_issued_at"]),
        Table(name: "parcel_items", columns: ["parcel_id", "position", "dispute_id", "order_id", "sku", "title", "quantity", "unit_amount", "currency", "event_id"],
              key: ["parcel_id", "position"], dateColumns: []),
        Table(name: "parcel_history", columns: ["id", "parcel_id", "status", "source", "occurred_at", "detail", "event_ids"],
              key: ["id"], dateColumns: ["occurred_at"], identity: "id"),
        Table(name: "outbox", columns: ["seq", "event_id", "dispute_id", "parcel_id", "type", "payload", "created_at", "attempts", "next_attempt_at",
                                        "last_error", "delivered_at", "dead_at", "retried_at", "lease_until", "set_aside_at", "set_aside_reason"],
              key: ["seq"], dateColumns: ["created_at", "next_attempt_at", "delivered_at", "dead_at", "retried_at", "lease_until", "set_aside_at"], identity: "seq"),
        Table(name: "idempotency_keys", columns: ["key", "request_hash", "parcel_id", "created_at", "request_fingerprint"], key: ["key"], dateColumns: ["created_at"]),
        Table(name: "serial_counters", columns: ["key", "next_serial", "last_serial"], key: ["key"], dateColumns: []),
        Table(name: "api_tokens", columns: ["id", "token_hash", "role", "scope", "label", "created_at", "revoked_at"],
              key: ["id"], dateColumns: ["created_at", "revoked_at"]),
        Table(name: "warehouse_receipts", columns: ["id", "parcel_id", "warehouse_id", "code", "scanned_at", "received_at", "scanner", "misrouted"],
              key: ["id"], dateColumns: ["scanned_at", "received_at"], identity: "id"),
        Table(name: "item_inspections", columns: ["parcel_id", "dispute_id", "sku", "outcome", "reason", "inspected_at"],
              key: ["parcel_id", "dispute_id", "sku"], dateColumns: ["inspected_at"]),
        Table(name: "tracking_schedule", columns: ["parcel_id", "next_poll_at", "lease_until", "unchanged_polls", "failures", "last_polled_at", "last_error", "events_digest", "answer_digest"],
              key: ["parcel_id"], dateColumns: ["next_poll_at", "lease_until", "last_polled_at"]),
        Table(name: "tracking_events", columns: ["id", "parcel_id", "code", "description", "occurred_at", "location", "status", "recorded_at"],
              key: ["id"], dateColumns: ["occurred_at", "recorded_at"], identity: "id"),
        Table(name: "arrivals_awaiting_scan", columns: ["parcel_id", "arrived_at"], key: ["parcel_id"], dateColumns: ["arrived_at"]),
        Table(name: "endpoint_limits", columns: ["endpoint", "theoretical_next_us", "held_until_us", "held_reason"], key: ["endpoint"], dateColumns: []),
        Table(name: "parcel_count_snapshot", columns: ["id", "counted_at", "counted_by", "counts"], key: ["id"], dateColumns: ["counted_at"]),
    ]
}

public struct TableCount: Sendable, Codable, Hashable {
    public var table: String
    public var source: Int
    public var destination: Int
}

/// Refused before a row is copied: a copy goes into an empty database only.
public struct StoreCopyDestinationNotEmpty: Error, CustomStringConvertible {
    public let table: String
    public var description: String { "the destination already holds data (table \(table)); copy into an empty, migrated database" }
}

/// A copy that failed part way: the destination holds the tables before `table` and
/// `rowsCopied` rows of it.
public struct StoreCopyStopped: Error, CustomStringConvertible {
    public let table: String
    public let rowsCopied: Int
    public let tablesCopied: Int
    public let reason: String
    public var description: String {
        "the copy stopped in table \(table) after \(rowsCopied) of its rows (\(tablesCopied) tables copied whole before it): \(reason)"
    }
}

extension SQLReturnStore {
    /// A consistent copy of a SQLite store into a new file while returnd runs
    /// (`SQLiteBackend.backup`). PostgreSQL has its own tools for that.
    public func backup(to path: String) async throws -> StoreBackup {
        guard let sqlite = backend as? SQLiteBackend else {
            throw StoreError.database("backup copies a SQLite store; for PostgreSQL use pg_dump or the server's own backups")
        }
        return try await sqlite.backup(to: path)
    }

    public func rowCounts() async throws -> [String: Int] {
        try await backend.read { db in
            var counts: [String: Int] = [:]
            for t in StoreTables.all { counts[t.name] = try db.int("SELECT COUNT(*) FROM \(t.name)") ?? 0 }
            return counts
        }
    }

    /// Sentences about data that breaks returnd's own rules (empty when sound), plus the
    /// backend's own checks (SQLite's integrity and foreign-key checks).
    public func consistencyProblems() async throws -> [String] {
        let checks: [(String, String)] = [
            ("parcel without items", "SELECT id FROM parcels p WHERE NOT EXISTS (SELECT 1 FROM parcel_items i WHERE i.parcel_id = p.id) LIMIT 20"),
            ("parcel without history", "SELECT id FROM parcels p WHERE NOT EXISTS (SELECT 1 FROM parcel_history h WHERE h.parcel_id = p.id) LIMIT 20"),
            ("parcel still moving but not followed by tracking", """
                SELECT id FROM parcels p WHERE status IN \(Self.followedStatusesSQL) AND label_of IS NULL
                AND NOT EXISTS (SELECT 1 FROM tracking_schedule s WHERE s.parcel_id = p.id) LIMIT 20
                """),
            ("carrier arrival the unconfirmed-arrivals timer does not watch", """
                SELECT id FROM parcels p WHERE status = 'arrived_at_warehouse'
                AND NOT EXISTS (SELECT 1 FROM arrivals_awaiting_scan a WHERE a.parcel_id = p.id)
                AND NOT EXISTS (SELECT 1 FROM warehouse_receipts r WHERE r.parcel_id = p.id AND r.misrouted = 0)
                AND EXISTS (SELECT 1 FROM parcel_history h WHERE h.parcel_id = p.id AND h.status = 'arrived_at_warehouse' AND h.source = 'carrier') LIMIT 20
                """),
            ("dispute event of a missing parcel", "SELECT event_id FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM parcels p WHERE p.id = o.parcel_id) LIMIT 20"),
            ("package under a label that is not a labelled parcel's", """
                SELECT id FROM parcels p WHERE label_of IS NOT NULL AND NOT EXISTS
                (SELECT 1 FROM parcels l WHERE l.id = p.label_of AND l.label_of IS NULL AND l.tracking_number IS NOT NULL) LIMIT 20
                """),
            ("labelled parcel whose count of packages under its label is wrong", """
                SELECT p.id FROM parcels p WHERE p.packages_under_label > 0 AND p.packages_under_label <> (SELECT COUNT(*) FROM parcels f WHERE f.label_of = p.id)
                UNION SELECT f.label_of FROM parcels f JOIN parcels p ON p.id = f.label_of WHERE p.packages_under_label = 0 LIMIT 20
                """),
            ("parcel with both a tracking number and a label it goes under, or neither", """
                SELECT id FROM parcels WHERE (tracking_number IS NULL) = (label_of IS NULL) LIMIT 20
                """),
            // Two requests for one item at once through two instances could both take it on
            // PostgreSQL until 2026-12-07. A parcel holding an item twice can never be inspected
            // (the second copy is never judged), and two live parcels mean two labels for it.
            ("item in more than one live parcel, or twice in one", """
                SELECT i.dispute_id || ' / ' || i.sku FROM parcel_items i JOIN parcels p ON p.id = i.parcel_id
                WHERE p.status NOT IN ('expired', 'cancelled') GROUP BY i.dispute_id, i.sku HAVING COUNT(*) > 1 LIMIT 20
                """),
            ("two open parcels for one buyer and seller", """
                SELECT buyer_id FROM parcels WHERE status = 'label_issued' AND closed_to_items = 0 GROUP BY buyer_id, seller_id, country HAVING COUNT(*) > 1 LIMIT 20
                """),
            // Since 2026-12-05 a price must be in a currency in circulation; items stored before
            // may hold one that is not (a test code, a made-up one), which the API then answers
            // outside openapi.yaml's list and a refund would be owed in.
            ("item priced in a currency not in circulation (ISO 4217)", """
                SELECT DISTINCT parcel_id || ' (' || currency || ')' FROM parcel_items
                WHERE currency NOT IN (\(Money.currencies.sorted().map { "'\($0)'" }.joined(separator: ", "))) LIMIT 20
                """),
        ]
        let own = try await backend.read { db in
            try checks.flatMap { name, sql in try db.strings(sql).map { "\(name): \($0)" } }
        }
        return try await backend.integrityProblems() + own
    }

    /// Copies every row into `destination`, which must be migrated and empty (another backend,
    /// typically: SQLite to PostgreSQL). Returns the row counts of both sides per table; the
    /// caller compares them. Returnd must be stopped meanwhile.
    public func copy(to destination: SQLReturnStore, batchSize: Int = 2000, progress: @Sendable (String, Int) -> Void = { _, _ in }) async throws -> [TableCount] {
        let existing = try await destination.rowCounts()
        if let table = StoreTables.all.first(where: { (existing[$0.name] ?? 0) > 0 }) {
            throw StoreCopyDestinationNotEmpty(table: table.name)
        }
        for (done, table) in StoreTables.all.enumerated() {
            // Each batch commits on its own, so a failure leaves the batches before it there:
            // the error says how far it got, and the caller how to start again.
            var copied = 0
            do { try await copyTable(table, to: destination, batchSize: batchSize) { copied = $0; progress(table.name, $0) } } catch {
                throw StoreCopyStopped(table: table.name, rowsCopied: copied, tablesCopied: done, reason: "\(error)")
            }
        }
        let source = try await rowCounts()
        let copied = try await destination.rowCounts()
        return StoreTables.all.map { TableCount(table: $0.name, source: source[$0.name] ?? 0, destination: copied[$0.name] ?? 0) }
    }

    /// One table in pages of `batchSize`, each committed; `copied` after each.
    private func copyTable(_ table: StoreTables.Table, to destination: SQLReturnStore, batchSize: Int, copied: (Int) -> Void) async throws {
        var after: [SQLValue]?
        var count = 0
        let placeholders = "(" + Array(repeating: "?", count: table.columns.count).joined(separator: ", ") + ")"
        let sql = "INSERT INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES \(placeholders)"
        let keyIndexes = table.key.map { table.columns.firstIndex(of: $0)! }
        while true {
            let last = after
            let rows = try await backend.read { db in try Self.page(table, after: last, limit: batchSize, db) }
            guard !rows.isEmpty else { break }
            try await destination.backend.write { db in
                for row in rows { try db.execute(sql, row) }
            }
            count += rows.count
            copied(count)
            after = keyIndexes.map { rows.last![$0] }
        }
        if let identity = table.identity, destination.backend.dialect.name == SQLDialect.postgres.name {
            // New rows continue after the copied ones.
            try await destination.backend.write { db in
                try db.execute("SELECT setval(pg_get_serial_sequence('\(table.name)', '\(identity)'), COALESCE(MAX(\(identity)), 0) + 1, false) FROM \(table.name)")
            }
        }
    }

    /// One page of a table in key order, values typed for any backend (dates as dates).
    static func page(_ table: StoreTables.Table, after: [SQLValue]?, limit: Int, _ db: any SQLSession) throws -> [[SQLValue]] {
        let key = table.key.joined(separator: ", ")
        let condition = after == nil ? "" : "WHERE (\(key)) > (\(table.key.map { _ in "?" }.joined(separator: ", ")))"
        let rows = try db.rows("SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name) \(condition) ORDER BY \(key) LIMIT ?", (after ?? []) + [limit.sqlValue])
        return rows.map { row in
            table.columns.map { column in
                let v = row.value(column)
                if table.dateColumns.contains(column), case .text = v, let d = Date.decode(v) { return .date(d) }
                return v
            }
        }
    }
}
