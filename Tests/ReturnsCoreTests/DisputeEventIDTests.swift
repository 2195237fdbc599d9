import Foundation
import Testing

@testable import ReturnsCore

@Suite struct DisputeEventIDTests {
    @Test func idsAreEvtAndTwentyCrockfordDigits() {
        let id = DisputeEvent.newID()
        #expect(id.hasPrefix("evt_"))
        #expect(id.count == 24)
        #expect(id.dropFirst(4).allSatisfy { "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains($0) })
    }

    @Test func idsMadeLaterSortLater() {
        let start = Date(timeIntervalSince1970: 1_795_996_800)
        let ids = (0..<1000).map { DisputeEvent.newID(now: start.addingTimeInterval(Double($0) * 0.002)) }
        #expect(ids == ids.sorted())
        #expect(DisputeEvent.newID(now: start) < DisputeEvent.newID(now: start.addingTimeInterval(86_400 * 365 * 30)))
    }

    @Test func idsMadeInTheSameMillisecondDiffer() {
        let now = Date()
        let ids = Set((0..<10_000).map { _ in DisputeEvent.newID(now: now) })
        #expect(ids.count == 10_000)
    }
}
