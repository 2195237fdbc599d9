import Foundation

/// A rate limit as an outside endpoint states it: `requestsPerSecond` on average, `burst` at once.
public struct RateLimit: Sendable, Hashable {
    public var requestsPerSecond: Double
    public var burst: Int

    public init(requestsPerSecond: Double, burst: Int) {
        self.requestsPerSecond = requestsPerSecond
        // Bounded so that a burst's span in microseconds cannot overflow (carrier files allow
        // up to 100,000; the tracking benchmark sets a million to measure returnd, not a limit).
        self.burst = min(max(1, burst), 10_000_000)
    }

    /// Microseconds between two requests at the average rate, at most a day (a rate read from
    /// a file can be as small as it likes; converting an unbounded interval would trap).
    var intervalMicroseconds: Int64 {
        let interval = (1_000_000 / requestsPerSecond).rounded(.up)
        guard interval.isFinite, interval < 86_400_000_000 else { return 86_400_000_000 }
        return max(1, Int64(interval))
    }
}

/// Times at which requests to one endpoint may go, reserved from a schedule every instance
/// shares (the generic cell rate algorithm: one number per endpoint, the theoretical time of
/// the next request at the average rate). A token bucket per process let each instance send the
/// carrier's whole rate, so two instances sent twice what the carrier allows. Reserving the
/// slots of a whole pass at once costs one write per carrier per pass, not one per request.
/// Pure: the store keeps `theoreticalNext` and `heldUntil` and runs this inside its transaction.
/// Times are microseconds since 1970, so the stored schedule compares exactly.
public struct RequestSlots: Sendable, Equatable {
    /// When each reserved request may go, earliest first.
    public var times: [Int64]
    /// The schedule before the reservation...
    public var theoreticalBefore: Int64
    /// ...and after each reserved slot: giving back the unused tail restores the one after the
    /// last slot used.
    public var theoreticalAfter: [Int64]
    /// When the first request not reserved here could go: the slots ran past `notAfter`, or the
    /// endpoint is held (`Retry-After`) and nothing was reserved.
    public var nextAt: Int64

    /// The schedule once these slots are taken.
    public var theoreticalNext: Int64 { theoreticalAfter.last ?? theoreticalBefore }

    /// The schedule if only the first `used` slots were used.
    public func theoretical(using used: Int) -> Int64 {
        used <= 0 ? theoreticalBefore : theoreticalAfter[min(used, theoreticalAfter.count) - 1]
    }

    /// Up to `count` slots from `now` to `notAfter`; none while the endpoint is held (a pass does
    /// not wait out a `Retry-After`: its work goes back until `nextAt`). `theoretical` is the
    /// stored schedule (0 for an endpoint never asked).
    public static func reserve(count: Int, limit: RateLimit, theoretical: Int64, heldUntil: Int64, now: Int64, notAfter: Int64) -> RequestSlots {
        let interval = limit.intervalMicroseconds
        // `burst` requests may go at once after a quiet spell: the schedule may run that far
        // behind a request's time.
        let tolerance = Int64(limit.burst - 1) * interval
        var tat = theoretical
        if heldUntil > now {
            return RequestSlots(times: [], theoreticalBefore: tat, theoreticalAfter: [], nextAt: max(heldUntil, tat - tolerance))
        }
        var times: [Int64] = [], after: [Int64] = []
        times.reserveCapacity(max(0, count))
        after.reserveCapacity(max(0, count))
        for _ in 0..<max(0, count) {
            let at = max(now, tat - tolerance)
            if at > notAfter { break }
            tat = max(tat, at) + interval
            times.append(at)
            after.append(tat)
        }
        return RequestSlots(times: times, theoreticalBefore: theoretical, theoreticalAfter: after, nextAt: max(now, tat - tolerance))
    }
}

extension Date {
    /// Microseconds since 1970, as `RequestSlots` and the store's schedule keep time.
    public var microsecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1_000_000).rounded(.down)) }

    public init(microsecondsSince1970 us: Int64) {
        self.init(timeIntervalSince1970: Double(us) / 1_000_000)
    }
}
