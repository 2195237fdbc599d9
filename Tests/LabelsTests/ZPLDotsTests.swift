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

    @Test("numbers are written as their decimal digits: every number to 100,000, negatives, and the extremes")
    func numbersAsDigits() {
        var values = Array(-1_000...100_000) + [Int.max, Int.min + 1, 1_000_000, 9_999_999, 10_000_000, -123_456_789]
        values += (0..<10_000).map { _ in Int.random(in: Int.min + 1...Int.max) }
        var text: [UInt8] = []
        text.reserveCapacity(values.count * 21)
        let written = [UInt8](unsafeUninitializedCapacity: values.count * 21) { buffer, count in
            var z = ZPLWriter(buffer: buffer, dpi: 203)
            for v in values { z.int(v); z.byte(UInt8(ascii: " ")) }
            count = z.count
        }
        for v in values { text += Array(String(v).utf8) + [UInt8(ascii: " ")] }
        #expect(written == text)
    }
}
