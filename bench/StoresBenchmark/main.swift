import BenchSupport
import Foundation
import ReturnsCore
import Store

// Store throughput, SQLite next to PostgreSQL, with one and two instances (two stores with
// their own connections on the same data, as two returnd processes would hold them): returns
// issued per second (grouping, serial allocation, outbox, one commit each), then durable
// warehouse receipts per second for all of those parcels. Concurrent callers throughout.
// Prints `backend<TAB>instances<TAB>returns<TAB>issued_per_s<TAB>receipts_per_s<TAB>lost`.

let count = option("--count", default: 5_000)
let concurrency = option("--concurrency", default: 64)
guard count > 0, concurrency > 0 else { fail("--count and --concurrency must be above 0") }

// `--seed-sqlite PATH --count N`: fills a SQLite file with N issued returns through the real
// store (for bench/memory), then exits. Prints `seeded<TAB>N<TAB>per_s`.
if let path = option("--seed-sqlite") {
    let store = try SQLReturnStore.sqlite(path: path)
    try await store.migrate()
    let now = Date()
    let start = ContinuousClock.now
    var done = 0
    while done < count {
        let batch = min(50_000, count - done)
        let base = done
        _ = try await concurrently(batch, [store]) { i, store in try await store.issueReturn(issuance(base + i, now)).parcel.id }
        done += batch
    }
    try await store.close()
    print("seeded\t\(count)\t\(String(format: "%.0f", Double(count) / seconds(ContinuousClock.now - start)))")
    exit(0)
}
// `--timer-passes PATH --count N`: on a SQLite file prepared by bench/arrivals_timer, times
// opening and migrating it (what a store of that age does once on upgrade), then N passes of the
// unconfirmed-arrivals timer's store call. Prints
// `timer<TAB>migrate_ms<TAB>passes<TAB>found<TAB>median_ms<TAB>longest_ms`.
if let path = option("--timer-passes") {
    let cutoff = Date().addingTimeInterval(-48 * 3600)
    let start = ContinuousClock.now
    let store = try SQLReturnStore.sqlite(path: path)
    try await store.migrate()
    let migrated = seconds(ContinuousClock.now - start)
    var passes: [Double] = [], found = 0
    for _ in 0..<count {
        let pass = ContinuousClock.now
        found = try await store.unconfirmedArrivals(before: cutoff).count
        passes.append(seconds(ContinuousClock.now - pass))
    }
    try await store.close()
    let sorted = passes.sorted()
    print("timer\t\(String(format: "%.1f", migrated * 1000))\t\(count)\t\(found)\t\(String(format: "%.2f", sorted[sorted.count / 2] * 1000))\t\(String(format: "%.2f", sorted.last! * 1000))")
    exit(0)
}
guard let postgresBase = ProcessInfo.processInfo.environment["RETURND_TEST_POSTGRES_URL"] else {
    FileHandle.standardError.write(Data("RETURND_TEST_POSTGRES_URL is not set (eval \"$(scripts/postgres-start)\")\n".utf8))
    exit(1)
}
@Sendable func issuance(_ i: Int, _ now: Date) -> ReturnIssuance {
    let request = ReturnRequest(
        disputeID: "D-\(i)", orderID: "O", receivedAt: now, reason: "r",
        buyer: Buyer(id: "B-\(i)", name: "N", address: PostalAddress(lines: ["1"], city: "C", postalCode: "1", country: "FR")),
        seller: Seller(id: "S", name: "S"),
        items: [RequestedItem(sku: "A", title: "A", quantity: 1, unitPrice: Money(amount: "1", currency: "EUR"), freeReturn: true)])
    return ReturnIssuance(
        request: request, idempotencyKey: "k-\(i)", requestHash: "h", now: now, policy: ReturnPolicy(), carrierID: "fr_colissimo",
        warehouseID: "WH-FR-LYS", scheme: .upuS10(serviceIndicator: "CY", countryCode: "FR"), serialCounterKey: "s10",
        serialRange: 10_000_000...99_999_999, firstPollDelay: 3600)
}

/// Runs `work(i, store)` for i in 0..<n with `concurrency` callers spread over the stores.
func concurrently<T: Sendable>(_ n: Int, _ stores: [SQLReturnStore], _ work: @escaping @Sendable (Int, SQLReturnStore) async throws -> T) async throws -> [T] {
    try await withThrowingTaskGroup(of: T.self) { group in
        var next = 0
        var out: [T] = []
        for _ in 0..<min(concurrency, n) {
            let i = next; next += 1
            group.addTask { try await work(i, stores[i % stores.count]) }
        }
        while let r = try await group.next() {
            out.append(r)
            if next < n {
                let i = next; next += 1
                group.addTask { try await work(i, stores[i % stores.count]) }
            }
        }
        return out
    }
}

func admin(_ sql: String) async throws {
    let backend = try PostgresBackend(url: postgresBase + "&pool_size=1")
    try await backend.executeOutsideTransaction(sql)
    try await backend.close()
}

for backend in ["sqlite", "postgresql"] {
    for instances in [1, 2] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-stores-\(UUID().uuidString)")
        let database = "returnd_bench_\(instances)_\(ProcessInfo.processInfo.processIdentifier)"
        var stores: [SQLReturnStore] = []
        if backend == "sqlite" {
            let path = dir.appendingPathComponent("bench.sqlite").path
            for _ in 0..<instances { stores.append(try SQLReturnStore.sqlite(path: path)) }
        } else {
            try await admin("DROP DATABASE IF EXISTS \(database)")
            try await admin("CREATE DATABASE \(database)")
            var c = URLComponents(string: postgresBase)!
            c.path = "/\(database)"
            for _ in 0..<instances { stores.append(SQLReturnStore(backend: try PostgresBackend(url: c.string!))) }
        }
        for s in stores { try await s.migrate() }
        let now = Date()
        var start = ContinuousClock.now
        let parcels = try await concurrently(count, stores) { i, store in try await store.issueReturn(issuance(i, now)).parcel }
        let issued = Double(count) / seconds(ContinuousClock.now - start)
        start = ContinuousClock.now
        _ = try await concurrently(parcels.count, stores) { i, store in
            let p = parcels[i]
            return try await store.recordReceipt(WarehouseReceipt(parcelID: p.id, warehouseID: "WH-FR-LYS", code: p.trackingNumber, scannedAt: now, receivedAt: now, scannerTokenID: "bench"))
        }
        let received = Double(parcels.count) / seconds(ContinuousClock.now - start)
        let counts = try await stores[0].parcelCounts()
        let lost = parcels.count - counts.filter { $0.status == .arrivedAtWarehouse }.reduce(0) { $0 + $1.count }
        print("\(backend)\t\(instances)\t\(count)\t\(String(format: "%.0f", issued))\t\(String(format: "%.0f", received))\t\(lost)")
        for s in stores { try await s.close() }
        if backend == "sqlite" { try? FileManager.default.removeItem(at: dir) } else { try await admin("DROP DATABASE IF EXISTS \(database) WITH (FORCE)") }
    }
}
