import BenchSupport
import Carriers
import Foundation
import Logging
import Synchronization
import ReturnsCore
import Store
import Tracking
import Transport

// Tracking throughput against a local fake carrier (bench/tracking starts nginx as one).
//   transport: N GETs through the libcurl Transport at a fixed concurrency (the HTTP client alone)
//   poll:      N parcels polled by the real poller: claim, request, parse, store events, move
//              the parcel, schedule (SQLite, durable, one commit per parcel)
//   claim:     the store's claim passes on a prepared SQLite file (`--store FILE`, see
//              bench/tracking_claim), until a pass neither claims nor sweeps anything
// Prints `mode<TAB>count<TAB>seconds<TAB>per_second` (poll_quiet adds CPU microseconds per poll).

let mode = option("--mode", default: "transport")
if mode == "claim" {
    // Passes as the poller makes them (500 parcels each), all at the same instant, until one
    // neither claims nor sweeps anything; the poller would sleep between passes that claim
    // nothing, which is not counted. Schedule rows are counted between passes, outside them.
    let path = requiredOption("--store")
    let store = try SQLReturnStore.sqlite(path: path)
    let limit = option("--limit", default: 500)
    let now = Date()
    var passes: [Double] = [], claimed = 0
    var scheduled = try await store.rowCounts()["tracking_schedule"] ?? 0
    while true {
        let start = ContinuousClock.now
        let targets = try await store.claimPollTargets(now: now, limit: limit, leaseUntil: now.addingTimeInterval(3600))
        passes.append(seconds(ContinuousClock.now - start))
        claimed += targets.count
        let left = try await store.rowCounts()["tracking_schedule"] ?? 0
        if targets.isEmpty && left == scheduled { break }
        scheduled = left
        if passes.count > 100_000 { fail("the claim never ran dry") }
    }
    let sorted = passes.sorted()
    // passes, parcels claimed, total seconds, median and longest pass in ms
    print("claim\t\(passes.count)\t\(claimed)\t\(String(format: "%.3f", passes.reduce(0, +)))\t\(String(format: "%.1f", sorted[sorted.count / 2] * 1000))\t\(String(format: "%.1f", sorted.last! * 1000))")
    try await store.close()
    exit(0)
}
let base = requiredOption("--base")
let count = option("--count", default: 2_000)
let concurrency = option("--concurrency", default: 32)
guard count > 0, concurrency > 0 else { fail("--count and --concurrency must be above 0") }
let numbers = (0..<count).map { "LX\(String(format: "%08d", 10_000_000 + $0))1DE" }


let transport = HTTPTransport(maxConnectionsPerHost: concurrency, maxConnections: concurrency)
let clock = ContinuousClock()
switch mode {
case "transport":
    let start = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        func add() {
            let url = "\(base)/track/shipments?trackingNumber=\(numbers[next])"
            next += 1
            group.addTask {
                let r = try await transport.send(OutboundRequest(url: url, headers: [("DHL-API-Key", "bench")]))
                precondition(r.status == 200, "status \(r.status)")
            }
        }
        for _ in 0..<min(concurrency, count) { add() }
        while try await group.next() != nil { if next < count { add() } }
    }
    let elapsed = seconds(clock.now - start)
    print("transport\t\(count)\t\(String(format: "%.3f", elapsed))\t\(String(format: "%.0f", Double(count) / elapsed))")
case "poll":
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-bench-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try SQLReturnStore.sqlite(path: dir.appendingPathComponent("bench.sqlite").path)
    try await store.migrate()
    let carriersDir = option("--carriers", default: "carriers")
    let loaded = orFail("loading carriers from \(carriersDir) (run from the repository or pass --carriers DIR)") {
        try CarrierCatalog.load(directory: carriersDir)
    }
    guard var carrier = loaded.byID["de_dhl"] else { fail("no carrier de_dhl in \(carriersDir)") }
    carrier.tracking.baseURL = "\(base)/track"
    carrier.tracking.requestsPerSecond = 1_000_000 // the benchmark measures us, not the carrier's limit
    carrier.tracking.burst = 1_000_000
    // The carrier's own auth (its API key header, from a credential file), as in production;
    // curl sends the same header.
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try Data("bench\n".utf8).write(to: dir.appendingPathComponent(carrier.tracking.credential ?? "dhl_api_key"))
    let catalog = CarrierCatalog(services: [carrier])
    let now = Date()
    for (i, n) in numbers.enumerated() {
        _ = n
        let request = ReturnRequest(
            disputeID: "D-\(i)", orderID: "O", receivedAt: now, reason: "r",
            buyer: Buyer(id: "B-\(i)", name: "N", address: PostalAddress(lines: ["1"], city: "C", postalCode: "1", country: "DE")),
            seller: Seller(id: "S", name: "S"),
            items: [RequestedItem(sku: "A", title: "A", quantity: 1, unitPrice: Money(amount: "1", currency: "EUR"), freeReturn: true)])
        _ = try await store.issueReturn(ReturnIssuance(
            request: request, idempotencyKey: nil, requestHash: "h", now: now, policy: ReturnPolicy(), carrierID: carrier.id,
            warehouseID: carrier.warehouse.id, scheme: carrier.scheme, serialCounterKey: carrier.serialCounterKey,
            serialRange: carrier.serialRange, firstPollDelay: 0))
    }
    let offset = Mutex(0.0)
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    let poller = TrackingPollerService(
        store: store, transport: transport, catalog: { catalog }, credentials: CarrierCredentials(directory: dir.path),
        configuration: .init(batchLimit: count, concurrencyPerCarrier: concurrency), logger: logger,
        clock: { Date().addingTimeInterval(offset.withLock { $0 }) })
    // First pass: every poll brings news (events stored, parcel moved, dispute event written).
    var start = clock.now
    var reports = try await poller.pollDue()
    var elapsed = seconds(clock.now - start)
    precondition(reports.count == count && reports.allSatisfy { $0.statusChanges == [.inTransit] }, "not every parcel moved")
    print("poll_news\t\(count)\t\(String(format: "%.3f", elapsed))\t\(String(format: "%.0f", Double(count) / elapsed))")
    // A day later every parcel is due again and the carrier has nothing new: the common case.
    offset.withLock { $0 = 86_400 }
    start = clock.now
    let cpuStart = cpuSeconds()
    perf("enable")
    reports = try await poller.pollDue()
    perf("disable")
    elapsed = seconds(clock.now - start)
    let cpu = cpuSeconds() - cpuStart
    precondition(reports.count == count && reports.allSatisfy { $0.outcome == "same_answer" && $0.newEvents.isEmpty }, "not every parcel was re-polled")
    print("poll_quiet\t\(count)\t\(String(format: "%.3f", elapsed))\t\(String(format: "%.0f", Double(count) / elapsed))\t\(String(format: "%.0f", cpu / Double(count) * 1e6))")
default:
    fail("--mode: transport, poll or claim, not \(mode)")
}
transport.shutdown()
