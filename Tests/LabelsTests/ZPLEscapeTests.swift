@testable import Labels
import Testing

@Suite("ZPL field escaping")
struct ZPLEscapeTests {
    /// Bytes on both sides of every test the eight-byte scan makes: the seven that are replaced,
    /// their neighbours, other control bytes, and multi-byte characters the printer's font has
    /// (the others go as pictures, `ZPLGraphicTextTests`).
    static let alphabet: [String] = ["^", "_", "~", "\n", "\r", "\t", "\\", "[", "]", "`", "}", "\u{7F}", "\u{0}", "\u{B}", "\u{C}", "\u{D}", "\u{E}",
                                     "\u{1F}", " ", "a", "Z", "0", "é", "€", "Œ", "—", "\u{AD}", "\u{FE}"]

    @Test("fields escape like the plain template for random text, every special byte at every offset of the eight-byte scan")
    func escapingMatchesTemplate() throws {
        var g = SystemRandomNumberGenerator()
        var texts: [String] = []
        // Each special byte at every offset in runs of ordinary text, so it falls on every lane of a word and in the tail.
        for special in ["^", "_", "~", "\n", "\r", "\t", "\\"] {
            for length in 1...20 {
                for offset in 0..<length {
                    var chars = Array(repeating: "k", count: length)
                    chars[offset] = special
                    texts.append(chars.joined())
                }
            }
        }
        texts += (0..<4_000).map { _ in (0..<Int.random(in: 0...40, using: &g)).map { _ in Self.alphabet.randomElement(using: &g)! }.joined() }
        for chunk in stride(from: 0, to: texts.count, by: 40) {
            let layout = LabelLayout(width: 288, height: 432, dpi: 203, elements: texts[chunk..<min(chunk + 40, texts.count)].enumerated().map {
                .text($0.element, x: 10, y: Double($0.offset) * 10, size: 8, weight: .regular, maxWidth: 200)
            })
            let zpl = String(decoding: try ZPLRenderer.render(layout), as: UTF8.self)
            #expect(zpl == LabelRenderingTests.zplTemplate(layout), "texts \(texts[chunk..<min(chunk + 40, texts.count)].map(\.debugDescription))")
        }
    }

    @Test("the word test flags every word holding a byte that needs escaping, and passes words of ordinary text")
    func wordTestIsExact() {
        var g = SystemRandomNumberGenerator()
        let special: Set<UInt8> = [0x5C, 0x5E, 0x5F, 0x7E, 0x09, 0x0A, 0x0D]
        for _ in 0..<200_000 {
            // Random words, biased toward the edges of each test.
            let bytes = (0..<8).map { _ in [0x00, 0x0D, 0x0E, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F, 0x60, 0x7D, 0x7E, 0x7F, 0x80, 0xFF, UInt8.random(in: 0...255, using: &g)].randomElement(using: &g)! }
            let word = bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            let needs = bytes.contains { special.contains($0) }
            let flagged = ZPLRenderer.mayNeedEscape(word)
            if needs { #expect(flagged, "\(bytes)") }
            // A false alarm only costs the byte-by-byte path, but only `]` and bytes below 0x0E may raise one.
            if flagged && !needs { #expect(bytes.contains { $0 < 0x0E || $0 == 0x5D }, "\(bytes)") }
        }
    }
}
