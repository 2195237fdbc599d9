import BenchSupport
import Foundation
import ReturnsCore
import Store

// Durable warehouse receipts per second on SQLite (WAL; each answered after the WAL holding it is synced): each receipt
// resolves the scanned code, moves its parcel to arrived_at_warehouse and writes the dispute
// event, in the store's own transaction, as the scanner route does. Writers arrive
// concurrently, so group commit shares fsyncs between them.
// Baseline in the same run: the same receipts one after another (one commit each).
// Prints `mode<TAB>count<TAB>seconds<TAB>per_second<TAB>lost<TAB>cpu_us_per_receipt`. The CPU
// figure (user + system, all threads) moves far less between runs than the rate, which follows
// the virtual disk's fsync times.

// `--schema PATH`: only create an empty, migrated store at PATH (bench/receipts runs the
// receipt's own statements on it in bare SQLite, as the reference).
if let path = option("--schema") {
    let store = try SQLReturnStore.sqlite(path: path)
    try await store.migrate()
    try await store.close()
    exit(0)
}
let count = option("--count", default: 20_000)
let concurrency = option("--concurrency", default: 256)
guard count > 0, concurrency > 0 else { fail("--count and --concurrency must be above 0") }
func cpu(_ start: Double, _ n: Int) -> String { String(format: "%.0f", (cpuSeconds() - start) * 1e6 / Double(n)) }

/// `inTransit`: each parcel dropped off at a kiosk and accepted by its carrier first, as most
/// parcels are when a scanner reads them; otherwise still `label_issued`, as in every figure
/// before 2026-12-02 (its arrival also leaves the open-parcel and drop-off indexes).
/// `arrivedBefore`: parcels issued and received before the `n` returned, as in a store in use
/// (every B-tree keyed by parcel is then larger than the page cache and each receipt's entry
/// lands on a page of its own).
func prepare(_ n: Int, inTransit: Bool = false, arrivedBefore: Int = 0) async throws -> (SQLReturnStore, [Parcel], URL) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-receipts-\(UUID().uuidString)")
    let store = try SQLReturnStore.sqlite(path: dir.appendingPathComponent("bench.sqlite").path)
    try await store.migrate()
    let now = Date()
    var parcels: [Parcel] = []
    try await withThrowingTaskGroup(of: Parcel?.self) { group in
        for i in 0..<(arrivedBefore + n) {
            group.addTask {
                let request = ReturnRequest(
                    disputeID: "D-\(i)", orderID: "O", receivedAt: now, reason: "r",
                    buyer: Buyer(id: "B-\(i)", name: "N", address: PostalAddress(lines: ["1"], city: "C", postalCode: "1", country: "FR")),
                    seller: Seller(id: "S", name: "S"),
                    items: [RequestedItem(sku: "A", title: "A", quantity: 1, unitPrice: Money(amount: "1", currency: "EUR"), freeReturn: true)])
                let parcel = try await store.issueReturn(ReturnIssuance(
                    request: request, idempotencyKey: nil, requestHash: "h", now: now, policy: ReturnPolicy(), carrierID: "fr_colissimo",
                    warehouseID: "WH-FR-LYS", scheme: .upuS10(serviceIndicator: "CY", countryCode: "FR"), serialCounterKey: "s10",
                    serialRange: 10_000_000...99_999_999)).parcel
                if i < arrivedBefore {
                    _ = try await store.recordReceipt(receipt(parcel), seen: parcel)
                    return nil
                }
                guard inTransit else { return parcel }
                _ = try await store.changeStatus(StatusChangeRequest(parcelID: parcel.id, status: .droppedOff, source: .kiosk, occurredAt: now))
                return try await store.changeStatus(StatusChangeRequest(parcelID: parcel.id, status: .inTransit, source: .carrier, occurredAt: now)).parcel
            }
            if i % 512 == 511 { for try await p in group { if let p { parcels.append(p) } } }
        }
        for try await p in group { if let p { parcels.append(p) } }
    }
    return (store, parcels, dir)
}

func receipt(_ p: Parcel) -> WarehouseReceipt {
    WarehouseReceipt(parcelID: p.id, warehouseID: "WH-FR-LYS", code: p.trackingNumber, scannedAt: Date(), receivedAt: Date(), scannerTokenID: "bench")
}

/// Where the parcel a receipt moves comes from. `route`: what the scanner route does, resolve the
/// scanned code (here the tracking barcode) inside the write transaction that records the receipt,
/// and answer with the parcel's receipts. `readFirst`: the route until 2026-12-01, a read that
/// resolves the code before the write, the change prepared from it outside the writer. `inHand`:
/// no read at all (the writer's share alone).
enum ParcelSource { case route, readFirst, inHand }

func scan(_ store: SQLReturnStore, _ p: Parcel, _ source: ParcelSource) async throws {
    switch source {
    case .route:
        let code = p.trackingNumber
        _ = try await store.recordScan(resolve: { finder in
            try finder.parcel(trackingNumber: code).map { .found($0) } ?? .refused(StoreError.notFound(code))
        }, receipt: receipt)
    case .readFirst:
        let seen = try await store.parcel(trackingNumber: p.trackingNumber)
        _ = try await store.recordReceipt(receipt(p), seen: seen)
    case .inHand:
        _ = try await store.recordReceipt(receipt(p), seen: p)
    }
}

/// `arrivedBefore`: parcels that were in the store as received already.
func lost(_ store: SQLReturnStore, _ parcels: [Parcel], arrivedBefore: Int = 0) async throws -> Int {
    let counts = try await store.parcelCounts()
    return parcels.count + arrivedBefore - counts.filter { $0.status == .arrivedAtWarehouse }.reduce(0) { $0 + $1.count }
}

// Baseline: one commit per receipt.
let baselineCount = max(500, count / 10)
do {
    let (store, parcels, dir) = try await prepare(baselineCount)
    defer { try? FileManager.default.removeItem(at: dir) }
    let start = ContinuousClock.now, cpuStart = cpuSeconds()
    for p in parcels { try await scan(store, p, .route) }
    let elapsed = seconds(ContinuousClock.now - start), used = cpu(cpuStart, baselineCount)
    print("sequential\t\(baselineCount)\t\(String(format: "%.3f", elapsed))\t\(String(format: "%.0f", Double(baselineCount) / elapsed))\t\(try await lost(store, parcels))\t\(used)")
}
// Concurrent writers, group commit: the route's path, then its two parts. Parcels are scanned in
// the order they were issued, so consecutive receipts find their parcel rows on the same pages;
// `shuffled` scans them in random order, as a warehouse meets parcels issued over weeks in a
// larger store: most receipts then dirty a parcel-table page of their own as well.
// `--stored N` adds a row in a store of N parcels, the ones before the scanned ones received
// already (preparing it takes under a minute per 100,000 parcels here).
let stored = option("--stored", default: 0)
var rows = [
    ("group_commit", ParcelSource.route, false, false, 0), ("group_commit, parcels in transit", .route, true, false, 0),
    ("group_commit, parcels in transit, scanned in random order", .route, true, true, 0),
    ("group_commit, parcel read before the write (the route until now)", .readFirst, false, false, 0),
    ("group_commit, parcel already in hand (no read)", .inHand, false, false, 0),
]
if stored > count {
    rows.insert(("group_commit, parcels in transit, scanned in random order, \(stored) parcels stored", .route, true, true, stored - count), at: 3)
}
for (mode, source, inTransit, shuffled, arrivedBefore) in rows {
    let (store, issued, dir) = try await prepare(count, inTransit: inTransit, arrivedBefore: arrivedBefore)
    let parcels = shuffled ? issued.shuffled() : issued
    defer { try? FileManager.default.removeItem(at: dir) }
    if source == .route && !inTransit { perf("enable") }
    let start = ContinuousClock.now, cpuStart = cpuSeconds()
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        for _ in 0..<min(concurrency, parcels.count) {
            let p = parcels[next]; next += 1
            group.addTask { try await scan(store, p, source) }
        }
        while try await group.next() != nil {
            if next < parcels.count {
                let p = parcels[next]; next += 1
                group.addTask { try await scan(store, p, source) }
            }
        }
    }
    let elapsed = seconds(ContinuousClock.now - start), used = cpu(cpuStart, count)
    if source == .route && !inTransit { perf("disable") }
    print("\(mode)\t\(count)\t\(String(format: "%.3f", elapsed))\t\(String(format: "%.0f", Double(count) / elapsed))\t\(try await lost(store, parcels, arrivedBefore: arrivedBefore))\t\(used)")
}
