/// How many lines returnd writes per second at most (`log.lines_per_second`): a token bucket
/// holding one second's worth for each of two kinds, lines below warning and lines at warning or
/// above. With budgets of their own, a flood of request lines never crowds out a warning, and a
/// flood of errors (every request failing in a store outage) is bounded too.
struct LogLineBudget: Sendable {
    /// 0: no bound.
    private(set) var linesPerSecond: Int
    private var routine: Double
    private var serious: Double
    private var refilledAt: ContinuousClock.Instant

    init(linesPerSecond: Int, now: ContinuousClock.Instant) {
        self.linesPerSecond = max(0, linesPerSecond)
        routine = Double(self.linesPerSecond)
        serious = Double(self.linesPerSecond)
        refilledAt = now
    }

    /// Takes a line's token if one is left; `serious` for warning and above.
    mutating func admits(serious isSerious: Bool, now: ContinuousClock.Instant) -> Bool {
        guard linesPerSecond > 0 else { return true }
        let rate = Double(linesPerSecond)
        if now > refilledAt {
            let elapsed = now - refilledAt
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            routine = min(rate, routine + seconds * rate)
            serious = min(rate, serious + seconds * rate)
            refilledAt = now
        }
        if isSerious {
            guard serious >= 1 else { return false }
            serious -= 1
        } else {
            guard routine >= 1 else { return false }
            routine -= 1
        }
        return true
    }

    /// A reload: the new rate, each bucket full.
    mutating func update(linesPerSecond: Int, now: ContinuousClock.Instant) {
        guard max(0, linesPerSecond) != self.linesPerSecond else { return }
        self = LogLineBudget(linesPerSecond: linesPerSecond, now: now)
    }
}
