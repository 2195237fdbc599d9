import Foundation
import Prometheus
import ReturnsCore
import Store
import Synchronization

/// The metrics `/metrics` serves in the Prometheus text format. Counters and histograms are
/// recorded where things happen; the gauges of stored state are read from the store per scrape.
public final class ReturndMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// The carriers given a hold gauge so far, to drop the gauge of one a reload took out.
    private let holdGauges = Mutex<[String: Gauge]>([:])
    /// The log lines left out, as the writer counts them, and what the counters were given so far.
    private let logWriter: LogWriter
    private let logDropsCounted = Mutex(LogWriter.Dropped())

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), logWriter: LogWriter = .standardError) {
        self.registry = registry
        self.logWriter = logWriter
        // Which build each instance runs, for a rolling upgrade's dashboards (the usual `_build_info`).
        registry.makeGauge(descriptor: .init(metricName: "returnd_build_info", unitName: "", helpText: "The running build: release and the newest store schema it knows per backend (always 1)"),
                           labels: [("version", ReturndVersion.release), ("sqlite_schema", StoreSchema.sqlite), ("postgres_schema", StoreSchema.postgres)]).set(1.0)
    }

    static let latencyBuckets: [Duration] = [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5)]

    /// Methods counted by name. The client chooses the method, and HTTP's parser takes about 35
    /// (WebDAV's, PURGE, SOURCE…): each would be a series of its own, for no route serves them.
    static let methodsByName: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    func request(method: String, route: String, status: Int, duration: Duration) {
        count(method: Self.methodsByName.contains(method) ? method : "other", route: route, status: status, duration: duration)
    }

    /// A request HTTP's parser refused, or whose head never came whole: no method was read.
    func unreadableRequest(status: Int) {
        count(method: "unknown", route: "unreadable", status: status, duration: .zero)
    }

    private func count(method: String, route: String, status: Int, duration: Duration) {
        registry.makeCounter(descriptor: .init(metricName: "returnd_http_requests", unitName: "total", helpText: "HTTP requests by route and status"), labels: [("method", method), ("route", route), ("status", "\(status)")]).increment()
        registry.makeDurationHistogram(descriptor: .init(metricName: "returnd_http_request_duration", unitName: "seconds", helpText: "HTTP request duration"), labels: [("route", route)], buckets: Self.latencyBuckets).recordNanoseconds(Int64(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000))
    }

    func labelRendered(country: String, format: String, duration: Duration) {
        registry.makeCounter(descriptor: .init(metricName: "returnd_labels_issued", unitName: "total", helpText: "Labels served by country and format"), labels: [("country", country), ("format", format)]).increment()
        registry.makeDurationHistogram(descriptor: .init(metricName: "returnd_label_render", unitName: "seconds", helpText: "Label render time (cache hits included)"), labels: [("format", format)], buckets: Self.latencyBuckets).recordNanoseconds(Int64(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000))
    }

    func parcelCreated(country: String) {
        registry.makeCounter(descriptor: .init(metricName: "returnd_parcels_created", unitName: "total", helpText: "Parcels opened (new labels)"), labels: [("country", country)]).increment()
    }

    func parcelUnderUsedLabel(country: String) {
        registry.makeCounter(descriptor: .init(metricName: "returnd_parcels_under_used_label", unitName: "total", helpText: "Packages opened for the rest of an order under its used label (no new label)"), labels: [("country", country)]).increment()
    }

    /// A warehouse read kept but flagged for an operator: `misrouted` (the wrong warehouse) or
    /// the status of a parcel that could no longer arrive (`expired`, `cancelled`).
    func warehouseReadFlagged(reason: String) {
        flaggedReads(reason).increment()
    }

    private func flaggedReads(_ reason: String) -> Counter {
        registry.makeCounter(descriptor: .init(metricName: "returnd_warehouse_reads_flagged", unitName: "total", helpText: "Warehouse reads kept but flagged for an operator (wrong warehouse, or a parcel that expired), status unchanged"), labels: [("reason", reason)])
    }

    /// Reads the store's state into gauges, then renders everything. The parcels are as
    /// `ParcelCountsService` last counted them (a full read of the parcels, too slow per scrape);
    /// the outbox is read now (its undelivered rows only).
    func scrape(runtime: ReturndRuntime) async throws -> [UInt8] {
        if let last = runtime.parcelCounts {
            let counts = last.counts
            for status in ParcelStatus.allCases {
                for country in Set(counts.map(\.country)).sorted() {
                    let n = counts.filter { $0.status == status && $0.country == country }.reduce(0) { $0 + $1.count }
                    registry.makeGauge(descriptor: .init(metricName: "returnd_parcels", unitName: "", helpText: "Parcels by status and country"), labels: [("status", status.rawValue), ("country", country)]).set(Double(n))
                }
            }
            // Every country served or counted, at 0 too, so that the alert on it has series to read.
            for country in Set(counts.map(\.country) + runtime.snapshot.catalog.services.map(\.country)).sorted() {
                let n = counts.filter { $0.status == .arrivedAtWarehouse && $0.country == country }.reduce(0) { $0 + $1.overdue }
                registry.makeGauge(descriptor: .init(metricName: "returnd_parcels_inspection_overdue", unitName: "", helpText: "Parcels at the warehouse longer than metrics.inspection_overdue_days without an inspection, by country"),
                                   labels: [("country", country)]).set(Double(n))
            }
            registry.makeGauge(descriptor: .init(metricName: "returnd_parcels_count_age", unitName: "seconds", helpText: "Age of the count behind returnd_parcels (metrics.parcel_counts_interval_seconds)"))
                .set(max(0, runtime.clock().timeIntervalSince(last.countedAt)))
        }
        // At 0 from the first scrape, so the alert on their increase has series to read.
        for reason in ["misrouted", "expired"] { _ = flaggedReads(reason) }
        let outbox = try await runtime.store.outboxStats()
        registry.makeGauge(descriptor: .init(metricName: "returnd_outbox_pending", unitName: "", helpText: "Dispute events waiting for delivery")).set(Double(outbox.pending))
        registry.makeGauge(descriptor: .init(metricName: "returnd_outbox_dead_letters", unitName: "", helpText: "Dispute events given up on (returnctl outbox dead)")).set(Double(outbox.dead))
        registry.makeGauge(descriptor: .init(metricName: "returnd_outbox_oldest_pending_age", unitName: "seconds", helpText: "Age of the oldest undelivered dispute event"))
            .set(outbox.oldestPendingCreatedAt.map { max(0, runtime.clock().timeIntervalSince($0)) } ?? 0)
        try await holds(runtime: runtime)
        registry.makeGauge(descriptor: .init(metricName: "returnd_store", unitName: "bytes", helpText: "Bytes the store takes on disk (SQLite's pages, or PostgreSQL's database): about 10 KB a return, kept for good"))
            .set(Double(try await runtime.store.storeBytes()))
        if let free = try await runtime.store.storeFreeBytes() {
            registry.makeGauge(descriptor: .init(metricName: "returnd_store_free", unitName: "bytes", helpText: "Bytes free on the file system holding the SQLite store: under 128 MiB the WAL is kept small, at 0 every write is refused (503)"))
                .set(Double(free))
        }
        logDrops()
        // A carrier's serial range running out stops its new labels (`tracking_numbers_exhausted`):
        // an alert on the trend gives weeks to widen `tracking_number.serial_range` in its file.
        for counter in try await runtime.store.serialCounters() {
            registry.makeGauge(descriptor: .init(metricName: "returnd_tracking_numbers_left", unitName: "", helpText: "Tracking numbers left in a serial range (blocks reserved by instances count as used)"),
                               labels: [("counter", counter.key)]).set(Double(counter.remaining))
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    /// The writer's totals as counters, at 0 for each reason from the first scrape on.
    private func logDrops() {
        let total = logWriter.dropped
        logDropsCounted.withLock { counted in
            for (reason, now, before) in [("rate", total.rate, counted.rate), ("backlog", total.backlog, counted.backlog), ("write_failed", total.writeFailed, counted.writeFailed)] {
                registry.makeCounter(descriptor: .init(metricName: "returnd_log_lines_dropped", unitName: "total", helpText: "Log lines left out: beyond log.lines_per_second (rate), the log reader not keeping up (backlog), or a failed write (write_failed)"),
                                     labels: [("reason", reason)]).increment(by: Int64(now - before))
            }
            counted = total
        }
    }

    /// Seconds left of each stored `Retry-After` hold, which any instance may have heard: 0 for
    /// a carrier not held, so an alert has a series per carrier from the first scrape on.
    private func holds(runtime: ReturndRuntime) async throws {
        let now = runtime.clock()
        let holds = try await runtime.store.endpointHolds(now: now)
        func remaining(_ endpoint: String) -> Double {
            holds.first { $0.endpoint == endpoint }.map { max(0, $0.until.timeIntervalSince(now)) } ?? 0
        }
        // A held carrier no longer in the carrier files is still reported while its hold lasts.
        let carriers = Set(runtime.snapshot.catalog.services.map(\.id)).union(holds.compactMap(\.carrierID))
        holdGauges.withLock { gauges in
            for carrier in carriers {
                let gauge = gauges[carrier] ?? registry.makeGauge(
                    descriptor: .init(metricName: "returnd_carrier_hold_remaining", unitName: "seconds", helpText: "Seconds until a carrier's stored Retry-After hold ends (0: not held)"),
                    labels: [("carrier", carrier)])
                gauges[carrier] = gauge
                gauge.set(remaining(EndpointHold.carrier(carrier)))
            }
            for (carrier, gauge) in gauges where !carriers.contains(carrier) {
                registry.unregisterGauge(gauge)
                gauges[carrier] = nil
            }
        }
        registry.makeGauge(descriptor: .init(metricName: "returnd_dispute_service_hold_remaining", unitName: "seconds", helpText: "Seconds until the dispute service's stored Retry-After hold ends (0: not held)"))
            .set(remaining(EndpointHold.disputeService))
    }
}
