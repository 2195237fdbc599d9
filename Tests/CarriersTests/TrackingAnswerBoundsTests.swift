import Carriers
import Foundation
import Testing

@Suite("What returnd keeps of a carrier's answer")
struct TrackingAnswerBoundsTests {
    let at = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("an answer within the bounds is kept as it is, long non-Latin text included (counted in characters, not bytes)")
    func withinBoundsUnchanged() {
        let results: [String: TrackingResult] = [
            "A": .events([CarrierEvent(code: "PC1", description: String(repeating: "Ж", count: 500), occurredAt: at, location: String(repeating: "東", count: 200), kind: .acceptance)]),
            "B": .notFound, "C": .failed(String(repeating: "é", count: 300)),
        ]
        let bounded = TrackingAnswerBounds.apply(results)
        #expect(bounded.results == results && bounded.eventsDropped == 0 && bounded.textsCut == 0)
    }

    @Test("a code, description, location or error past its bound is cut to it, ending in an ellipsis; other numbers untouched")
    func textsCut() throws {
        let results: [String: TrackingResult] = [
            "A": .events([CarrierEvent(code: String(repeating: "C", count: 65), description: String(repeating: "d", count: 501), occurredAt: at, location: String(repeating: "l", count: 201), kind: .transit)]),
            "B": .failed(String(repeating: "f", count: 301)), "C": .notFound,
        ]
        let bounded = TrackingAnswerBounds.apply(results)
        guard case .events(let events) = bounded.results["A"], let e = events.first else { Issue.record("no events"); return }
        #expect(e.code == String(repeating: "C", count: 63) + "…")
        #expect(e.description == String(repeating: "d", count: 499) + "…")
        #expect(e.location == String(repeating: "l", count: 199) + "…")
        #expect(bounded.results["B"] == .failed(String(repeating: "f", count: 299) + "…"))
        #expect(bounded.results["C"] == .notFound)
        #expect(bounded.textsCut == 4 && bounded.eventsDropped == 0)
    }

    @Test("of too many events the newest are kept, whatever order the carrier sent them in")
    func newestEventsKept() {
        let events = (0..<250).map { CarrierEvent(code: "E\($0)", description: "d", occurredAt: at.addingTimeInterval(Double($0)), kind: .transit) }
        let bounded = TrackingAnswerBounds.apply(["A": .events(events.shuffled())])
        guard case .events(let kept) = bounded.results["A"] else { Issue.record("no events"); return }
        #expect(Set(kept.map(\.code)) == Set((50..<250).map { "E\($0)" }))
        #expect(bounded.eventsDropped == 50 && bounded.textsCut == 0)
    }
}
