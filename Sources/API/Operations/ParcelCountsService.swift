import Foundation
import Logging
import ServiceLifecycle
import Store

/// Counts the stored parcels by status and country every `interval` for `/metrics` and the
/// systemd status line. The count reads every parcel (no index holds every status: each would
/// cost every status change a write), about 2.5 s per million on SQLite, so it is not done per
/// scrape: a scrape of a large store took longer than Prometheus's 10 s timeout, and the status
/// line ran it in the loop that pings the watchdog.
public final class ParcelCountsService: Service, Sendable {
    let runtime: ReturndRuntime
    let interval: Duration
    let logger: Logger

    public init(runtime: ReturndRuntime, interval: Duration, logger: Logger) {
        self.runtime = runtime
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do { try await count() } catch { logger.error("parcels.count_failed", metadata: ["error": "\(error)"]) }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// One count, published to the runtime when it is complete.
    public func count() async throws {
        let start = ContinuousClock.now
        let counts = try await runtime.store.parcelCounts()
        runtime.parcelCounts = ReturndRuntime.ParcelCounts(counts: counts, countedAt: runtime.clock())
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let metadata: Logger.Metadata = ["parcels": "\(counts.reduce(0) { $0 + $1.count })", "duration_ms": "\((ms * 10).rounded() / 10)"]
        if elapsed > interval / 10 {
            // A count that takes a tenth of the interval costs a tenth of a core (SQLite).
            logger.warning("parcels.count_slow", metadata: metadata.merging(["hint": "raise metrics.parcel_counts_interval_seconds"]) { $1 })
        } else {
            logger.debug("parcels.counted", metadata: metadata)
        }
    }
}
