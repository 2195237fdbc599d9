import Carriers
import Foundation
@testable import Labels
import ReturnsCore
import Testing

let catalog = try! CarrierCatalog.load(directory: Repository.carriersDirectory)
let signer = try! ReturnPayloadSigner(keys: [.init(id: "K1", secret: Array(repeating: 7, count: 32))])

func sampleContent(_ carrier: CarrierService, items: Int = 2) -> LabelContent {
    let received = Date(timeIntervalSince1970: 1_795_000_000)
    let serial = carrier.serialRange.lowerBound + 4321
    let tracking = carrier.scheme.trackingNumber(serial: serial, date: received)
    let parcelID = "P0123456789AB"
    let buyer = Buyer(
        id: "B-77", name: carrier.country == "RU" ? "Иван Петров" : "Amélie Ñúñez-Løvgren",
        address: PostalAddress(
            lines: carrier.country == "RU" ? ["ул. Ленина 12, кв. 4"] : ["12 rue de l'Église", "Bâtiment C"],
            city: carrier.country == "RU" ? "Москва" : "Saint-Étienne", postalCode: "42000", country: carrier.country))
    let parcelItems = (0..<items).map { i in
        ParcelItem(disputeID: "D-1", orderID: "O-1", sku: "SKU-\(i)", title: "Item number \(i) — câble USB-C 2 m",
                   quantity: 1 + i % 2, unitPrice: Money(amount: "4.99", currency: "EUR"))
    }
    let parcel = Parcel(
        id: parcelID, trackingNumber: tracking, carrierID: carrier.id, country: carrier.country, status: .labelIssued,
        returnCode: "7KQM2XPDA", buyer: buyer, seller: Seller(id: "S-1", name: "Shenzhen Gadget Store"),
        warehouseID: carrier.warehouse.id, items: parcelItems, history: [],
        dropOffBy: received.addingTimeInterval(15 * 86_400), fasterRefundBy: received.addingTimeInterval(5 * 86_400),
        createdAt: received, labelVersion: 1)
    let payload = signer.sign(parcelID: parcelID, trackingNumber: tracking, country: carrier.country)
    return LabelContent(parcel: parcel, carrier: carrier, qrPayload: payload)
}

@Suite("Label rendering, decoded by real tools")
struct LabelRenderingTests {
    @Test("every carrier's PNG decodes to its QR payload and Code 128 tracking number", arguments: catalog.services.map(\.id))
    func pngDecodes(id: String) throws {
        let carrier = catalog.byID[id]!
        let content = sampleContent(carrier)
        let png = try LabelRenderer.renderUncached(content, format: .png)
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("label.png")
        try Data(png.bytes).write(to: file)
        let symbols = try ExternalTool.decode(image: file.path)
        #expect(symbols.contains { $0.type == "QR-Code" && $0.data == content.qrPayload })
        #expect(symbols.contains { $0.type == "CODE-128" && $0.data == content.parcel.trackingNumber }, "\(symbols)")
    }

    @Test("PNG is 1-bit at the carrier's dpi: 812x1218 for 4x6 in at 203 dpi")
    func pngSize() throws {
        let carrier = try #require(catalog.services.first { $0.label.size == .fourBySixInches })
        let png = try LabelRenderer.renderUncached(sampleContent(carrier), format: .png).bytes
        // IHDR: width and height big-endian at bytes 16..23, then bit depth and colour type.
        let be = { (o: Int) in png[o..<o + 4].reduce(0) { $0 << 8 | Int($1) } }
        #expect(Array(png[1...3]) == Array("PNG".utf8))
        #expect(be(16) == 812)
        #expect(be(20) == 1218)
        #expect(png[24] == 1) // bit depth
        #expect(png[25] == 0) // greyscale
    }

    @Test("every carrier's PDF passes qpdf --check and decodes after pdftoppm", arguments: catalog.services.map(\.id))
    func pdfDecodes(id: String) throws {
        let carrier = catalog.byID[id]!
        let content = sampleContent(carrier)
        let pdf = try LabelRenderer.renderUncached(content, format: .pdf)
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("label.pdf")
        try Data(pdf.bytes).write(to: file)
        let check = try ExternalTool.run("qpdf", ["--check", file.path])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let render = try ExternalTool.run("pdftoppm", ["-r", "300", "-gray", "-png", "-singlefile", file.path, dir.appendingPathComponent("page").path])
        #expect(render.status == 0, "\(render.stderr)")
        let symbols = try ExternalTool.decode(image: dir.appendingPathComponent("page.png").path)
        #expect(symbols.contains { $0.type == "QR-Code" && $0.data == content.qrPayload })
        #expect(symbols.contains { $0.type == "CODE-128" && $0.data == content.parcel.trackingNumber }, "\(symbols)")
        let text = try ExternalTool.run("pdftotext", [file.path, "-"]).stdout
        if !content.isBarcodeCard { #expect(text.contains(content.parcel.buyer.address.city)) }
        // The deadline as the clock of the buyer's postal code reads it, and the clock named.
        let zone = carrier.label.clock(forPostalCode: content.parcel.buyer.address.postalCode).zone
        let clock = DateFormatter()
        clock.locale = Locale(identifier: "en_US_POSIX")
        clock.timeZone = zone
        clock.dateFormat = "yyyy-MM-dd HH:mm"
        #expect(text.contains("Drop off by \(clock.string(from: content.parcel.dropOffBy))"), "\(id): \(text)")
        let city = try #require(zone.identifier.split(separator: "/").last).replacingOccurrences(of: "_", with: " ")
        #expect(text.contains("Times are \(city) time"), "\(id): \(text)")
    }

    /// The label printed the deadline's day in UTC, as if the buyer had all of it: a Mexican
    /// buyer read "2026-12-10" for a label void at 19:00 on the 9th, and the kiosk refused it.
    @Test("a label gives its deadlines' time on the clock of the buyer's postal code, and names it; a code the carrier file does not list gets its time_zone; without one, UTC")
    func deadlinesOnTheLabelClock() throws {
        var content = sampleContent(try #require(catalog.byID["mx_correos"]))
        content.parcel.dropOffBy = try Date("2026-12-10T03:00:00Z", strategy: .iso8601)
        content.parcel.fasterRefundBy = try Date("2026-11-30T03:00:00Z", strategy: .iso8601)
        func texts(_ c: LabelContent) throws -> [String] {
            try LabelLayout.make(c).elements.compactMap { if case .text(let s, _, _, _, _, _) = $0 { s } else { nil } }
        }
        content.parcel.buyer.address.postalCode = "22000"
        let tijuana = try texts(content)
        #expect(tijuana.contains("Drop off by 2026-12-09 19:00"), "\(tijuana)")
        #expect(tijuana.contains("Faster refund if dropped off by 2026-11-29 19:00"), "\(tijuana)")
        #expect(tijuana.contains("Times are Tijuana time"), "\(tijuana)")
        content.parcel.buyer.address.postalCode = "06000"
        let mexicoCity = try texts(content)
        #expect(mexicoCity.contains("Drop off by 2026-12-09 21:00") && mexicoCity.contains("Times are Mexico City time"), "\(mexicoCity)")
        content.parcel.buyer.address.postalCode = "not a code"
        #expect(try texts(content).contains("Times are Tijuana time"))
        // An overseas department goes back by Colissimo like the rest of France, five hours behind Paris.
        var guadeloupe = sampleContent(try #require(catalog.byID["fr_colissimo"]))
        guadeloupe.parcel.dropOffBy = content.parcel.dropOffBy
        guadeloupe.parcel.buyer.address.postalCode = "97110"
        let pointeAPitre = try texts(guadeloupe)
        #expect(pointeAPitre.contains("Drop off by 2026-12-09 23:00") && pointeAPitre.contains("Times are Guadeloupe time"), "\(pointeAPitre)")
        content.carrier.label.timeZone = .gmt
        content.carrier.label.zonesByPostalCode = [:]
        let utc = try texts(content)
        #expect(utc.contains("Drop off by 2026-12-10 03:00") && utc.contains("Times are UTC"), "\(utc)")
        // Summer time: Kyiv in July is UTC+3.
        var ukraine = sampleContent(try #require(catalog.byID["ua_ukrposhta"]))
        ukraine.parcel.dropOffBy = try Date("2026-07-01T22:30:00Z", strategy: .iso8601)
        #expect(try texts(ukraine).contains("Drop off by 2026-07-02 01:30"))
    }

    @Test("a PDF fills each bar and each run of dark QR modules as one rectangle (`re`), never as polygons", arguments: ["fr_colissimo", "ru_russianpost"])
    func pdfDrawsRuns(id: String) throws {
        let carrier = try #require(catalog.byID[id])
        let content = sampleContent(carrier)
        let layout = try LabelLayout.make(content)
        // What the drawing must come to: the white page, each rule, each bar, each QR run.
        var rectangles = 1, darkModules = 0
        for element in layout.elements {
            switch element {
            case .rect: rectangles += 1
            case .barcode(let bars, _, _, _, _): rectangles += (bars.runs.count + 1) / 2
            case .qr(let matrix, _, _, _, _):
                darkModules += matrix.modules.filter { $0 }.count
                for row in 0..<matrix.size {
                    for col in 0..<matrix.size where matrix.isDark(x: col, y: row) && (col == 0 || !matrix.isDark(x: col - 1, y: row)) {
                        rectangles += 1
                    }
                }
            default: break
            }
        }
        let pdf = try LabelRenderer.renderUncached(content, format: .pdf)
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("label.pdf"), plain = dir.appendingPathComponent("plain.pdf")
        try Data(pdf.bytes).write(to: file)
        // qpdf's QDF form: the same PDF with its content streams uncompressed.
        let qdf = try ExternalTool.run("qpdf", ["--qdf", "--object-streams=disable", file.path, plain.path])
        #expect(qdf.status == 0, "\(qdf.stderr)")
        let lines = String(decoding: try Data(contentsOf: plain), as: UTF8.self).split(separator: "\n")
        let filled = lines.filter { $0.hasSuffix(" re f") }.count
        let polygonPoints = lines.filter { $0.hasSuffix(" m") || $0.hasSuffix(" l") || $0.hasSuffix(" l h") }.count
        #expect(darkModules > 0)
        #expect(filled == rectangles, "\(filled) filled rectangles in the PDF, \(rectangles) in the layout's runs")
        #expect(polygonPoints == 0)
    }

    @Test("every carrier's ZPL is one ^XA…^XZ block with ^CI28, the tracking number in ^BC and the payload in ^BQN", arguments: catalog.services.map(\.id))
    func zplCarriesCodes(id: String) throws {
        let carrier = catalog.byID[id]!
        let content = sampleContent(carrier)
        let zpl = String(decoding: try LabelRenderer.renderUncached(content, format: .zpl).bytes, as: UTF8.self)
        let trimmed = zpl.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(trimmed.hasPrefix("^XA"))
        #expect(trimmed.hasSuffix("^XZ"))
        #expect(trimmed.components(separatedBy: "^XA").count == 2)
        #expect(trimmed.components(separatedBy: "^XZ").count == 2)
        #expect(zpl.contains("^CI28"))
        let bc = try #require(zpl.split(separator: "\n").first { $0.contains("^BC") })
        #expect(bc.contains(content.parcel.trackingNumber))
        let bq = try #require(zpl.split(separator: "\n").first { $0.contains("^BQN") })
        #expect(bq.contains("^FDMA,\(content.qrPayload)^FS"))
    }

    @Test("the ZPL layout keeps room for the largest QR code a printer may draw, and sizes the page in dots", arguments: catalog.services.map(\.id))
    func zplKeepsRoomForPrinterQR(id: String) throws {
        let carrier = catalog.byID[id]!
        let content = sampleContent(carrier)
        let printer = try LabelLayout.make(content, qr: .byPrinter)
        let encoded = try LabelLayout.make(content)
        var qr: (x: Double, module: Double)?
        for case .printerQR(_, let x, _, let module) in printer.elements { qr = (x, module) }
        let (qrX, module) = try #require(qr)
        let side = try #require(QRCodeMatrix.maximumSide(byteCount: content.qrPayload.utf8.count))
        #expect(side >= (try QRCodeMatrix(text: content.qrPayload)).size)
        // Everything right of the QR code starts past the largest symbol and its quiet zone.
        let column = printer.elements.compactMap { e -> Double? in
            if case .text("RETURN CODE", let x, _, _, _, _) = e { x } else { nil }
        }
        #expect(column.count == 1 && column[0] >= qrX + Double(side + 4) * module - 0.001)
        #expect(!encoded.elements.contains { if case .printerQR = $0 { true } else { false } })
        let zpl = String(decoding: try LabelRenderer.renderUncached(content, format: .zpl).bytes, as: UTF8.self)
        let dots = { (pt: Double) in Int((pt / printer.dot).rounded()) }
        #expect(zpl.contains("^PW\(dots(printer.width))\n^LL\(dots(printer.height))\n"))
    }

    @Test("the largest-symbol table matches libqrencode at every version boundary in byte mode")
    func maximumSideMatchesEncoder() throws {
        // Lower-case letters force byte mode, the least dense, which is what the table describes.
        var previous = 0
        for version in 1...40 {
            let capacity = try #require((1...3000).first { QRCodeMatrix.maximumSide(byteCount: $0) == 17 + 4 * version })
            #expect(capacity == previous + 1)
            let last = try #require((capacity...3000).last { QRCodeMatrix.maximumSide(byteCount: $0) == 17 + 4 * version })
            #expect(try QRCodeMatrix(text: String(repeating: "a", count: last)).size == 17 + 4 * version, "version \(version)")
            if version < 40 {
                #expect(try QRCodeMatrix(text: String(repeating: "a", count: last + 1)).size == 17 + 4 * (version + 1), "past version \(version)")
            }
            previous = last
        }
        #expect(QRCodeMatrix.maximumSide(byteCount: 2332) == nil)
    }

    @Test("the ZPL writer prints what a plain string template prints, for every carrier and hostile text in the printer's font", arguments: catalog.services.map(\.id))
    func zplMatchesTemplate(id: String) throws {
        var content = sampleContent(catalog.services.first { $0.id == id }!, items: 4)
        content.parcel.buyer.name = "^XA~JA__\n\r\tend^"
        content.parcel.buyer.address.lines = ["", "~", "Œuvre ^ Pétrov — €", String(repeating: "^", count: 300)]
        content.parcel.seller.name = "Sellér_\u{FE}"
        let layout = try LabelLayout.make(content, qr: .byPrinter)
        let zpl = String(decoding: try LabelRenderer.renderUncached(content, format: .zpl).bytes, as: UTF8.self)
        #expect(zpl == Self.zplTemplate(layout))
    }

    /// The same ZPL as bench/label_python.py's template, written the obvious way.
    static func zplTemplate(_ layout: LabelLayout) -> String {
        func d(_ pt: Double) -> Int { Int((pt / layout.dot).rounded()) }
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "_", with: "_5F").replacingOccurrences(of: "^", with: "_5E")
                .replacingOccurrences(of: "~", with: "_7E").replacingOccurrences(of: "\n", with: " ")
                .replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\t", with: " ")
        }
        // A field block's text: its backslashes doubled too (^FB reads `\&` as a line break).
        func blockEsc(_ s: String) -> String { esc(s).replacingOccurrences(of: "\\", with: "\\\\") }
        var z = "^XA\n^CI28\n^PW\(d(layout.width))\n^LL\(d(layout.height))\n^LH0,0\n"
        for e in layout.elements {
            switch e {
            case .text(let s, let x, let y, let size, let weight, let maxWidth) where !ZPLGraphicText.printerFontPrints(s):
                // A picture of the line (its own tests: ZPLGraphicTextTests), as the C floor has none.
                let box = ZPLGraphicText.box(x: x, y: y, size: size, maxWidth: maxWidth, dpi: layout.dpi, labelDots: (d(layout.width), d(layout.height)))
                let bitmap = try! CairoCanvas.textBitmap(s, x: x, y: y, size: size, bold: weight == .bold, maxWidth: maxWidth, dpi: layout.dpi, box: box)
                z += "^FO\(box.x),\(box.y)" + String(decoding: ZPLGraphicText.field(bitmap), as: UTF8.self)
            case .text(let s, let x, let y, let size, let weight, let maxWidth):
                let h = d(size), w = weight == .bold ? Int(Double(d(size)) * 1.1) : d(size)
                z += "^FO\(d(x)),\(d(y))^A0N,\(h),\(w)^FB\(d(maxWidth)),1,0,L,0^FH_^FD\(blockEsc(s))^FS\n"
            case .rect(let x, let y, let w, let h):
                z += "^FO\(d(x)),\(d(y))^GB\(max(1, d(w))),\(max(1, d(h))),\(max(1, min(d(w), d(h))))^FS\n"
            case .barcode(let bars, let x, let y, let module, let height):
                let data = bars.symbology == .gs1_128 ? ">;>8" + bars.text : esc(bars.text)
                z += "^FO\(d(x)),\(d(y))^BY\(max(1, d(module)))^BCN,\(d(height)),N,N,N^FH_^FD\(data)^FS\n"
            case .qr(_, let data, let x, let y, let module), .printerQR(let data, let x, let y, let module):
                z += "^FO\(d(x)),\(d(y))^BQN,2,\(max(1, min(10, d(module))))^FH_^FDMA,\(esc(data))^FS\n"
            }
        }
        return z + "^XZ\n"
    }

    @Test("ZPL escapes ^ and ~ in buyer data so they cannot become printer commands, and doubles a backslash, which a field block reads as one")
    func zplEscapesCommands() throws {
        var content = sampleContent(catalog.services[0])
        content.parcel.buyer.name = "Evil^XZ~JA_name\\&x"
        let zpl = String(decoding: try LabelRenderer.renderUncached(content, format: .zpl).bytes, as: UTF8.self)
        // In a field block `\&` is a line break: the backslash is doubled, which prints one.
        #expect(zpl.contains("Evil_5EXZ_7EJA_5Fname\\\\&x"))
        #expect(zpl.components(separatedBy: "^XZ").count == 2)
    }

    @Test("a buyer's text holding Unicode noncharacters renders in every format, each drawn as U+FFFD (cairo refused the whole label)", arguments: LabelFormat.allCases)
    func noncharactersRender(format: LabelFormat) throws {
        var content = sampleContent(catalog.byID["fr_colissimo"]!)
        content.parcel.buyer.name = "Ana\u{FFFF} Lima"
        // Swift's literals take U+FFFF but not U+FDD0, U+FFFE or U+10FFFE.
        content.parcel.buyer.address.city = "Lyon" + String(Unicode.Scalar(0xFDD0)!) + String(Unicode.Scalar(0x10FFFE)!)
        content.parcel.items[0].title = String(Unicode.Scalar(0xFFFE)!) + "Lampe"
        let label = try LabelRenderer.renderUncached(content, format: format)
        #expect(!label.bytes.isEmpty)
        guard format == .pdf else { return }
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("label.pdf")
        try Data(label.bytes).write(to: file)
        let text = try ExternalTool.run("pdftotext", [file.path, "-"]).stdout
        for words in ["Ana\u{FFFD} Lima", "Lyon\u{FFFD}\u{FFFD}", "\u{FFFD}Lampe"] { #expect(text.contains(words), "\(words.debugDescription) not in \(text)") }
    }

    @Test("a label writes each address's town line as the post of its country does: the code after the town in the US, Canada and Australia, on a line of its own in the UK, before the town elsewhere", arguments: catalog.services.map(\.id))
    func townLinesByCountry(id: String) throws {
        let content = sampleContent(catalog.byID[id]!)
        let texts = try LabelLayout.make(content).elements.compactMap { if case .text(let s, _, _, _, _, _) = $0 { s } else { nil } }
        let warehouse = content.carrier.warehouse.address
        // Russia's barcode card is shown at the counter and carries no address.
        guard !content.isBarcodeCard else {
            #expect(!texts.contains { $0.contains(warehouse.postalCode) }, "\(texts)")
            return
        }
        let expected: [String] = switch warehouse.country {
        case "US", "CA", "AU": ["\(warehouse.city) \(warehouse.postalCode)"]
        case "GB": [warehouse.city, warehouse.postalCode]
        default: ["\(warehouse.postalCode) \(warehouse.city)"]
        }
        // Right under the street lines, in that order.
        let warehouseStreet = try #require(warehouse.lines.last)
        let street = try #require(texts.lastIndex(of: warehouseStreet))
        #expect(Array(texts[(street + 1)...].prefix(expected.count)) == expected, "\(id): \(texts)")
        let buyer = content.parcel.buyer.address
        let buyerStreet = try #require(buyer.lines.last)
        let buyerStreetAt = try #require(texts.lastIndex(of: buyerStreet))
        #expect(Array(texts[(buyerStreetAt + 1)...].prefix(buyer.townLines.count)) == buyer.townLines, "\(id): \(texts)")
    }

    @Test("a US label's PDF reads the warehouse's town, state and ZIP code in the order USPS reads them")
    func usTownLineInThePDF() throws {
        let content = sampleContent(try #require(catalog.byID["us_usps"]))
        let label = try LabelRenderer.renderUncached(content, format: .pdf)
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("label.pdf")
        try Data(label.bytes).write(to: file)
        let text = try ExternalTool.run("pdftotext", [file.path, "-"]).stdout
        #expect(text.contains("Ontario, CA 91761"), "\(text)")
        #expect(text.contains("Saint-Étienne 42000"), "\(text)")
        #expect(!text.contains("91761 Ontario"), "\(text)")
    }

    /// cairo's font selection takes one face per string: Chinese and emoji were drawn as DejaVu
    /// Sans's empty boxes, which look alike whatever the characters, so two strings of the same
    /// characters in another order drew the same pixels. Each now takes the first face with its
    /// glyphs: Chinese WenQuanYi Micro Hei's, emoji Symbola's.
    @Test("Chinese and emoji in a seller's name and an item's title are drawn with their glyphs: two orders of the same characters draw different pixels, and the PDF embeds the face that has them", arguments: [
        (["深圳数据线", "线据数圳深"], "深圳小米专卖店", "WenQuanYiMicroHei"),
        (["Gadgets \u{1F4E6}\u{1F680}", "Gadgets \u{1F680}\u{1F4E6}"], "Gadgets \u{1F4E6} Store", "Symbola"),
    ])
    func otherScriptsHaveGlyphs(titles: [String], seller: String, face: String) throws {
        func png(_ title: String) throws -> [UInt8] {
            var content = sampleContent(try #require(catalog.byID["gb_royalmail"]))
            content.parcel.items[0].title = title
            return try LabelRenderer.renderUncached(content, format: .png).bytes
        }
        #expect(try png(titles[0]) != png(titles[1]))
        var content = sampleContent(try #require(catalog.byID["gb_royalmail"]))
        content.parcel.seller.name = seller
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("label.pdf")
        try Data(try LabelRenderer.renderUncached(content, format: .pdf).bytes).write(to: file)
        let fonts = try ExternalTool.run("pdffonts", [file.path]).stdout
        #expect(fonts.contains(face), "\(fonts)")
        #expect(try ExternalTool.run("pdftotext", [file.path, "-"]).stdout.contains(seller))
        // A label with no such characters uses the one face, as before.
        let latin = dir.appendingPathComponent("latin.pdf")
        try Data(try LabelRenderer.renderUncached(sampleContent(try #require(catalog.byID["gb_royalmail"])), format: .pdf).bytes).write(to: latin)
        #expect(!(try ExternalTool.run("pdffonts", [latin.path]).stdout.contains(face)))
    }

    @Test("Hebrew reads right to left on the PDF label: pdftotext gives back the buyer's words as written")
    func hebrewRightToLeft() throws {
        var content = sampleContent(catalog.byID["il_israelpost"]!)
        content.parcel.buyer.name = "ישראל כהן"
        content.parcel.buyer.address = PostalAddress(lines: ["רחוב הרצל 12"], city: "תל אביב", postalCode: "6100000", country: "IL")
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("label.pdf")
        try Data(try LabelRenderer.renderUncached(content, format: .pdf).bytes).write(to: file)
        // pdftotext orders right-to-left glyphs back into reading order; text drawn left to right
        // in memory order (the old bug) comes out reversed.
        let text = try ExternalTool.run("pdftotext", [file.path, "-"]).stdout
        for words in ["ישראל כהן", "תל אביב", "רחוב הרצל"] {
            #expect(text.contains(words), "\(words) not in \(text)")
        }
        // Latin text is unchanged.
        #expect(text.contains("FREE RETURN"))
    }

    @Test("every carrier's SVG is well-formed XML of the label's size", arguments: catalog.services.map(\.id))
    func svgIsWellFormed(id: String) throws {
        let carrier = catalog.byID[id]!
        let svg = try LabelRenderer.renderUncached(sampleContent(carrier), format: .svg).bytes
        let text = String(decoding: svg, as: UTF8.self)
        #expect(text.contains("<svg"))
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("label.svg")
        try Data(svg).write(to: file)
        let lint = try ExternalTool.run("xmllint", ["--noout", file.path])
        #expect(lint.status == 0, "\(lint.stderr)")
        let svgTag = try #require(text.range(of: "<svg[^>]*>", options: .regularExpression).map { String(text[$0]) })
        let width = try #require(svgTag.range(of: "width=\"[0-9.]+", options: .regularExpression).map { Double(svgTag[$0].dropFirst(7))! })
        #expect(abs(width - carrier.label.widthPoints) < 0.01, "\(svgTag)")
    }

    @Test("a PDF label's creation date is its label version's issue time, as pdfinfo reads it, not the second it was drawn: the parcel's creation, then the join that made version 2")
    func pdfCreationDateIsTheLabelVersions() throws {
        var content = sampleContent(catalog.byID["fr_colissimo"]!)
        func creationDate() throws -> String? {
            let pdf = try LabelRenderer.renderUncached(content, format: .pdf).bytes
            let dir = try ExternalTool.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let file = dir.appendingPathComponent("label.pdf")
            try Data(pdf).write(to: file)
            let info = try ExternalTool.run("pdfinfo", ["-isodates", file.path])
            #expect(info.status == 0, "\(info.stderr)")
            let line = info.stdout.split(separator: "\n").first { $0.hasPrefix("CreationDate:") }
            return line?.dropFirst("CreationDate:".count).trimmingCharacters(in: .whitespaces)
        }
        // 1_795_000_000 s, the sample parcel's createdAt (its version 1's issue).
        #expect(try creationDate() == "2026-11-18T11:06:40Z")
        content.parcel.labelVersion = 2
        content.parcel.labelIssuedAt = content.parcel.createdAt.addingTimeInterval(3 * 86_400 + 3_723)
        #expect(try creationDate() == "2026-11-21T12:08:43Z")
    }

    @Test("an SVG label is the same bytes however many surfaces the process made before it")
    func svgBytesDoNotCountSurfaces() throws {
        let content = sampleContent(catalog.byID["fr_colissimo"]!)
        let first = try LabelRenderer.renderUncached(content, format: .svg).bytes
        _ = try LabelRenderer.renderUncached(content, format: .png)
        _ = try LabelRenderer.renderUncached(content, format: .pdf)
        let again = try LabelRenderer.renderUncached(content, format: .svg).bytes
        // Compared as a Bool: a failing `==` on two 200 KB arrays would print both.
        let same = first == again
        #expect(same, "\(first.count) and \(again.count) bytes")
        #expect(String(decoding: again, as: UTF8.self).contains(#"<g id="surface1">"#))
    }

    @Test("the label lists every item of a grouped parcel, addresses in UTF-8")
    func labelShowsEveryItem() throws {
        let carrier = try #require(catalog.byID["fr_colissimo"])
        let content = sampleContent(carrier, items: 7)
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("label.pdf")
        try Data(try LabelRenderer.renderUncached(content, format: .pdf).bytes).write(to: file)
        let text = try ExternalTool.run("pdftotext", ["-raw", file.path, "-"]).stdout
        for item in content.parcel.items { #expect(text.contains(item.sku), "\(item.sku) missing") }
        #expect(text.contains("Amélie Ñúñez-Løvgren"))
        #expect(text.contains("10 items"))
        #expect(text.contains("7KQM-2XPD-A"))
        #expect(text.contains(carrier.warehouse.name))
    }

    @Test("the RU barcode card has codes and return code but no address block")
    func russianCardHasNoAddress() throws {
        let carrier = try #require(catalog.services.first { $0.country == "RU" })
        let content = sampleContent(carrier)
        #expect(content.isBarcodeCard)
        let dir = try ExternalTool.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("card.pdf")
        try Data(try LabelRenderer.renderUncached(content, format: .pdf).bytes).write(to: file)
        let text = try ExternalTool.run("pdftotext", ["-raw", file.path, "-"]).stdout
        #expect(text.contains("Покажите этот штрихкод"))
        #expect(text.contains(content.parcel.trackingNumber))
        #expect(!text.contains("ул. Ленина"))
        #expect(!text.contains(carrier.warehouse.address.lines[0]))
    }

    @Test("the label cache holds at most its limit in memory, counting each label's buffer, not only its bytes")
    func cacheBoundedByMemory() throws {
        let limit = 256 << 10
        let renderer = LabelRenderer(cacheLimitBytes: limit)
        var content = sampleContent(catalog.services[0])
        var sizes: [Int] = []
        for i in 0..<60 {
            content.parcel.id = "P\(i)"
            let label = try renderer.render(content, format: .png)
            sizes.append(label.bytes.count)
            #expect(renderer.cachedBytes <= limit, "\(renderer.cachedBytes) bytes held after \(i + 1) labels")
        }
        // Full: as many labels as fit, each about its PNG's size.
        #expect(renderer.cachedBytes > limit - 2 * sizes.max()!, "\(renderer.cachedBytes)")
    }

    @Test("a full label cache forgets the oldest labels first and keeps the newest")
    func cacheEvictsOldestFirst() throws {
        let limit = 64 << 10
        let renderer = LabelRenderer(cacheLimitBytes: limit)
        var content = sampleContent(catalog.services[0])
        var made = 0
        // ZPL labels of about 1.5 KB: fill the cache several times over.
        while made < 200 {
            content.parcel.id = "P\(made)"
            _ = try renderer.render(content, format: .zpl)
            made += 1
        }
        // A changed item under the same version shows whether the cache still holds the label:
        // a held label comes back as it was, a forgotten one is drawn again with the change.
        content.parcel.items[0].sku = "CHANGED-SKU"
        func held(_ id: String) throws -> Bool {
            content.parcel.id = id
            return !String(decoding: try renderer.render(content, format: .zpl).bytes, as: UTF8.self).contains("CHANGED-SKU")
        }
        #expect(try held("P199"), "the newest label was forgotten")
        #expect(try held("P190"))
        #expect(try !held("P0"), "the oldest label is still held")
        #expect(try !held("P10"))
    }

    @Test("cached renders are reused per parcel version and redone when the version grows")
    func cacheFollowsVersion() throws {
        let renderer = LabelRenderer()
        var content = sampleContent(catalog.services[0])
        let first = try renderer.render(content, format: .zpl)
        content.parcel.items.append(ParcelItem(disputeID: "D-2", orderID: "O-2", sku: "NEW-SKU", title: "New", quantity: 1, unitPrice: Money(amount: "1", currency: "EUR")))
        let stale = try renderer.render(content, format: .zpl)
        #expect(stale.bytes == first.bytes) // same version: the cache answers
        content.parcel.labelVersion += 1
        let fresh = String(decoding: try renderer.render(content, format: .zpl).bytes, as: UTF8.self)
        #expect(fresh.contains("NEW-SKU"))
    }
}
