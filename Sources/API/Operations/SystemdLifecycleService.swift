import Foundation
import Logging
import ServiceLifecycle
import Store

/// The daemon's side of `Type=notify`: `WATCHDOG=1` from the main loop only while the store
/// answers, a `STATUS=` summary now and then, and `STOPPING=1` the moment shutdown begins.
/// (`READY=1` is sent when the HTTP port is bound; see `buildApplication`.)
public final class SystemdLifecycleService: Service, Sendable {
    let notifier: SystemdNotifier
    let runtime: ReturndRuntime
    let watchdog: Duration?
    let statusEvery: Duration
    let logger: Logger
    let drain: Duration

    public init(notifier: SystemdNotifier, runtime: ReturndRuntime, watchdog: Duration? = SystemdNotifier.watchdogInterval(), statusEvery: Duration = .seconds(30),
                drain: Duration = .zero, logger: Logger) {
        self.drain = drain
        self.notifier = notifier
        self.runtime = runtime
        self.watchdog = watchdog
        self.statusEvery = statusEvery
        self.logger = logger
    }

    public func run() async throws {
        // Ping at half the watchdog interval, as systemd recommends.
        let tick = watchdog.map { $0 / 2 } ?? statusEvery
        var sinceStatus = statusEvery
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let healthy: Bool
            do {
                try await runtime.store.ping()
                healthy = true
            } catch {
                healthy = false
                // A ping cut short by cancellation says nothing of the store's health.
                if !Task.isCancelled { logger.error("watchdog.unhealthy", metadata: ["error": "\(error)"]) }
            }
            if healthy && watchdog != nil { notifier.notify("WATCHDOG=1") }
            if sinceStatus >= statusEvery {
                sinceStatus = .zero
                if let summary = try? await statusLine() { notifier.notify("STATUS=\(summary)") }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
            sinceStatus += tick
        }
        notifier.notify("STOPPING=1\nSTATUS=stopping: draining, then finishing requests in flight")
        logger.notice("shutdown.started", metadata: ["drain_s": "\(drain.components.seconds)"])
        // Still serving, but not ready: the service group stops HTTP (next in reverse order)
        // only when this returns, after load balancers have seen /readyz fail.
        runtime.isDraining = true
        do { try await Task.sleep(for: drain) } catch {
            // Cancelled: the shutdown timeout ran out; stopping at once is what is asked.
        }
    }

    /// The parcels as last counted (`ParcelCountsService`): counting them here, in the loop that
    /// pings the watchdog, took seconds per million parcels.
    func statusLine() async throws -> String {
        let outbox = try await runtime.store.outboxStats()
        // What `systemctl status` should say at 3 a.m. when updates are not going out or coming in.
        // The dispute service only while events wait: with none to send it is not being tried.
        var trouble = ""
        if outbox.pending > 0, let since = runtime.disputeNotifier?.failingSince {
            trouble += "; dispute service failing since \(since.formatted(.iso8601))"
        }
        let carriers = runtime.trackingPoller?.failingCarriers(at: runtime.clock()) ?? []
        if !carriers.isEmpty {
            trouble += "; carriers failing: " + carriers.map { "\($0.carrierID) since \($0.since.formatted(.iso8601))" }.joined(separator: ", ")
        }
        // Holds are in the store: one instance heard the Retry-After, every instance waits, and
        // each one's status says why its polls (or deliveries) stopped.
        let holds = try await runtime.store.endpointHolds(now: runtime.clock())
        let catalog = runtime.snapshot.catalog
        let heldCarriers = holds.compactMap { hold in hold.carrierID.flatMap { catalog.byID[$0] != nil ? "\($0) until \(hold.until.formatted(.iso8601))" : nil } }
        if !heldCarriers.isEmpty {
            trouble += "; carriers held: " + heldCarriers.joined(separator: ", ")
        }
        if outbox.pending > 0, let held = holds.first(where: { $0.endpoint == EndpointHold.disputeService }) {
            trouble += "; dispute service asked to wait until \(held.until.formatted(.iso8601))"
        }
        let backlog = "outbox \(outbox.pending) pending, \(outbox.dead) dead\(trouble)"
        guard let counts = runtime.parcelCounts?.counts else {
            return "serving; parcels not counted yet; \(backlog)"
        }
        let moving = counts.filter { [.droppedOff, .inTransit].contains($0.status) }.reduce(0) { $0 + $1.count }
        let waiting = counts.filter { $0.status == .labelIssued }.reduce(0) { $0 + $1.count }
        let overdue = counts.reduce(0) { $0 + $1.overdue }
        return "serving; \(waiting) labels waiting, \(moving) parcels moving\(overdue > 0 ? ", \(overdue) at the warehouse past their inspection" : ""); \(backlog)"
    }
}
