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
// `--life URL --count N`: N returns through a whole life in a store (a SQLite path or a
// postgres:// URL), as returnd writes them, for bench/disk to measure what each parcel leaves
// on disk. Each: a request like DESIGN.md's (a buyer with a name, email and address, two items
// with titles), a kiosk drop-off, three polls of the carrier bringing eight events with texts as
// La Poste writes them, a warehouse receipt, an inspection of both items, the timers' pass, and
// every dispute event delivered. Prints `life<TAB>N<TAB>per_s`.
if let url = option("--life") {
    let store = url.contains("://") ? SQLReturnStore(backend: try PostgresBackend(url: url)) : try SQLReturnStore.sqlite(path: url)
    try await store.migrate()
    let issued = Date().addingTimeInterval(-12 * 86_400)
    let start = ContinuousClock.now
    var done = 0
    while done < count {
        let batch = min(10_000, count - done)
        let base = done
        _ = try await concurrently(batch, [store]) { i, store in try await life(store, base + i, issued) }
        done += batch
    }
    // The timers' pass, which forgets the carrier arrivals a scanner confirmed since.
    _ = try await store.unconfirmedArrivals(before: Date())
    // Every dispute event delivered, as the notifier marks them.
    while true {
        let due = try await store.claimDueEvents(now: Date(), limit: 500, leaseUntil: Date().addingTimeInterval(60))
        if due.isEmpty { break }
        for e in due { try await store.markDelivered(seq: e.seq, at: Date()) }
    }
    try await store.close()
    print("life\t\(count)\t\(String(format: "%.0f", Double(count) / seconds(ContinuousClock.now - start)))")
    exit(0)
}

// `--large-parcel URL --count N`: one buyer's parcel of N items, each requested alone under a
// dispute of its own (the most events an inspection of N items can make), in a store (a SQLite
// path or a postgres:// URL). Times the store calls that grow with the parcel. Prints
// `large<TAB>N<TAB>join_ms<TAB>read_ms<TAB>receipt_ms<TAB>inspection_ms`: the median of the last
// ten joins, the median of five reads, the receipt, the inspection accepting every item.
if let url = option("--large-parcel") {
    let store = url.contains("://") ? SQLReturnStore(backend: try PostgresBackend(url: url)) : try SQLReturnStore.sqlite(path: url)
    try await store.migrate()
    let now = Date()
    func ms(_ work: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await work()
        return seconds(ContinuousClock.now - start) * 1000
    }
    func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    var joins: [Double] = []
    var parcel: Parcel?
    for i in 0..<count {
        let t = try await ms {
            var one = issuance(i, now)
            one.request.buyer.id = "B"
            parcel = try await store.issueReturn(one).parcel
        }
        if i >= count - 10 { joins.append(t) }
    }
    guard let parcel, parcel.items.count == count else { fail("the items did not gather in one parcel") }
    var reads: [Double] = []
    for _ in 0..<5 { reads.append(try await ms { _ = try await store.parcel(id: parcel.id) }) }
    let receipt = try await ms {
        _ = try await store.recordReceipt(WarehouseReceipt(parcelID: parcel.id, warehouseID: "WH-FR-LYS", code: parcel.trackingNumber, scannedAt: now, receivedAt: now, scannerTokenID: "bench"))
    }
    let verdicts = parcel.items.map { ItemInspection(sku: $0.sku, disputeID: $0.disputeID, outcome: .accepted) }
    let inspection = try await ms {
        _ = try await store.changeStatus(StatusChangeRequest(parcelID: parcel.id, status: .inspected, source: .scanner, occurredAt: now, inspection: verdicts))
    }
    guard try await store.inspection(parcelID: parcel.id).count == count else { fail("the inspection was not stored whole") }
    try await store.close()
    print("large\t\(count)\t" + [median(joins), median(reads), receipt, inspection].map { String(format: "%.1f", $0) }.joined(separator: "\t"))
    exit(0)
}

/// One return's life, written through the store as returnd's routes and services write it.
@Sendable func life(_ store: SQLReturnStore, _ i: Int, _ issued: Date) async throws {
    let request = ReturnRequest(
        disputeID: "D-20261123-\(i)", orderID: "81900\(i)", receivedAt: issued.addingTimeInterval(-3 * 86_400), reason: "not_as_described",
        buyer: Buyer(id: "B-\(i)", name: "Jeanne Dupont-Moreau", email: "jeanne.dupont\(i)@example.org",
                     address: PostalAddress(lines: ["12 rue de la République", "Bâtiment B, 3e étage"], city: "Lyon", postalCode: "69002", country: "FR")),
        seller: Seller(id: "S-1203", name: "Shenzhen Gadget Store"),
        items: [RequestedItem(sku: "SKU7781-2", title: "USB-C cable 2 m, braided, 100 W", quantity: 1, unitPrice: Money(amount: "4.99", currency: "EUR"), freeReturn: true),
                RequestedItem(sku: "SKU9102-1", title: "Phone case, transparent, anti-shock", quantity: 2, unitPrice: Money(amount: "7.50", currency: "EUR"), freeReturn: true)])
    let parcel = try await store.issueReturn(ReturnIssuance(
        request: request, idempotencyKey: "life-\(i)", requestHash: SHA256Hex.digest("life-\(i)".utf8), now: issued, policy: ReturnPolicy(),
        carrierID: "fr_colissimo", warehouseID: "WH-FR-LYS", scheme: .upuS10(serviceIndicator: "CY", countryCode: "FR"), serialCounterKey: "s10",
        serialRange: 10_000_000...99_999_999, firstPollDelay: 3600)).parcel
    let day = 86_400.0
    _ = try await store.changeStatus(StatusChangeRequest(parcelID: parcel.id, status: .droppedOff, source: .kiosk, occurredAt: issued.addingTimeInterval(day), location: "FR-PARIS-0042"))
    // What La Poste's tracking says of a parcel, oldest first; each poll answers with all of it so far.
    let events: [(String, String, String?, ParcelStatus?)] = [
        ("PCHCFM", "Votre colis a été déposé dans un point de dépôt La Poste", "PARIS 11", .droppedOff),
        ("PCHTAR", "Votre colis est pris en charge par La Poste", "PARIS PLATEFORME COLIS", .inTransit),
        ("ETAACH", "Votre colis est en cours d'acheminement", "WISSOUS PFC", .inTransit),
        ("ETAARR", "Votre colis est arrivé sur son site de distribution", "LYON PPDC", .inTransit),
        ("ETADIS", "Votre colis est en préparation pour la livraison", "LYON CEDEX 07", .inTransit),
        ("MLVARS", "Votre colis est en cours de livraison", "LYON CEDEX 07", .inTransit),
        ("LIVCFM", "Votre colis a été livré au destinataire", "ENTREPOT RETOURS LYON", .arrivedAtWarehouse),
        ("RSTBRT", "Le destinataire a signé la preuve de livraison", "ENTREPOT RETOURS LYON", nil),
    ]
    let records = events.enumerated().map { n, e in
        TrackingEventRecord(code: e.0, description: e.1, occurredAt: issued.addingTimeInterval(day + Double(n) * 0.4 * day), location: e.2, status: e.3)
    }
    for seen in [2, 5, 8] {
        let answer = Array(records.prefix(seen))
        let polledAt = answer.last!.occurredAt.addingTimeInterval(3600)
        _ = try await store.recordPoll(PollRecord(
            parcelID: parcel.id, outcome: .events(answer), polledAt: polledAt, nextPollAt: polledAt.addingTimeInterval(3600),
            answerDigest: SHA256Hex.digest("\(parcel.id)-\(seen)".utf8)))
    }
    let scanned = records.last!.occurredAt.addingTimeInterval(2 * 3600)
    _ = try await store.recordReceipt(WarehouseReceipt(parcelID: parcel.id, warehouseID: "WH-FR-LYS", code: parcel.trackingNumber, scannedAt: scanned, receivedAt: scanned, scannerTokenID: "T0000000000001"))
    _ = try await store.changeStatus(StatusChangeRequest(
        parcelID: parcel.id, status: .inspected, source: .scanner, occurredAt: scanned.addingTimeInterval(2 * day), location: "WH-FR-LYS",
        inspection: [ItemInspection(sku: "SKU7781-2", outcome: .accepted), ItemInspection(sku: "SKU9102-1", outcome: .rejected, reason: "seal broken")]))
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
