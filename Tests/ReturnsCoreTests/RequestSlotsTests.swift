import ReturnsCore
import Testing

@Suite("Request slots: one rate limit shared by every instance")
struct RequestSlotsTests {
    let second: Int64 = 1_000_000
    let limit = RateLimit(requestsPerSecond: 5, burst: 3)

    @Test("a quiet endpoint takes a burst at once, then one request per interval")
    func burstThenInterval() {
        let now: Int64 = 100 * second
        let slots = RequestSlots.reserve(count: 6, limit: limit, theoretical: 0, heldUntil: 0, now: now, notAfter: now + 60 * second)
        #expect(slots.times == [now, now, now, now + second / 5, now + 2 * second / 5, now + 3 * second / 5])
        #expect(slots.theoreticalNext == now + 6 * second / 5)
        #expect(slots.nextAt == now + 4 * second / 5)
    }

    @Test("a second reservation, by another instance, continues where the first left the schedule: together they keep the rate")
    func reservationsContinue() {
        let now: Int64 = 100 * second
        let first = RequestSlots.reserve(count: 6, limit: limit, theoretical: 0, heldUntil: 0, now: now, notAfter: now + 60 * second)
        let second = RequestSlots.reserve(count: 2, limit: limit, theoretical: first.theoreticalNext, heldUntil: 0, now: now + 1, notAfter: now + 60 * self.second)
        #expect(second.times == [first.nextAt, first.nextAt + self.second / 5])
        // Any window of the merged times holds at most burst + rate × its length requests.
        let all = (first.times + second.times).sorted()
        for (i, start) in all.enumerated() {
            for (j, end) in all.enumerated() where j >= i {
                #expect(Int64(j - i + 1) <= 3 + (end - start) * 5 / self.second)
            }
        }
    }

    @Test("after a quiet spell the schedule does not let more than a burst go at once")
    func quietSpellGivesOneBurst() {
        let slots = RequestSlots.reserve(count: 5, limit: limit, theoretical: 10 * second, heldUntil: 0, now: 1_000 * second, notAfter: 2_000 * second)
        #expect(slots.times.filter { $0 == 1_000 * second }.count == 3)
    }

    @Test("no slot while the endpoint is held (Retry-After), and none past the horizon: nextAt says when the next could go")
    func holdAndHorizon() {
        let now: Int64 = 100 * second
        let held = RequestSlots.reserve(count: 4, limit: limit, theoretical: 0, heldUntil: now + 30 * second, now: now, notAfter: now + 60 * second)
        #expect(held.times.isEmpty && held.nextAt == now + 30 * second && held.theoreticalNext == 0)
        let ended = RequestSlots.reserve(count: 4, limit: limit, theoretical: 0, heldUntil: now, now: now, notAfter: now + 60 * second)
        #expect(ended.times.count == 4 && ended.times.first == now)
        let cut = RequestSlots.reserve(count: 100, limit: limit, theoretical: 0, heldUntil: 0, now: now, notAfter: now + second)
        // A burst of 3 at once, then 5 more within the second (at 0.2 … 1.0 s).
        #expect(cut.times.count == 8 && cut.times.last! <= now + second && cut.nextAt > now + second)
    }

    @Test("an absurd burst or rate is bounded, not an overflow: the schedule still counts")
    func absurdLimitsDoNotTrap() {
        let wide = RateLimit(requestsPerSecond: 1e-300, burst: Int.max)
        let slots = RequestSlots.reserve(count: 3, limit: wide, theoretical: Int64.max / 4, heldUntil: 0, now: 100 * second, notAfter: Int64.max / 2)
        #expect(slots.times.count == 3 && wide.burst == 10_000_000)
        // A rate of almost nothing is one request a day.
        let slow = RequestSlots.reserve(count: 2, limit: RateLimit(requestsPerSecond: 1e-300, burst: 1), theoretical: 0, heldUntil: 0, now: 100 * second, notAfter: Int64.max / 2)
        #expect(slow.times == [100 * second, 100 * second + 86_400 * second])
    }

    @Test("giving back the unused tail restores the schedule after the last slot used")
    func givingBack() {
        let now: Int64 = 100 * second
        let slots = RequestSlots.reserve(count: 6, limit: limit, theoretical: 0, heldUntil: 0, now: now, notAfter: now + 60 * second)
        #expect(slots.theoretical(using: 0) == 0)
        #expect(slots.theoretical(using: 4) == slots.theoreticalAfter[3])
        let again = RequestSlots.reserve(count: 2, limit: limit, theoretical: slots.theoretical(using: 4), heldUntil: 0, now: now, notAfter: now + 60 * second)
        #expect(again.times == Array(slots.times[4...]))
    }
}
