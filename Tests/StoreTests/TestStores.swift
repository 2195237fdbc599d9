import Foundation
import ReturnsCore
import Store
import Testing

/// The backends every conformance test runs on.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgresql
    var testDescription: String { rawValue }
}

struct MissingPostgres: Error, CustomStringConvertible {
    var description: String {
        "RETURND_TEST_POSTGRES_URL is not set: scripts/test starts a PostgreSQL for the tests (or eval \"$(scripts/postgres-start)\")"
    }
}

/// A fresh, migrated store: a SQLite file in a new directory, or a new PostgreSQL database on
/// the server scripts/postgres-start runs. No PostgreSQL means a failing test, never a skip.
final class TestStore: Sendable {
    let kind: StoreKind
    let store: SQLReturnStore
    /// SQLite path or PostgreSQL URL: a second "instance" opens the same data through it.
    let url: String
    /// The SQLite store's folder (nil on PostgreSQL).
    let directory: URL?
    private let database: String?

    /// `migrate`: how the new store is brought up to date (all migrations unless told).
    /// `create`: options of PostgreSQL's CREATE DATABASE (a collation, say); none on SQLite.
    static func make(_ kind: StoreKind, create: String = "", migrate: (SQLReturnStore) async throws -> Void = { try await $0.migrate() }) async throws -> TestStore {
        switch kind {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-store-\(UUID().uuidString)")
            let path = dir.appendingPathComponent("returnd.sqlite").path
            let store = try SQLReturnStore.sqlite(path: path)
            try await migrate(store)
            return TestStore(kind: kind, store: store, url: path, directory: dir, database: nil)
        case .postgresql:
            let name = "returnd_test_\(UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: ""))"
            try await admin { try await $0.executeOutsideTransaction("CREATE DATABASE \(name) \(create)") }
            let url = try postgresURL(database: name)
            let store = try open(url: url)
            try await migrate(store)
            return TestStore(kind: kind, store: store, url: url, directory: nil, database: name)
        }
    }

    private init(kind: StoreKind, store: SQLReturnStore, url: String, directory: URL?, database: String?) {
        self.kind = kind
        self.store = store
        self.url = url
        self.directory = directory
        self.database = database
    }

    /// Another store on the same data, as a second returnd instance would open it.
    func another() async throws -> SQLReturnStore {
        let store = try Self.open(url: url)
        try await store.migrate()
        return store
    }

    static func open(url: String) throws -> SQLReturnStore {
        PostgresSettings.isPostgresURL(url)
            ? SQLReturnStore(backend: try PostgresBackend(url: url)) : try SQLReturnStore.sqlite(path: url)
    }

    func remove() async {
        try? await store.close()
        if let directory { try? FileManager.default.removeItem(at: directory) }
        if let database { try? await Self.admin { try await $0.executeOutsideTransaction("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") } }
    }

    static func postgresURL(database: String) throws -> String {
        guard let base = ProcessInfo.processInfo.environment["RETURND_TEST_POSTGRES_URL"], var c = URLComponents(string: base) else {
            throw MissingPostgres()
        }
        c.path = "/\(database)"
        return c.string!
    }

    static func admin(_ body: (PostgresBackend) async throws -> Void) async throws {
        let backend = try PostgresBackend(url: try postgresURL(database: "postgres") + "&pool_size=1")
        do { try await body(backend) } catch {
            try? await backend.close()
            throw error
        }
        try await backend.close()
    }
}

/// Runs `body` with a fresh store of `kind`, and removes it afterwards whatever happened.
func withStore(_ kind: StoreKind, create: String = "", migrate: (SQLReturnStore) async throws -> Void = { try await $0.migrate() }, _ body: (TestStore) async throws -> Void) async throws {
    let t = try await TestStore.make(kind, create: create, migrate: migrate)
    do { try await body(t) } catch {
        await t.remove()
        throw error
    }
    await t.remove()
}

extension ReturnStore {
    /// `count` parcels, each of its own dispute and seller (D-0, S-0, …): their ids in order.
    func parcelsOfOwnDisputes(_ count: Int) async throws -> [String] {
        var ids: [String] = []
        for i in 0..<count { ids.append(try await issueReturn(issuance(request(dispute: "D-\(i)", seller: "S-\(i)"))).parcel.id) }
        return ids
    }
}

func request(dispute: String = "D-1", order: String? = nil, buyer: String = "B-1", seller: String = "S-1", skus: [String] = ["A"], country: String = "FR", receivedAt: Date = Date()) -> ReturnRequest {
    ReturnRequest(
        disputeID: dispute, orderID: order ?? "O-\(dispute)", receivedAt: receivedAt, reason: "changed_mind",
        buyer: Buyer(id: buyer, name: "Léa", address: PostalAddress(lines: ["1 rue X"], city: "Paris", postalCode: "75001", country: country)),
        seller: Seller(id: seller, name: "Shop \(seller)"),
        items: skus.map { RequestedItem(sku: $0, title: "Item \($0)", quantity: 1, unitPrice: Money(amount: "10.00", currency: "EUR"), freeReturn: true) })
}

func issuance(_ r: ReturnRequest, key: String? = nil, hash: String = "h", range: ClosedRange<Int> = 10_000_000...10_099_999, now: Date = Date()) -> ReturnIssuance {
    ReturnIssuance(
        request: r, idempotencyKey: key, requestHash: hash, now: now, policy: ReturnPolicy(), carrierID: "fr_colissimo",
        warehouseID: "WH-FR", scheme: .upuS10(serviceIndicator: "CY", countryCode: "FR"), serialCounterKey: "upu_s10:CY:FR",
        serialRange: range, firstPollDelay: 0)
}

extension SQLReturnStore {
    /// The names of the store's indexes, on either backend.
    func indexNames() async throws -> [String] {
        let sqlite = backend.dialect.name == SQLDialect.sqlite.name
        return try await backend.read { db in
            try db.strings(sqlite ? "SELECT name FROM sqlite_master WHERE type = 'index'" : "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        }
    }
}
