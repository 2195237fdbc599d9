import Foundation
import Synchronization

// Both are asked on every request of every poll: a lock held for a few arithmetic steps, where
// an actor had cost each request two hops through the executor (and a thread wakeup when busy).

/// A carrier's rate limit from its file: `requests_per_second`, with `burst` requests at once.
/// `acquire` waits until a token is there; waiting callers are served in turn.
final class TokenBucket: Sendable {
    private struct State {
        var tokens: Double
        var last: ContinuousClock.Instant
    }

    let rate: Double
    let capacity: Double
    private let state: Mutex<State>

    init(rate: Double, burst: Int) {
        let capacity = Double(max(1, burst))
        self.rate = rate
        self.capacity = capacity
        state = Mutex(State(tokens: capacity, last: .now))
    }

    func acquire() async throws {
        let debt = state.withLock { s -> Double in
            let now = ContinuousClock.now
            let elapsed = now - s.last
            s.tokens = min(capacity, s.tokens + rate * (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
            s.last = now
            // Take the token now, even if that leaves a debt: later callers then wait behind
            // this one, so concurrent callers queue up instead of all waking at once.
            s.tokens -= 1
            return -s.tokens
        }
        if debt > 0 {
            try await Task.sleep(for: .milliseconds(Int((debt / rate * 1000).rounded(.up))))
        }
    }
}

/// Backs off a carrier that fails (5xx, timeouts, 429) without touching the others.
final class CarrierHealth: Sendable {
    private struct State {
        var consecutiveFailures = 0
        var pausedUntil: Date?
    }

    private let state = Mutex(State())

    func isPaused(at now: Date) -> Date? {
        state.withLock { s in
            guard let until = s.pausedUntil, until > now else { return nil }
            return until
        }
    }

    func succeeded() {
        state.withLock { s in
            s.consecutiveFailures = 0
            s.pausedUntil = nil
        }
    }

    /// Pauses for `retryAfter` when the carrier said so, else exponentially (1 s … 10 min, jittered).
    @discardableResult
    func failed(at now: Date, retryAfter: Double?) -> Date {
        state.withLock { s in
            s.consecutiveFailures += 1
            let backoff = min(600, pow(2, Double(min(s.consecutiveFailures - 1, 20)))) * Double.random(in: 0.5...1.0)
            let until = now.addingTimeInterval(retryAfter ?? backoff)
            let paused = max(s.pausedUntil ?? until, until)
            s.pausedUntil = paused
            return paused
        }
    }
}
