@testable import Labels
import Testing

@Suite("Linear barcodes from libzint")
struct LinearBarcodeTests {
    static func randomInput(_ g: inout some RandomNumberGenerator) -> (String, LinearBarcode.Symbology) {
        let digits = Array("0123456789"), tracking = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), odd = Array("az-_ /.é^~")
        func pick(_ chars: [Character], _ n: Int) -> String { String((0..<n).map { _ in chars.randomElement(using: &g)! }) }
        switch Int.random(in: 0..<6, using: &g) {
        case 0: return (pick(tracking, Int.random(in: 1...30, using: &g)), .code128)
        case 1: return (pick(digits, Int.random(in: 1...30, using: &g)), .code128)
        case 2: return (pick(tracking + odd, Int.random(in: 1...40, using: &g)), .code128)
        case 3: return ("9" + pick(digits, Int.random(in: 0...40, using: &g)), .gs1_128)
        case 4: return (pick(tracking, Int.random(in: 0...30, using: &g)), .gs1_128)
        default:
            // Longer than either symbology takes: zint refuses, and the symbol is reused after.
            return (pick(tracking, Int.random(in: 100...300, using: &g)), Bool.random(using: &g) ? .code128 : .gs1_128)
        }
    }

    @Test("a reused zint symbol encodes what a fresh one does, in any order, after refusals, from several tasks at once")
    func reusedSymbolsMatchFresh() async throws {
        var g = SystemRandomNumberGenerator()
        let inputs = (0..<3_000).map { _ in Self.randomInput(&g) }
        let fresh = inputs.map { input in Result { () throws(LinearBarcode.Error) in try LinearBarcode(text: input.0, symbology: input.1, reuseSymbol: false) } }
        // Both outcomes must occur, or the comparison below proves little.
        #expect(fresh.filter { (try? $0.get()) == nil }.count > 100)
        #expect(fresh.filter { (try? $0.get()) != nil }.count > 1_000)
        let mismatches = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var g = SystemRandomNumberGenerator()
                    return inputs.indices.shuffled(using: &g).compactMap { i in
                        let reused = Result { () throws(LinearBarcode.Error) in try LinearBarcode(text: inputs[i].0, symbology: inputs[i].1) }
                        return reused == fresh[i] ? nil : "\(inputs[i]): fresh \(fresh[i]), reused \(reused)"
                    }
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }
}
