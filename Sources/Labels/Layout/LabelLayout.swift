import Carriers
import Foundation
import ReturnsCore

/// One description of a label, in PostScript points from the top-left corner, that every
/// renderer draws: cairo for PDF/PNG/SVG, and ZPL, where the printer draws the codes itself.
public struct LabelLayout: Sendable {
    public enum Weight: Sendable { case regular, bold }

    public enum Element: Sendable {
        /// One line of text; `y` is the top of the line. The renderer shrinks, then cuts, text
        /// wider than `maxWidth` so nothing spills over the label's edge.
        case text(String, x: Double, y: Double, size: Double, weight: Weight, maxWidth: Double)
        /// A filled rectangle (rules and bars of boxes).
        case rect(x: Double, y: Double, width: Double, height: Double)
        case barcode(LinearBarcode, x: Double, y: Double, moduleWidth: Double, height: Double)
        case qr(QRCodeMatrix, data: String, x: Double, y: Double, moduleSize: Double)
        /// A QR code the printer draws itself (ZPL): not encoded here; the layout keeps room for
        /// the largest symbol the data can need.
        case printerQR(data: String, x: Double, y: Double, moduleSize: Double)
    }

    /// Who draws the QR code: returnd (PDF, PNG, SVG) or the printer (ZPL).
    public enum QRDrawing: Sendable { case encoded, byPrinter }

    public var width: Double
    public var height: Double
    public var dpi: Int
    public var elements: [Element]

    /// Points per printer dot: codes are placed on whole dots so that every bar and module is
    /// the same number of dots wide on a thermal printer and in the PNG.
    public var dot: Double { 72 / Double(dpi) }

    public enum Error: Swift.Error { case barcode(String) }

    public static func make(_ content: LabelContent, qr: QRDrawing = .encoded) throws -> LabelLayout {
        var b = Builder(spec: content.carrier.label, qr: qr)
        if content.isBarcodeCard { try b.barcodeCard(content) } else { try b.shippingLabel(content) }
        return b.layout
    }
}

/// Places the elements of a label top to bottom.
struct Builder {
    var layout: LabelLayout
    let margin = 12.0
    var y = 12.0
    let qrDrawing: LabelLayout.QRDrawing

    init(spec: CarrierService.LabelSpec, qr: LabelLayout.QRDrawing) {
        layout = LabelLayout(width: spec.widthPoints, height: spec.heightPoints, dpi: spec.dpi, elements: [])
        layout.elements.reserveCapacity(48)
        qrDrawing = qr
    }

    var innerWidth: Double { layout.width - 2 * margin }

    func snap(_ v: Double) -> Double { (v / layout.dot).rounded() * layout.dot }

    mutating func text(_ s: String, size: Double, weight: LabelLayout.Weight = .regular, x: Double? = nil, maxWidth: Double? = nil, advance: Bool = true) {
        let left = x ?? margin
        layout.elements.append(.text(s, x: left, y: y, size: size, weight: weight, maxWidth: maxWidth ?? (layout.width - margin - left)))
        if advance { y += size * 1.25 }
    }

    mutating func rule(thickness: Double = 1.5) {
        y += 3
        layout.elements.append(.rect(x: margin, y: y, width: innerWidth, height: thickness))
        y += thickness + 5
    }

    mutating func header(_ c: LabelContent, title: String) {
        text(title, size: 15, weight: .bold, advance: false)
        text(c.parcel.country, size: 15, weight: .bold, x: layout.width - margin - 24, maxWidth: 24)
        text("\(c.carrier.carrierName) · \(c.carrier.serviceName)", size: 9)
    }

    mutating func address(_ heading: String, name: String, _ a: PostalAddress, nameSize: Double, lineSize: Double) {
        text(heading, size: 6.5, weight: .bold)
        text(name, size: nameSize, weight: .bold)
        for line in a.lines { text(line, size: lineSize) }
        for line in a.townLines { text(line, size: lineSize) }
        text(a.country, size: lineSize)
    }

    /// The tracking barcode, as wide as fits with quiet zones, and its human-readable line.
    mutating func trackingBarcode(_ c: LabelContent, height: Double) throws {
        let symbology: LinearBarcode.Symbology = c.carrier.scheme.usesGS1_128 ? .gs1_128 : .code128
        let bars: LinearBarcode
        do { bars = try LinearBarcode(text: c.parcel.trackingNumber, symbology: symbology) } catch {
            throw LabelLayout.Error.barcode("\(error)")
        }
        let quiet = 10 // modules each side
        let availableDots = Int(innerWidth / layout.dot)
        // At most about 0.4 mm per module: wider bars only waste label space.
        let maxDots = max(1, Int((0.4 / 25.4 * Double(layout.dpi)).rounded()))
        let dots = min(maxDots, max(1, availableDots / (bars.totalModules + 2 * quiet)))
        let moduleWidth = Double(dots) * layout.dot
        let x = snap((layout.width - Double(bars.totalModules) * moduleWidth) / 2)
        layout.elements.append(.barcode(bars, x: x, y: snap(y), moduleWidth: moduleWidth, height: height))
        y += height + 3
        text(c.parcel.trackingNumber, size: 11, weight: .bold, x: x, maxWidth: layout.width - margin - x)
    }

    /// The QR code at the left and the return code, deadlines and parcel facts beside it.
    mutating func codeBlock(_ c: LabelContent) throws {
        // About 0.6 mm per module, with the 4-module quiet zone the standard asks for.
        let moduleDots = max(2, Int((0.6 / 25.4 * Double(layout.dpi)).rounded()))
        let module = Double(moduleDots) * layout.dot
        // The label margin is the left quiet zone; 4 modules of white are kept on the right.
        let qrX = snap(margin), qrY = snap(y + 2 * module)
        let qrSide: Double
        switch qrDrawing {
        case .encoded:
            let matrix: QRCodeMatrix
            do { matrix = try QRCodeMatrix(text: c.qrPayload) } catch { throw LabelLayout.Error.barcode("\(error)") }
            qrSide = Double(matrix.size) * module
            layout.elements.append(.qr(matrix, data: c.qrPayload, x: qrX, y: qrY, moduleSize: module))
        case .byPrinter:
            guard let side = QRCodeMatrix.maximumSide(byteCount: c.qrPayload.utf8.count) else {
                throw LabelLayout.Error.barcode("QR payload of \(c.qrPayload.utf8.count) bytes is too long")
            }
            qrSide = Double(side) * module
            layout.elements.append(.printerQR(data: c.qrPayload, x: qrX, y: qrY, moduleSize: module))
        }
        let column = qrX + qrSide + 4 * module
        let width = layout.width - margin - column
        y = qrY
        text("RETURN CODE", size: 6.5, weight: .bold, x: column, maxWidth: width)
        text(ReturnCode.display(c.parcel.returnCode), size: 19, weight: .bold, x: column, maxWidth: width)
        // A deadline is an instant (15 days after the buyer received the order), not the end of
        // a day: the label gives its time, on the clock of the buyer's area, and names that clock.
        let clock = c.carrier.label.clock(forPostalCode: c.parcel.buyer.address.postalCode)
        text("Drop off by \(LabelDates.minute(c.parcel.dropOffBy, in: clock.zone))", size: 9, weight: .bold, x: column, maxWidth: width)
        text("Faster refund if dropped off by \(LabelDates.minute(c.parcel.fasterRefundBy, in: clock.zone))", size: 6.5, x: column, maxWidth: width)
        text("Times are \(clock.name)", size: 6.5, x: column, maxWidth: width)
        let count = c.parcel.itemCount
        text("\(count) item\(count == 1 ? "" : "s") · Seller: \(c.parcel.seller.name)", size: 8, x: column, maxWidth: width)
        text("Parcel \(c.parcel.id)", size: 6.5, x: column, maxWidth: width)
        y = max(y, qrY + qrSide + 2 * module)
    }

    /// Every item of the parcel, in a font small enough for all of them to fit what is left.
    mutating func itemList(_ c: LabelContent) {
        text("ITEMS", size: 6.5, weight: .bold)
        let available = layout.height - margin - y
        let lines = c.parcel.items.map { "\($0.quantity) × \($0.title) (\($0.sku))" }
        let size = min(8, max(4.5, available / (Double(lines.count) * 1.2)))
        let fitting = Int(available / (size * 1.2))
        if fitting >= lines.count {
            for line in lines { text(line, size: size) }
        } else {
            // Very large parcels: the parcel page has the full list; the label says how many more.
            for line in lines.prefix(max(0, fitting - 1)) { text(line, size: size) }
            text("+ \(lines.count - max(0, fitting - 1)) more items, see parcel \(c.parcel.id)", size: size, weight: .bold)
        }
    }

    mutating func shippingLabel(_ c: LabelContent) throws {
        header(c, title: "FREE RETURN")
        rule()
        address("RETURN TO", name: c.carrier.warehouse.name, c.carrier.warehouse.address, nameSize: 12, lineSize: 10)
        rule()
        address("FROM", name: c.parcel.buyer.name, c.parcel.buyer.address, nameSize: 8.5, lineSize: 7.5)
        rule()
        try trackingBarcode(c, height: 56)
        rule()
        try codeBlock(c)
        rule(thickness: 0.8)
        itemList(c)
    }

    mutating func barcodeCard(_ c: LabelContent) throws {
        header(c, title: "RETURN BARCODE")
        text("Show this barcode at the counter — no printed label needed", size: 7.5)
        text("Покажите этот штрихкод в отделении — печатать этикетку не нужно", size: 7.5)
        rule()
        try trackingBarcode(c, height: 80)
        rule()
        try codeBlock(c)
        rule(thickness: 0.8)
        itemList(c)
    }
}

enum LabelDates {
    /// `YYYY-MM-DD HH:mm` on `zone`'s wall clock (the zone's offset at that instant added
    /// first). Written by hand (`UTCDateTime`): Foundation's formatters were a tenth of a ZPL
    /// label's time for two dates. Dates before 1583 (Foundation's calendar is Julian before the
    /// Gregorian reform) and after 9999 go through Foundation, so both paths print the same.
    static func minute(_ d: Date, in zone: TimeZone) -> String {
        UTCDateTime(flooringToSecond: d.addingTimeInterval(Double(zone.secondsFromGMT(for: d))))?.minuteText ?? foundationMinute(d, in: zone)
    }

    static func foundationMinute(_ d: Date, in zone: TimeZone) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.calendar = Calendar(identifier: .iso8601)
        f.timeZone = zone
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return f.string(from: d)
    }
}

extension LabelLayout {
    /// A line-based description for the C floor benchmark (bench/label_floor.c).
    public var benchmarkDescription: String {
        var lines = ["page \(width) \(height) \(dpi)"]
        for e in elements {
            switch e {
            case .text(let s, let x, let y, let size, let weight, let maxWidth):
                lines.append("text \(x) \(y) \(size) \(weight == .bold ? 1 : 0) \(maxWidth) \(s)")
            case .rect(let x, let y, let w, let h): lines.append("rect \(x) \(y) \(w) \(h)")
            case .barcode(let bars, let x, let y, let module, let height):
                lines.append("barcode \(x) \(y) \(module) \(height) \(bars.symbology == .gs1_128 ? 1 : 0) \(bars.text)")
            case .qr(_, let data, let x, let y, let module), .printerQR(let data, let x, let y, let module):
                lines.append("qr \(x) \(y) \(module) \(data)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
