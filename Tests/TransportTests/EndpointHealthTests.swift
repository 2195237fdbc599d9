import Foundation
import Testing
import Transport

@Suite("Backing off a failing endpoint")
struct EndpointHealthTests {
    @Test("the pause doubles from the base at each failure after the last pause ended, up to the cap, with jitter")
    func doublesUpToTheCap() throws {
        let health = EndpointHealth(base: 1, cap: 8)
        var now = Date(timeIntervalSince1970: 1_000_000)
        var pauses: [Double] = []
        for _ in 0..<7 {
            let until = health.failed(at: now, retryAfter: nil)
            pauses.append(until.timeIntervalSince(now))
            #expect(health.isPaused(at: now) == until)
            now = until
            #expect(health.isPaused(at: now) == nil)
        }
        // Between half and all of 1, 2, 4, 8, 8, 8, 8 seconds.
        for (pause, full) in zip(pauses, [1.0, 2, 4, 8, 8, 8, 8]) { #expect((full / 2...full).contains(pause), "\(pauses)") }
        #expect(health.consecutiveFailures == 7)
        #expect(health.failingSince == Date(timeIntervalSince1970: 1_000_000))
        let last = try #require(health.lastFailure)
        #expect(last.at == now.addingTimeInterval(-pauses[6]) && last.pausedUntil == now)
        health.succeeded()
        #expect(health.consecutiveFailures == 0 && health.failingSince == nil && health.isPaused(at: now) == nil && health.lastFailure == nil)
        #expect((0.5...1).contains(health.failed(at: now, retryAfter: nil).timeIntervalSince(now)))
    }

    @Test("requests that fail while a pause runs (they were in flight together) are one failure, not one step each")
    func concurrentFailuresAreOneStep() {
        let health = EndpointHealth(base: 1, cap: 600)
        let now = Date(timeIntervalSince1970: 1_000_000)
        let first = health.failed(at: now, retryAfter: nil)
        for i in 1...7 {
            #expect(health.failed(at: now.addingTimeInterval(Double(i) / 100), retryAfter: nil) == first)
        }
        #expect(health.consecutiveFailures == 1)
        #expect(first.timeIntervalSince(now) <= 1)
        // The latest of them is the last failure: the endpoint was tried then.
        #expect(health.lastFailure?.at == now.addingTimeInterval(0.07) && health.lastFailure?.pausedUntil == first)
        // The endpoint asking for longer still extends the pause.
        let asked = health.failed(at: now, retryAfter: 30)
        #expect(asked == now.addingTimeInterval(30))
        #expect(health.consecutiveFailures == 1)
    }

    @Test("Retry-After sets the pause whatever the cap")
    func retryAfterWins() {
        let health = EndpointHealth(base: 1, cap: 4)
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(health.failed(at: now, retryAfter: 120) == now.addingTimeInterval(120))
    }
}
