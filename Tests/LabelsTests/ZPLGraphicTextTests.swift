import Foundation
@testable import Labels
import ReturnsCore
import Testing

@Suite("ZPL lines the printer's font cannot print, sent as pictures")
struct ZPLGraphicTextTests {
    @Test("a run's count is written in the ZPL guide's letters: M is 7, hB 40 B's, vMB 327")
    func repeatCountsFollowTheGuide() {
        func letters(_ n: Int) -> String {
            var out: [UInt8] = []
            ZPLGraphicText.appendCount(n, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(letters(1) == "G")
        #expect(letters(7) == "M")
        #expect(letters(19) == "Y")
        #expect(letters(20) == "g")
        #expect(letters(40) == "h")
        #expect(letters(327) == "vM")
        #expect(letters(380) == "y")
        #expect(letters(400) == "z")
        #expect(letters(821) == "zzgG")
        // Every count reads back as itself with the guide's values.
        for n in 1...1_000 { #expect(ZPLGraphicDecoder.count(letters(n)) == n) }
    }

    @Test("Latin text in Windows-1252 stays text; Hebrew, Cyrillic, Chinese and emoji go as pictures")
    func whichTextIsAPicture() {
        for printable in ["Amélie Ñúñez-Løvgren", "12 rue de l'Église", "Œuvre — 4,99 €", "Straße", "", "SKU-1 ^~_\\"] {
            #expect(ZPLGraphicText.printerFontPrints(printable), "\(printable)")
        }
        for picture in ["ישראל כהן", "Иван Петров", "深圳小工具店", "Box \u{1F4E6}", "Łódź", "\u{85}"] {
            #expect(!ZPLGraphicText.printerFontPrints(picture), "\(picture)")
        }
    }

    @Test("a Hebrew, a Russian and a Chinese line print from ZPL exactly as the PNG label draws them, pixel for pixel, with no text field left")
    func picturesMatchThePNG() throws {
        let layout = LabelLayout(width: 288, height: 432, dpi: 203, elements: [
            .text("ישראל כהן, רחוב הרצל 12", x: 10, y: 20, size: 11, weight: .bold, maxWidth: 260),
            .text("ул. Ленина 12, кв. 4 — Москва", x: 10, y: 60, size: 9, weight: .regular, maxWidth: 260),
            // Long enough to be shrunk and cut with an ellipsis, as the PNG cuts it.
            .text(String(repeating: "深圳小工具店 ", count: 12), x: 10, y: 100, size: 9, weight: .regular, maxWidth: 200),
            .text("Amélie", x: 10, y: 140, size: 9, weight: .regular, maxWidth: 200),
        ])
        let zpl = String(decoding: try ZPLRenderer.render(layout), as: UTF8.self)
        let graphics = try ZPLGraphicDecoder.graphics(in: zpl)
        #expect(graphics.count == 3)
        #expect(zpl.contains("^FDAmélie^FS"))
        #expect(!zpl.unicodeScalars.contains { $0.value >= 0x0400 })
        let png = try CairoCanvas.bitmap(layout)
        var printed = Set<Int>()
        for g in graphics {
            for (x, y) in g.ink { printed.insert((g.y + y) * png.width + g.x + x) }
        }
        var drawn = Set<Int>()
        // The Latin line is the printer's to draw: compare the three others.
        let latinTop = Int((140 - 9 * 0.3) * 203 / 72)
        for y in 0..<latinTop {
            for x in 0..<png.width where png.bits[y * png.bytesPerRow + x / 8] & (0x80 >> UInt8(x % 8)) == 0 { drawn.insert(y * png.width + x) }
        }
        #expect(drawn.count > 1_000)
        #expect(printed == drawn, "\(printed.subtracting(drawn).count) dots printed the PNG does not draw, \(drawn.subtracting(printed).count) the other way")
    }

    @Test("every carrier's ZPL label with a Hebrew buyer and a Chinese seller prints their lines as pictures that the PNG label draws too", arguments: catalog.services.map(\.id))
    func wholeLabelPictures(id: String) throws {
        var content = sampleContent(catalog.byID[id]!)
        content.parcel.buyer.name = "ישראל כהן"
        content.parcel.seller = Seller(id: "S-1", name: "深圳小工具店")
        let zpl = String(decoding: try LabelRenderer.renderUncached(content, format: .zpl).bytes, as: UTF8.self)
        #expect(!zpl.unicodeScalars.contains { $0.value >= 0x0400 && $0.value != 0x2014 })
        let graphics = try ZPLGraphicDecoder.graphics(in: zpl)
        #expect(!graphics.isEmpty)
        // The ZPL's layout (room kept for the printer's QR code), drawn as the PNG draws a label.
        let png = try CairoCanvas.bitmap(try LabelLayout.make(content, qr: .byPrinter))
        var outside = 0, ink = 0
        for g in graphics {
            for (x, y) in g.ink {
                ink += 1
                let px = g.x + x, py = g.y + y
                if png.bits[py * png.bytesPerRow + px / 8] & (0x80 >> UInt8(px % 8)) != 0 { outside += 1 }
            }
        }
        #expect(ink > 200)
        #expect(outside == 0, "\(outside) of \(ink) printed dots are white on the PNG label")
        // Its ZPL stays a few kilobytes.
        #expect(zpl.utf8.count < 40_000, "\(zpl.utf8.count) bytes")
    }

    @Test("a label is written again with pictures exactly when one of its lines needs one: a euro sign, curly quotes or a long dash alone keep it all text")
    func picturesOnlyWhenNeeded() throws {
        // Latin-1 (one and two bytes), Windows-1252's extras (three bytes), and characters the
        // printer's font lacks at each UTF-8 length, between ASCII and escaped bytes.
        let alphabet = ["a", "Z", " ", "^", "\\", "é", "Ñ", "\u{A0}", "\u{AD}", "ÿ", "€", "“", "—", "Œ", "\u{85}", "Ł", "Ж", "א", "深", "\u{1F4E6}"]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<150 {
            let lines = (0..<Int.random(in: 1...3, using: &g)).map { _ in
                (0..<Int.random(in: 0...20, using: &g)).map { _ in Int.random(in: 0..<4, using: &g) == 0 ? alphabet.randomElement(using: &g)! : "k" }.joined()
            }
            let layout = LabelLayout(width: 288, height: 432, dpi: 203, elements: lines.enumerated().map {
                .text($0.element, x: 10, y: 20 + Double($0.offset) * 30, size: 9, weight: .regular, maxWidth: 260)
            } + [.printerQR(data: "Ж-1 深", x: 10, y: 200, moduleSize: 2)])
            let zpl = try ZPLRenderer.render(layout)
            #expect(zpl == ZPLRenderer.write(layout, pictures: try ZPLRenderer.pictures(for: layout)).bytes, "\(lines)")
            let needed = lines.filter { !ZPLGraphicText.printerFontPrints($0) }.count
            #expect(try ZPLGraphicDecoder.graphics(in: String(decoding: zpl, as: UTF8.self)).count == needed, "\(lines)")
        }
    }
}

/// Reads `^FOx,y^GFA,…^FS` fields back as a printer would, from the ZPL II Programming Guide's
/// description of the compressed hexadecimal form, independently of the writer.
enum ZPLGraphicDecoder {
    struct Graphic {
        var x: Int, y: Int, width: Int, height: Int
        var ink: [(Int, Int)]
    }

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    /// G-Y are 1-19, g-y 20-380 in twenties, z 400; several add up.
    static func count(_ letters: String) -> Int {
        letters.unicodeScalars.reduce(0) { total, c in
            switch c {
            case "G"..."Y": total + Int(c.value - 70)
            case "g"..."y": total + Int(c.value - 102) * 20
            case "z": total + 400
            default: total
            }
        }
    }

    static func graphics(in zpl: String) throws -> [Graphic] {
        var result: [Graphic] = []
        for field in zpl.components(separatedBy: "^FO").dropFirst() where field.contains("^GFA,") {
            let head = field.components(separatedBy: "^GFA,")
            let origin = head[0].split(separator: ",").compactMap { Int($0) }
            let parts = head[1].components(separatedBy: "^FS")[0].split(separator: ",", maxSplits: 3, omittingEmptySubsequences: false)
            guard origin.count == 2, parts.count == 4, let total = Int(parts[0]), Int(parts[1]) == total, let perRow = Int(parts[2]), perRow > 0 else {
                throw Malformed(description: "not ^FOx,y^GFA,b,c,d,data: \(field.prefix(60))")
            }
            var rows: [String] = [], row = "", letters = ""
            for c in String(parts[3]) {
                switch c {
                case "G"..."Y", "g"..."z": letters.append(c)
                case ",", "!":
                    row += String(repeating: c == "," ? "0" : "F", count: perRow * 2 - row.count)
                case ":":
                    guard let last = rows.last else { throw Malformed(description: ": with no row before it") }
                    rows.append(last)
                case _ where c.isHexDigit:
                    row += String(repeating: c, count: letters.isEmpty ? 1 : count(letters))
                    letters = ""
                default: throw Malformed(description: "unexpected \(c)")
                }
                if row.count > perRow * 2 { throw Malformed(description: "row longer than \(perRow) bytes") }
                if row.count == perRow * 2 { rows.append(row); row = "" }
            }
            guard row.isEmpty, rows.count * perRow == total else { throw Malformed(description: "\(rows.count) rows of \(perRow) bytes for \(total)") }
            var ink: [(Int, Int)] = []
            for (y, hex) in rows.enumerated() {
                for (i, digit) in hex.enumerated() {
                    let nibble = Int(String(digit), radix: 16)!
                    for bit in 0..<4 where nibble & (8 >> bit) != 0 { ink.append((i * 4 + bit, y)) }
                }
            }
            result.append(Graphic(x: origin[0], y: origin[1], width: perRow * 8, height: rows.count, ink: ink))
        }
        return result
    }
}
