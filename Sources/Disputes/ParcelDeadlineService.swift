import Foundation
import Logging
import Prometheus
import ReturnsCore
import ServiceLifecycle
import Store
import Synchronization

/// The timers of DOMAIN.md: a label not dropped off by its deadline expires (and the dispute
/// hears `return.expired`); a parcel the carrier reports at the warehouse that no scanner has
/// read within `arrivalUnconfirmedAfter` is flagged `arrival_unconfirmed` (possibly lost inside).
/// With `idempotencyKeysKeptFor` set, `Idempotency-Key`s older than that are forgotten.
public final class ParcelDeadlineService: Service, Sendable {
    public struct Configuration: Sendable {
        public var interval: Duration
        public var arrivalUnconfirmedAfter: Duration
        /// nil: every key is kept for ever (the default).
        public var idempotencyKeysKeptFor: Duration?
        /// How long past its deadline an unused label waits for its carrier to be asked once
        /// more, before it expires anyway; nil (tracking off) expires it at the deadline.
        public var expiryFinalCheckWait: Duration?

        public init(interval: Duration = .seconds(60), arrivalUnconfirmedAfter: Duration = .seconds(48 * 3600), idempotencyKeysKeptFor: Duration? = nil,
                    expiryFinalCheckWait: Duration? = nil) {
            self.interval = interval
            self.arrivalUnconfirmedAfter = arrivalUnconfirmedAfter
            self.idempotencyKeysKeptFor = idempotencyKeysKeptFor
            self.expiryFinalCheckWait = expiryFinalCheckWait
        }
    }

    /// Keys forgotten per write, and writes per pass: each write is a short transaction of its
    /// own, so issuance goes on between them, and a store that turns retention on with millions
    /// of old keys works through them over several passes.
    public static let forgetBatch = 1000
    static let forgetBatchesPerPass = 50

    /// How often a parcel still unconfirmed is logged again: at every pass (a minute) a handful
    /// of lost parcels wrote thousands of identical warnings a day, crowding `log.lines_per_second`.
    static let unconfirmedReminder: TimeInterval = 24 * 3600
    /// The unconfirmed parcels this process has logged, and when it last did.
    private let unconfirmedLogged = Mutex<[String: Date]>([:])

    let store: any ReturnStore
    let configuration: Configuration
    let logger: Logger
    let clock: @Sendable () -> Date
    let metrics: PrometheusCollectorRegistry

    public init(store: any ReturnStore, configuration: Configuration, logger: Logger, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.metrics = metrics
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do { _ = try await tick() } catch where Task.isCancelled {
                // Stopped mid-pass (another service failed, or the shutdown ran out of time): not a failure.
            } catch { logger.error("timers.failed", metadata: ["error": "\(error)"]) }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.configuration.interval) }
        }
    }

    public struct TickResult: Sendable {
        public var expired: [String]
        public var unconfirmed: [String]
        public var forgottenIdempotencyKeys = 0
        /// Unused labels past their deadline still there after this pass: waiting for their carrier's word.
        public var labelsPastDeadline = 0
    }

    /// One round of the timers: expiries, unconfirmed arrivals, then aged idempotency keys.
    public func tick() async throws -> TickResult {
        let now = clock()
        var expired: [String] = []
        // Expiries the store refused this pass (disk full, connection lost), and why.
        var failed: [String: String] = [:]
        while !Task.isCancelled {
            let wait = configuration.expiryFinalCheckWait
            let batch = try await store.overdueLabels(now: now, limit: 200, finalCheckWait: wait?.inSeconds)
            if batch.isEmpty { break }
            for label in batch where failed[label.parcelID] == nil {
                let id = label.parcelID
                do {
                    let outcome = try await store.changeStatus(StatusChangeRequest(parcelID: id, status: .expired, source: .timer, occurredAt: now, detail: Self.expiryDetail(label, wait: wait)))
                    if outcome.changed {
                        expired.append(id)
                        var meta: Logger.Metadata = ["parcel": "\(id)", "tracking": "\(outcome.parcel.trackingNumber)", "dispute": "\(outcome.parcel.disputeIDs.joined(separator: ","))"]
                        if let checked = label.checkedAt { meta["carrier_asked_at"] = "\(checked.formatted(.iso8601))" }
                        if label.wasToBeChecked && label.checkedAt == nil {
                            // The carrier was not asked after the deadline: a box it took may be under this label.
                            meta["hint"] = "its carrier could not be asked after the deadline (\(label.lastPollError ?? "not polled")); returnctl track shows what it says now"
                            logger.warning("parcel.expired_unchecked", metadata: meta)
                        } else {
                            logger.notice("parcel.expired", metadata: meta)
                        }
                    }
                } catch let moved as ParcelStateMachine.IllegalTransition {
                    // A drop-off raced the timer: the parcel moved on, which is what we want.
                    logger.debug("parcel.expiry_skipped", metadata: ["parcel": "\(id)", "error": "\(moved)"])
                } catch {
                    failed[id] = "\(error)"
                }
            }
            // A refused label is still overdue and comes back in the next batch: a batch of only
            // those would be read and refused again at once, for ever (a disk full spun here).
            if batch.count < 200 || batch.allSatisfy({ failed[$0.parcelID] != nil }) { break }
        }
        if let (first, error) = failed.min(by: { $0.key < $1.key }) {
            // One line a pass, not one per label: a store refusing every write refuses them all.
            logger.error("timers.expiry_failed", metadata: [
                "parcels": "\(failed.count)", "parcel": "\(first)", "error": "\(error)",
                "action": "they expire at the next pass once the store takes writes again",
            ])
        }
        let waiting = try await store.labelsPastDeadline(now: now).count
        metrics.makeGauge(descriptor: .init(metricName: "returnd_labels_past_deadline", unitName: "",
                                            helpText: "Unused labels past their drop-off deadline that wait for their carrier's word before expiring"))
            .set(Double(waiting))
        let cutoff = now.addingTimeInterval(-configuration.arrivalUnconfirmedAfter.inSeconds)
        let unconfirmed = try await store.unconfirmedArrivals(before: cutoff)
        metrics.makeGauge(descriptor: .init(metricName: "returnd_parcels_arrival_unconfirmed", unitName: "", helpText: "Parcels the carrier delivered that no warehouse scanner has read")).set(Double(unconfirmed.count))
        metrics.makeCounter(descriptor: .init(metricName: "returnd_parcels_expired", unitName: "total", helpText: "Labels expired unused")).increment(by: Int64(expired.count))
        // Logged when first found, then once a day while it stays unconfirmed; the gauge counts
        // them all at every pass. A parcel found or inspected since is forgotten.
        let due = unconfirmedLogged.withLock { logged in
            var kept: [String: Date] = [:]
            var due: [Parcel] = []
            for p in unconfirmed {
                if let last = logged[p.id], now.timeIntervalSince(last) < Self.unconfirmedReminder {
                    kept[p.id] = last
                } else {
                    kept[p.id] = now
                    due.append(p)
                }
            }
            logged = kept
            return due
        }
        for p in due {
            logger.warning("parcel.arrival_unconfirmed", metadata: [
                "parcel": "\(p.id)", "tracking": "\(p.trackingNumber)", "warehouse": "\(p.warehouseID)",
                "dispute": "\(p.disputeIDs.joined(separator: ","))", "repeats": "daily while no scanner reads it",
            ])
        }
        return TickResult(expired: expired, unconfirmed: unconfirmed.map(\.id), forgottenIdempotencyKeys: try await forgetIdempotencyKeys(now: now),
                          labelsPastDeadline: waiting)
    }

    /// The expiry's history row, for whoever audits the dispute: whether the carrier was asked.
    static func expiryDetail(_ label: OverdueLabel, wait: Duration?) -> String {
        let base = "not dropped off by the deadline"
        if let checked = label.checkedAt { return "\(base); its carrier, asked at \(checked.formatted(.iso8601)), had no drop-off either" }
        guard label.wasToBeChecked, let wait else { return base }
        let why = label.lastPollError.map { "its last poll: \($0)" } ?? "not polled since"
        return "\(base); its carrier could not be asked in the \(Self.hours(wait)) after it (\(why))"
    }

    static func hours(_ d: Duration) -> String {
        let h = d.inSeconds / 3600
        return h == h.rounded() ? "\(Int(h)) h" : "\(Int((d.inSeconds / 60).rounded())) min"
    }

    /// Deletes the keys older than the retention, a bounded number per pass.
    func forgetIdempotencyKeys(now: Date) async throws -> Int {
        let counter = metrics.makeCounter(descriptor: .init(metricName: "returnd_idempotency_keys_forgotten", unitName: "total", helpText: "Idempotency-Keys deleted past returns.idempotency_keys_days"))
        guard let kept = configuration.idempotencyKeysKeptFor else { return 0 }
        let before = now.addingTimeInterval(-kept.inSeconds)
        var forgotten = 0
        for _ in 0..<Self.forgetBatchesPerPass {
            let n = try await store.forgetIdempotencyKeys(before: before, limit: Self.forgetBatch)
            forgotten += n
            if n < Self.forgetBatch { break }
        }
        counter.increment(by: Int64(forgotten))
        if forgotten > 0 {
            logger.info("idempotency.keys_forgotten", metadata: ["count": "\(forgotten)", "stored_before": "\(before.formatted(.iso8601))"])
        }
        return forgotten
    }
}
