import Testing

@testable import ReturnsCore

@Suite struct CrockfordBase32Tests {
    @Test("a value written in N symbols reads back, symbol by symbol, as its low 5N bits")
    func encodedValuesReadBack() {
        var g = SystemRandomNumberGenerator()
        for digits in 1...12 {
            for _ in 0..<500 {
                let value = UInt64.random(in: 0...UInt64.max, using: &g)
                let text = CrockfordBase32.encode(value, digits: digits)
                #expect(text.count == digits)
                let read = text.reduce(UInt64(0)) { $0 << 5 | UInt64(CrockfordBase32.value(of: $1)!) }
                #expect(read == value & ((1 << (5 * UInt64(digits))) - 1))
            }
        }
        #expect(CrockfordBase32.encode(0, digits: 4) == "0000")
        #expect(CrockfordBase32.encode(31, digits: 2) == "0Z")
        #expect(CrockfordBase32.encode(32 * 10 + 18, digits: 3) == "0AJ")
    }
}
