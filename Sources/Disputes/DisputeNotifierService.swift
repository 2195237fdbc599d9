import Foundation
import Logging
import Prometheus
import ReturnsCore
import ServiceLifecycle
import Store
import Transport

/// Delivers the outbox to the dispute service: signed, at least once, in order per dispute,
/// concurrently across disputes. A failed delivery is retried with exponential backoff and
/// jitter (or after the `Retry-After` the service asked for); an event still undelivered after
/// `deadLetterAfter` becomes a dead letter, the operator is told in the log, and the dispute's
/// later events wait behind it until `returnctl outbox retry` so their order still holds.
/// A service that fails a whole pass (down, 5xx, timeouts, 429, refusing the signature) pauses
/// the notifier: from `baseBackoff` doubling up to `pauseMax`, or its `Retry-After`; then one
/// event probes it before the next full pass goes out. A `Retry-After` is kept in the store, so
/// every instance, and this one after a restart, waits it out too.
public final class DisputeNotifierService: Service, Sendable {
    public struct Configuration: Sendable {
        public var webhookURL: String
        public var requestTimeout: Duration
        public var concurrency: Int
        public var idleInterval: Duration
        public var baseBackoff: Duration
        public var maxBackoff: Duration
        /// The longest pause of the whole notifier while the service fails: how late a
        /// recovered service may hear of new events.
        public var pauseMax: Duration
        public var deadLetterAfter: Duration

        public init(
            webhookURL: String, requestTimeout: Duration = .seconds(10), concurrency: Int = 16,
            idleInterval: Duration = .milliseconds(500), baseBackoff: Duration = .seconds(1),
            maxBackoff: Duration = .seconds(600), pauseMax: Duration = .seconds(60), deadLetterAfter: Duration = .seconds(72 * 3600)
        ) {
            self.webhookURL = webhookURL
            self.requestTimeout = requestTimeout
            self.concurrency = concurrency
            self.idleInterval = idleInterval
            self.baseBackoff = baseBackoff
            self.maxBackoff = maxBackoff
            self.pauseMax = pauseMax
            self.deadLetterAfter = deadLetterAfter
        }
    }

    let store: any ReturnStore
    let transport: HTTPTransport
    let signer: WebhookSigner
    let configuration: Configuration
    let logger: Logger
    let clock: @Sendable () -> Date
    let metrics: PrometheusCollectorRegistry
    let health: EndpointHealth
    let pausedGauge: Gauge

    public init(store: any ReturnStore, transport: HTTPTransport, signer: WebhookSigner, configuration: Configuration, logger: Logger,
                metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), clock: @escaping @Sendable () -> Date = { Date() }) {
        self.metrics = metrics
        self.store = store
        self.transport = transport
        self.signer = signer
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        health = EndpointHealth(base: configuration.baseBackoff.inSeconds, cap: configuration.pauseMax.inSeconds)
        pausedGauge = metrics.makeGauge(descriptor: .init(metricName: "returnd_dispute_service_paused", unitName: "", helpText: "1 while the notifier holds back because the dispute service failed its last pass"))
        // Every outcome's series from the start, at 0: one that appeared at its first delivery
        // would lose that delivery to `rate()`.
        for outcome in Self.deliveryOutcomes { deliveryCounter(outcome).increment(by: Int64(0)) }
    }

    /// What `returnd_dispute_deliveries_total{outcome}` counts.
    static let deliveryOutcomes = ["delivered", "failed", "dead_letter"]

    /// The end of the current pause, while the dispute service is held back.
    public var pausedUntil: Date? { health.isPaused(at: clock()) }

    /// The first failed pass since the service last answered: it has been down since then.
    public var failingSince: Date? { health.failingSince }

    public func run() async throws {
        // Each pass finishes its deliveries; shutdown is only noticed between passes.
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let delivered: Int
            do { delivered = try await deliverDue() } catch {
                // Stopped mid-pass is not a failure; the events stay in the outbox.
                if !Task.isCancelled { logger.error("outbox.pass_failed", metadata: ["error": "\(error)"]) }
                delivered = 0
            }
            if delivered == 0 {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.configuration.idleInterval) }
            }
        }
    }

    /// One pass: the due head event of each dispute, delivered concurrently. Returns how many
    /// were delivered (a delivery makes that dispute's next event due at once).
    @discardableResult
    public func deliverDue() async throws -> Int {
        let now = clock()
        if health.isPaused(at: now) != nil { return 0 }
        if try await store.endpointHolds(now: now).contains(where: { $0.endpoint == EndpointHold.disputeService }) { return 0 }
        // After a failed pass one event finds out whether the service is back.
        let failedPasses = health.consecutiveFailures
        let batch = failedPasses > 0 ? 1 : configuration.concurrency * 4
        // The claim outlasts the slowest pass (every delivery of the batch timing out in turn);
        // after it, another instance may take over the events of one that died.
        let lease = configuration.requestTimeout.inSeconds * Double(batch / configuration.concurrency + 1) + 5
        let due = try await store.claimDueEvents(now: now, limit: batch, leaseUntil: now.addingTimeInterval(lease))
        guard !due.isEmpty else { return 0 }
        let pass = await withTaskGroup(of: Attempt.self) { group in
            var pass = PassOutcome()
            var iterator = due.makeIterator()
            for _ in 0..<min(configuration.concurrency, due.count) {
                if let entry = iterator.next() { group.addTask { await self.deliver(entry) } }
            }
            for await attempt in group {
                pass.add(attempt)
                // A full round of failures and no answer at all: the service is down, and the
                // rest of the batch would only fail too (each a timeout, perhaps).
                if pass.serviceFailures >= configuration.concurrency && pass.answered == 0 { continue }
                if let entry = iterator.next() { group.addTask { await self.deliver(entry) } }
            }
            pass.unsent = Array(IteratorSequence(iterator))
            return pass
        }
        if !pass.unsent.isEmpty {
            do { try await store.releaseEvents(seqs: pass.unsent.map(\.seq)) } catch {
                // Their lease runs out instead.
                logger.error("outbox.mark_failed", metadata: ["events": "\(pass.unsent.count)", "error": "\(error)"])
            }
        }
        if pass.answered == 0, let failure = pass.lastFailure {
            let until = health.failed(at: clock(), retryAfter: pass.retryAfter.map(\.inSeconds))
            if pass.retryAfter != nil {
                do { try await store.holdEndpoint(EndpointHold.disputeService, until: until, reason: failure) } catch {
                    logger.error("outbox.mark_failed", metadata: ["error": "\(error)"])
                }
            }
            pausedGauge.set(1.0)
            logger.warning("outbox.paused", metadata: [
                "error": "\(failure)", "failed_passes": "\(failedPasses + 1)",
                // This pass's, not an event's: `outbox.delivery_failed` has each event's attempts.
                "failed_in_pass": "\(pass.serviceFailures)", "not_tried_in_pass": "\(pass.unsent.count)", "paused_until": "\(until.formatted(.iso8601))",
            ])
        } else if pass.answered > 0, failedPasses > 0 {
            let down = health.failingSince.map { Int(clock().timeIntervalSince($0).rounded()) } ?? 0
            health.succeeded()
            pausedGauge.set(0.0)
            logger.notice("outbox.resumed", metadata: ["failed_passes": "\(failedPasses)", "failing_s": "\(down)"])
        }
        return pass.delivered
    }

    /// How one delivery went, for the pass.
    enum Attempt: Sendable {
        case delivered
        /// The service answered about this event (a 4xx of its own, or a 2xx not recorded): up.
        case answered
        /// Down, overloaded, slow or refusing returnd itself: every event would fail alike.
        case serviceFailed(String, retryAfter: Duration?)
    }

    struct PassOutcome {
        var delivered = 0
        var answered = 0
        var serviceFailures = 0
        var lastFailure: String?
        var retryAfter: Duration?
        var unsent: [OutboxEntry] = []

        mutating func add(_ attempt: Attempt) {
            switch attempt {
            case .delivered:
                delivered += 1
                answered += 1
            case .answered:
                answered += 1
            case .serviceFailed(let failure, let asked):
                serviceFailures += 1
                lastFailure = failure
                if let asked { retryAfter = max(retryAfter ?? asked, asked) }
            }
        }
    }

    /// Statuses that say the service, not the event, is the trouble.
    static func isServiceFailure(status: Int) -> Bool {
        status >= 500 || (300..<400).contains(status) || [401, 403, 408, 429].contains(status)
    }

    func deliver(_ entry: OutboxEntry) async -> Attempt {
        let body = Array(entry.payload.utf8)
        let now = clock()
        let request = OutboundRequest(
            method: "POST", url: configuration.webhookURL,
            headers: [
                ("Content-Type", "application/json"),
                ("Idempotency-Key", entry.eventID),
                ("Returnd-Signature", signer.header(body: body, timestamp: Int(now.timeIntervalSince1970))),
                ("User-Agent", "returnd"),
            ],
            body: body, timeout: configuration.requestTimeout, maxResponseBytes: 64 * 1024, oversizedAnswer: .cut)
        let meta: Logger.Metadata = ["event": "\(entry.eventID)", "type": "\(entry.type)", "dispute": "\(entry.disputeID)", "parcel": "\(entry.parcelID)"]
        let failure: String
        var retryAfter: Duration?
        let attempt: Attempt
        do {
            let response = try await transport.send(request)
            if (200..<300).contains(response.status) {
                do {
                    try await store.markDelivered(seq: entry.seq, at: clock())
                    delivery("delivered")
                    logger.info("outbox.delivered", metadata: meta.merging(["attempts": "\(entry.attempts + 1)"]) { a, _ in a })
                    return .delivered
                } catch {
                    // Delivered but not recorded: it goes again, and the receiver de-duplicates
                    // on Idempotency-Key. That is what at-least-once means.
                    logger.error("outbox.mark_failed", metadata: meta.merging(["error": "\(error)"]) { a, _ in a })
                    return .answered
                }
            }
            // A redirect answers every event alike: the service, not the event, is the trouble.
            failure = "HTTP \(response.status)" + (response.redirectNote.map { " \($0) (disputes.webhook_url)" } ?? "")
            // Honoured up to `maxBackoff`: a service asking for a day (the header allows it) would
            // hold every dispute's updates back for that long.
            retryAfter = response.retryAfter(now: now).map { min($0, configuration.maxBackoff) }
            attempt = Self.isServiceFailure(status: response.status) ? .serviceFailed(failure, retryAfter: retryAfter) : .answered
        } catch {
            failure = "\(error)"
            attempt = .serviceFailed(failure, retryAfter: nil)
        }
        let age = now.timeIntervalSince(entry.retriedAt ?? entry.createdAt)
        // The service answered about this event itself (a 4xx): sending it again gets the same
        // answer, so the way out for its dispute's later events is to set it aside.
        let setAside = "returnctl outbox set-aside \(entry.eventID) --reason TEXT, if the dispute service will never take it"
        let refused = if case .answered = attempt { true } else { false }
        do {
            if age >= Double(configuration.deadLetterAfter.components.seconds) {
                try await store.markDead(seq: entry.seq, at: now, error: failure)
                delivery("dead_letter")
                let action = refused ? setAside : "returnctl outbox retry \(entry.eventID)"
                logger.error("outbox.dead_letter", metadata: meta.merging(["attempts": "\(entry.attempts + 1)", "error": "\(failure)", "action": "\(action)"]) { a, _ in a })
            } else {
                let wait = retryAfter ?? backoff(attempts: entry.attempts)
                try await store.markFailed(seq: entry.seq, nextAttemptAt: now.addingTimeInterval(wait.inSeconds), error: failure)
                delivery("failed")
                var fields: Logger.Metadata = ["attempts": "\(entry.attempts + 1)", "error": "\(failure)", "retry_in_s": "\(Int(wait.inSeconds.rounded()))"]
                if refused { fields["action"] = "\(setAside)" }
                logger.warning("outbox.delivery_failed", metadata: meta.merging(fields) { a, _ in a })
            }
        } catch {
            logger.error("outbox.mark_failed", metadata: meta.merging(["error": "\(error)"]) { a, _ in a })
        }
        return attempt
    }

    func delivery(_ outcome: String) {
        deliveryCounter(outcome).increment()
    }

    func deliveryCounter(_ outcome: String) -> Counter {
        metrics.makeCounter(descriptor: .init(metricName: "returnd_dispute_deliveries", unitName: "total", helpText: "Dispute webhook attempts by outcome"), labels: [("outcome", outcome)])
    }

    /// Exponential from `baseBackoff`, capped at `maxBackoff`, with jitter between half and
    /// all of it so that many retries do not arrive together.
    func backoff(attempts: Int) -> Duration {
        let base = configuration.baseBackoff.inSeconds
        let cap = configuration.maxBackoff.inSeconds
        let exponential = min(cap, base * pow(2, Double(min(attempts, 30))))
        return .milliseconds(Int(exponential * Double.random(in: 0.5...1.0) * 1000))
    }
}
