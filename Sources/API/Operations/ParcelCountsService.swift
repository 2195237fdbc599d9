import Foundation
import Logging
import ReturnsCore
import ServiceLifecycle
import Store

/// Counts the stored parcels by status and country every `interval` for `/metrics` and the
/// systemd status line, and in the same pass the parcels at the warehouse waiting for their
/// inspection longer than they should (`returnd_parcels_inspection_overdue`). The count reads
/// every parcel (no index holds every status: each would
/// cost every status change a write), about 2.5 s per million on SQLite, so it is not done per
/// scrape: a scrape of a large store took longer than Prometheus's 10 s timeout, and the status
/// line ran it in the loop that pings the watchdog.
///
/// Each count is stored: `returnctl status` shows it without reading every parcel, and another
/// instance's count younger than the interval is taken as it is, so instances sharing a store
/// count it about once an interval between them, not once each.
public final class ParcelCountsService: Service, Sendable {
    let runtime: ReturndRuntime
    let interval: Duration
    /// Parcels at the warehouse this long without an inspection are counted overdue.
    let inspectionOverdueAfter: Duration
    let logger: Logger
    /// Tells this service's stored counts from another instance's.
    let id = UUID().uuidString

    /// `metrics.inspection_overdue_days` by default. DOMAIN: inspection takes about 2 business
    /// days; 4 calendar days spans a weekend.
    public static let defaultInspectionOverdueDays = 4.0

    public init(runtime: ReturndRuntime, interval: Duration, inspectionOverdueAfter: Duration = .seconds(defaultInspectionOverdueDays * 86400), logger: Logger) {
        self.runtime = runtime
        self.interval = interval
        self.inspectionOverdueAfter = inspectionOverdueAfter
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do { try await count() } catch where Task.isCancelled {
                // Stopped mid-count: not a failure.
            } catch { logger.error("parcels.count_failed", metadata: ["error": "\(error)"]) }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// One count, published to the runtime when it is complete and then stored; or another
    /// instance's stored count, if it is younger than the interval.
    public func count() async throws {
        if let stored = try await runtime.store.parcelCountSnapshot(), stored.countedBy != id,
           abs(runtime.clock().timeIntervalSince(stored.countedAt)) < interval.inSeconds {
            runtime.parcelCounts = ReturndRuntime.ParcelCounts(counts: stored.counts, countedAt: stored.countedAt)
            logger.debug("parcels.count_shared", metadata: ["counted_at": "\(stored.countedAt.formatted(.iso8601))"])
            return
        }
        let start = ContinuousClock.now, countedAt = runtime.clock()
        let counts = try await runtime.store.parcelCounts(inspectionOverdueBefore: countedAt.addingTimeInterval(-inspectionOverdueAfter.inSeconds))
        runtime.parcelCounts = ReturndRuntime.ParcelCounts(counts: counts, countedAt: countedAt)
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let metadata: Logger.Metadata = ["parcels": "\(counts.reduce(0) { $0 + $1.count })", "duration_ms": "\((ms * 10).rounded() / 10)"]
        if elapsed > interval / 10 {
            // A count that takes a tenth of the interval costs a tenth of a core (SQLite).
            logger.warning("parcels.count_slow", metadata: metadata.merging(["hint": "raise metrics.parcel_counts_interval_seconds"]) { $1 })
        } else {
            logger.debug("parcels.counted", metadata: metadata)
        }
        try await runtime.store.saveParcelCountSnapshot(ParcelCountSnapshot(counts: counts, countedAt: countedAt, countedBy: id))
    }
}
