import Foundation
import Synchronization

// Asked on every request of every poll: a lock held for a few arithmetic steps, where an actor
// had cost each request two hops through the executor (and a thread wakeup when busy).

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
