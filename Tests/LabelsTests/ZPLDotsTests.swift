@testable import Labels
import Testing

@Suite("ZPL dot rounding")
struct ZPLDotsTests {
    @Test("nearest rounds like rounded(): halves away from zero, on random values and every edge")
    func nearestMatchesRounded() {
        var g = SystemRandomNumberGenerator()
        var values = (0..<50_000).map { _ in Double.random(in: -5_000...5_000, using: &g) }
        values += [0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994,
                   1.4999999999999998, 4_503_599_627_370_495.5, -4_503_599_627_370_495.5, 1e15 + 0.5]
        values += (0..<2_000).map { Double($0) / 4 - 250 }
        for x in values {
            #expect(ZPLRenderer.nearest(x) == Int(x.rounded()), "\(x)")
        }
    }
}
