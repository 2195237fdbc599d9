import Foundation
@testable import Labels
import Testing

@Suite("Dates printed on labels")
struct LabelDatesTests {
    @Test("the hand-written day matches Foundation's ISO 8601 day on random and edge dates")
    func dayMatchesFoundation() {
        var g = SystemRandomNumberGenerator()
        // 1583 to 9999, the range the hand-written path covers, and the Julian years before it.
        var seconds: [Double] = (0..<20_000).map { _ in Double.random(in: -62_135_596_800..<253_402_300_800, using: &g) }
        seconds += [0, -1, 86_399.999, 86_400, -86_400, -86_400.001, 951_782_400, 951_868_800, 4_107_542_400, 1_795_000_000,
                    -12_212_553_600, -12_212_553_600.5, -62_135_596_800, 253_402_300_799.999, 253_402_300_800, 1e12, -1e12]
        // Every day boundary of two leap-year cycles, and either side of each.
        for day in -800...800 { for offset in [-0.5, 0, 0.5] { seconds.append(Double(day) * 86_400 + offset) } }
        for s in seconds {
            let d = Date(timeIntervalSince1970: s)
            #expect(LabelDates.day(d) == LabelDates.foundationDay(d), "\(s)")
        }
        #expect(LabelDates.day(Date(timeIntervalSince1970: 1_795_000_000)) == "2026-11-18")
    }
}
