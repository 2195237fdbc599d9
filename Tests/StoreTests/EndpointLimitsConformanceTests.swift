import Foundation
import ReturnsCore
import Store
import Testing

/// A carrier's rate limit is for returnd's key, whichever instance sends; a `Retry-After` is
/// for every client. Both live in the store, so instances share them and a restart keeps them.
@Suite("Endpoint limits shared by instances (SQLite and PostgreSQL)")
struct EndpointLimitsConformanceTests {
    let limit = RateLimit(requestsPerSecond: 10, burst: 2)

    @Test("two instances reserving at once get request times that together keep the carrier's rate limit", arguments: StoreKind.allCases)
    func instancesShareTheRate(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let second = try await t.another()
            let stores = [t.store, second]
            let now = Date()
            let limit = limit
            let reservations = try await withThrowingTaskGroup(of: RequestSlots.self) { group in
                for i in 0..<20 {
                    let store = stores[i % 2]
                    group.addTask {
                        try await store.reserveRequestSlots(endpoint: "carrier:x", count: 5, limit: limit, now: now, notAfter: now.addingTimeInterval(600))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            try await second.close()
            let times = reservations.flatMap(\.times).sorted()
            #expect(times.count == 100)
            // Any window holds at most burst + rate × its length: 100 requests take 9.8 s at least.
            #expect(times.last! - times.first! >= 9_800_000)
            for i in times.indices {
                for j in i..<min(times.count, i + 12) {
                    #expect(Int64(j - i + 1) <= 2 + (times[j] - times[i]) * 10 / 1_000_000, "\(j - i + 1) requests within \(times[j] - times[i]) µs")
                }
            }
            // Another carrier's schedule is its own.
            let other = try await t.store.reserveRequestSlots(endpoint: "carrier:y", count: 2, limit: limit, now: now, notAfter: now.addingTimeInterval(600))
            #expect(other.times == [now.microsecondsSince1970, now.microsecondsSince1970])
        }
    }

    @Test("a hold keeps every instance's requests after it, a shorter hold does not shorten it, and it is listed until it ends", arguments: StoreKind.allCases)
    func holdsAreShared(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let second = try await t.another()
            let now = Date()
            try await t.store.holdEndpoint("carrier:x", until: now.addingTimeInterval(60), reason: "rate limited (429)")
            // The other instance (or this one restarted) gets no time before the hold ends.
            let held = try await second.reserveRequestSlots(endpoint: "carrier:x", count: 3, limit: limit, now: now, notAfter: now.addingTimeInterval(30))
            #expect(held.times.isEmpty && held.nextAt == now.addingTimeInterval(60).microsecondsSince1970)
            let end = now.addingTimeInterval(60)
            let after = try await second.reserveRequestSlots(endpoint: "carrier:x", count: 3, limit: limit, now: end, notAfter: end.addingTimeInterval(30))
            #expect(after.times.count == 3 && after.times.first == end.microsecondsSince1970)
            try await second.holdEndpoint("carrier:x", until: now.addingTimeInterval(10), reason: "503")
            try await second.holdEndpoint(EndpointHold.disputeService, until: now.addingTimeInterval(5), reason: "503")
            try await second.close()
            let holds = try await t.store.endpointHolds(now: now)
            #expect(holds.map(\.endpoint) == ["carrier:x", EndpointHold.disputeService])
            #expect(holds.first?.reason == "rate limited (429)" && holds.first?.carrierID == "x")
            #expect(holds.first.map { abs($0.until.timeIntervalSince(now.addingTimeInterval(60))) < 0.001 } == true)
            #expect(try await t.store.endpointHolds(now: now.addingTimeInterval(6)).map(\.endpoint) == ["carrier:x"])
            #expect(try await t.store.endpointHolds(now: now.addingTimeInterval(61)).isEmpty)
            // An operator ends the hold (returnctl carriers resume): it is gone for everyone.
            let lifted = try await t.store.liftEndpointHold("carrier:x", now: now)
            #expect(lifted?.reason == "rate limited (429)" && lifted.map { abs($0.until.timeIntervalSince(now.addingTimeInterval(60))) < 0.001 } == true)
            #expect(try await t.store.liftEndpointHold("carrier:x", now: now) == nil)
            #expect(try await t.store.endpointHolds(now: now).map(\.endpoint) == [EndpointHold.disputeService])
            let resumed = try await t.store.reserveRequestSlots(endpoint: "carrier:x", count: 1, limit: limit, now: now, notAfter: now.addingTimeInterval(120))
            #expect(resumed.times.count == 1)
        }
    }

    @Test("times a pass did not use go back to the schedule, unless another reservation came after them", arguments: StoreKind.allCases)
    func unusedTimesGoBack(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let second = try await t.another()
            let now = Date(), horizon = now.addingTimeInterval(600)
            let pass = try await t.store.reserveRequestSlots(endpoint: "carrier:x", count: 10, limit: limit, now: now, notAfter: horizon)
            try await t.store.releaseRequestSlots(endpoint: "carrier:x", pass, used: 3)
            let next = try await second.reserveRequestSlots(endpoint: "carrier:x", count: 2, limit: limit, now: now, notAfter: horizon)
            #expect(next.times == Array(pass.times[3..<5]))
            // Given back after another instance reserved: that one's times stand, nothing moves.
            let cut = try await t.store.reserveRequestSlots(endpoint: "carrier:x", count: 4, limit: limit, now: now, notAfter: horizon)
            let later = try await second.reserveRequestSlots(endpoint: "carrier:x", count: 1, limit: limit, now: now, notAfter: horizon)
            try await t.store.releaseRequestSlots(endpoint: "carrier:x", cut, used: 0)
            let last = try await second.reserveRequestSlots(endpoint: "carrier:x", count: 1, limit: limit, now: now, notAfter: horizon)
            try await second.close()
            #expect(last.times.first! > later.times.first!)
        }
    }
}
