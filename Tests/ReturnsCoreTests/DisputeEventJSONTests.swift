import Foundation
import Testing
@testable import ReturnsCore

@Suite("Dispute event payloads")
struct DisputeEventJSONTests {
    static func text(_ g: inout some RandomNumberGenerator) -> String {
        let pieces = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{00}", "\u{01}", "\u{1F}", "\u{7F}",
                      "é", "ß", "Ж", "ש", "中", "\u{2028}", "\u{FEFF}", "📦", "e\u{301}", "_", "{", "}", ":", ","]
        return (0..<Int.random(in: 0...12, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined()
    }

    static func event(_ g: inout some RandomNumberGenerator, dates: ClosedRange<Double>) -> DisputeEvent {
        func date() -> Date { Date(timeIntervalSince1970: Double.random(in: dates, using: &g)) }
        func money() -> Money { Money(amount: text(&g), currency: text(&g)) }
        let items = (0..<Int.random(in: 0...3, using: &g)).map { _ in
            ParcelItem(disputeID: text(&g), orderID: text(&g), sku: text(&g), title: text(&g), quantity: Int.random(in: -5...100_000, using: &g), unitPrice: money())
        }
        let inspection: [ItemInspection]? = Bool.random(using: &g) ? nil : (0..<Int.random(in: 0...3, using: &g)).map { _ in
            ItemInspection(sku: text(&g), disputeID: Bool.random(using: &g) ? text(&g) : nil,
                           outcome: Bool.random(using: &g) ? .accepted : .rejected, reason: Bool.random(using: &g) ? text(&g) : nil)
        }
        return DisputeEvent(
            id: text(&g), type: DisputeEvent.Kind.allCases.randomElement(using: &g)!, disputeID: text(&g), parcelID: text(&g),
            trackingNumber: text(&g), carrier: text(&g), status: ParcelStatus.allCases.randomElement(using: &g)!, occurredAt: date(),
            items: items, returnCode: text(&g), dropOffBy: date(),
            source: Bool.random(using: &g) ? StatusSource.allCases.randomElement(using: &g)! : nil,
            location: Bool.random(using: &g) ? text(&g) : nil, inspection: inspection,
            acceptedAmounts: Bool.random(using: &g) ? (0..<Int.random(in: 0...2, using: &g)).map { _ in money() } : nil,
            reusesLabelOf: Bool.random(using: &g) ? text(&g) : nil)
    }

    @Test("the hand-written payload is byte for byte what JSONEncoder.returnd writes, on random events")
    func matchesJSONEncoder() throws {
        var g = SystemRandomNumberGenerator()
        // 1583 to 9999 (the hand-written dates, with fractions and before 1970) and beyond it
        // both ways (Foundation's path).
        for range in [-12_212_553_600.0...253_402_300_799.999, -62_135_596_800.0...(-12_212_553_600.0), 253_402_300_800.0...300_000_000_000.0] {
            for _ in 0..<3_000 {
                let e = Self.event(&g, dates: range)
                let expected = String(decoding: try JSONEncoder.returnd.encode(e), as: UTF8.self)
                #expect(try e.jsonText() == expected)
            }
        }
        let edge = Self.event(&g, dates: 0...0)
        #expect(try edge.jsonText() == String(decoding: try JSONEncoder.returnd.encode(edge), as: UTF8.self))
    }

    @Test("UTC date fields agree with Foundation's Gregorian calendar from 1583 to 9999")
    func dateFieldsMatchCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var g = SystemRandomNumberGenerator()
        var samples = (0..<20_000).map { _ in Int64.random(in: -12_212_553_600_000..<253_402_300_800_000, using: &g) }
        samples += [0, -1, 86_399_999, 86_400_000, -86_400_000, -86_400_001, 951_782_400_000, 951_868_800_000, -12_212_553_600_000, 253_402_300_799_999]
        for ms in samples {
            let t = UTCDateTime(millisecondsSince1970: ms)
            let seconds = Double(ms) / 1000
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds.rounded(.down)))
            #expect(t.map { [$0.year, $0.month, $0.day, $0.hour, $0.minute, $0.second] } == [c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!], "\(ms)")
            #expect(t?.millisecond == Int(((ms % 1000) + 1000) % 1000))
        }
        #expect(UTCDateTime(millisecondsSince1970: 253_402_300_800_000) == nil)
        #expect(UTCDateTime(millisecondsSince1970: -12_212_553_600_001) == nil)
    }
}
