import Foundation

/// A carrier's rate limit from its file: `requests_per_second`, with `burst` requests at once.
/// `acquire` waits until a token is there; waiting callers are served in turn.
actor TokenBucket {
    let rate: Double
    let capacity: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    init(rate: Double, burst: Int) {
        self.rate = rate
        capacity = Double(max(1, burst))
        tokens = capacity
        last = .now
    }

    func acquire() async throws {
        let now = ContinuousClock.now
        let elapsed = now - last
        tokens = min(capacity, tokens + rate * (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
        last = now
        // Take the token now, even if that leaves a debt: later callers then wait behind this
        // one, so concurrent callers queue up instead of all waking at once.
        tokens -= 1
        if tokens < 0 {
            try await Task.sleep(for: .milliseconds(Int((-tokens / rate * 1000).rounded(.up))))
        }
    }
}

/// Backs off a carrier that fails (5xx, timeouts, 429) without touching the others.
actor CarrierHealth {
    private(set) var consecutiveFailures = 0
    private(set) var pausedUntil: Date?

    func isPaused(at now: Date) -> Date? {
        guard let until = pausedUntil, until > now else { return nil }
        return until
    }

    func succeeded() {
        consecutiveFailures = 0
        pausedUntil = nil
    }

    /// Pauses for `retryAfter` when the carrier said so, else exponentially (1 s … 10 min, jittered).
    @discardableResult
    func failed(at now: Date, retryAfter: Double?) -> Date {
        consecutiveFailures += 1
        let backoff = min(600, pow(2, Double(min(consecutiveFailures - 1, 20)))) * Double.random(in: 0.5...1.0)
        let until = now.addingTimeInterval(retryAfter ?? backoff)
        pausedUntil = max(pausedUntil ?? until, until)
        return pausedUntil!
    }
}
