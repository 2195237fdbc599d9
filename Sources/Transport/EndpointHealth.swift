import Foundation
import Synchronization

/// Backs off an endpoint that fails (a carrier's API, the dispute service) without touching the
/// others: after each failure it is paused, exponentially longer from `base` up to `cap` with
/// jitter (between half and all of it), or for as long as the endpoint asked (`Retry-After`).
/// A lock held for a few arithmetic steps: it is asked on every request.
public final class EndpointHealth: Sendable {
    private struct State {
        var consecutiveFailures = 0
        var pausedUntil: Date?
        var failingSince: Date?
        var lastFailedAt: Date?
    }

    private let state = Mutex(State())
    let base: Double
    let cap: Double

    /// `base` and `cap` in seconds.
    public init(base: Double = 1, cap: Double = 600) {
        self.base = base
        self.cap = max(base, cap)
    }

    /// The end of the pause, while it lasts.
    public func isPaused(at now: Date) -> Date? {
        state.withLock { s in
            guard let until = s.pausedUntil, until > now else { return nil }
            return until
        }
    }

    /// Failures since the last success: more than zero means the endpoint is not known to be back.
    public var consecutiveFailures: Int { state.withLock { $0.consecutiveFailures } }

    /// The first failure since the last success.
    public var failingSince: Date? { state.withLock { $0.failingSince } }

    /// The latest failure since the last success, and the end of the pause it set: what tells
    /// whether the endpoint was tried at all since.
    public var lastFailure: (at: Date, pausedUntil: Date)? {
        state.withLock { s in
            guard let at = s.lastFailedAt else { return nil }
            return (at, s.pausedUntil ?? at)
        }
    }

    public func succeeded() {
        state.withLock { s in
            s.consecutiveFailures = 0
            s.pausedUntil = nil
            s.failingSince = nil
            s.lastFailedAt = nil
        }
    }

    /// Pauses for `retryAfter` seconds when the endpoint said so, else exponentially. During a
    /// pause a failure only lengthens it to a longer `retryAfter`. Returns the pause's end.
    @discardableResult
    public func failed(at now: Date, retryAfter: Double?) -> Date {
        state.withLock { s in
            s.lastFailedAt = now
            // Requests in flight when the first of them failed fail too: one outage, one step.
            // Counting each had started a carrier polled 8 at a time at 2^7 s, not 1 s.
            if let until = s.pausedUntil, until > now {
                let paused = max(until, now.addingTimeInterval(retryAfter ?? 0))
                s.pausedUntil = paused
                return paused
            }
            s.consecutiveFailures += 1
            if s.failingSince == nil { s.failingSince = now }
            let backoff = min(cap, base * pow(2, Double(min(s.consecutiveFailures - 1, 30)))) * Double.random(in: 0.5...1.0)
            // Any earlier pause has ended (above), so this one replaces it.
            let until = now.addingTimeInterval(retryAfter ?? backoff)
            s.pausedUntil = until
            return until
        }
    }
}
