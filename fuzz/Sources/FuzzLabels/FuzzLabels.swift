import Carriers
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Labels
import ReturnsCore

// Labels drawn from text strangers wrote: a buyer's name and address, a seller's name, item titles
// and skus, as the marketplace sends them (any text a return request's rules take), through the
// layout (shrinking and cutting to fit, the clock chosen by postal code), libfribidi, cairo, libzint
// and the ZPL writer. The input: a byte choosing the carrier, one choosing the format, then the
// fields, separated by U+001F; a field the request's rules would refuse is replaced, as the API
// would never store it. Every such label must render, whole, in its format's form, and ZPL field
// data must never become a printer command (nor a field block's own `\&`).

private let catalog = try! CarrierCatalog.load(directory: ProcessInfo.processInfo.environment["RETURND_CARRIERS_DIR"] ?? "carriers")
private let signer = try! ReturnPayloadSigner(keys: [.init(id: "K1", secret: Array(repeating: 7, count: 32))])
private let received = Date(timeIntervalSince1970: 1_795_000_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLabels(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 2 else { return 0 }
    let carrier = catalog.services[Int(data[0]) % catalog.services.count]
    let format = LabelFormat.allCases[Int(data[1]) % LabelFormat.allCases.count]
    var fields = String(decoding: UnsafeBufferPointer(start: data + 2, count: size - 2), as: UTF8.self)
        .split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)[...]
    // The next field if the API would take it in a field of `max` characters.
    func next(_ max: Int, or fallback: String) -> String {
        guard let field = fields.popFirst() else { return fallback }
        return FieldText.problem(field, max: max) == nil ? field : fallback
    }
    let name = next(200, or: "Buyer")
    let lines = (0..<(1 + Int(data[0] >> 5) % 6)).map { _ in next(200, or: "1 Main Street") }
    let city = next(100, or: "City"), postalCode = next(20, or: "00000"), sellerName = next(200, or: "Seller")
    let items = (0..<(1 + Int(data[1] >> 6))).map { i in
        ParcelItem(disputeID: next(64, or: "D-1"), orderID: "O-1", sku: next(64, or: "SKU-\(i)"), title: next(200, or: "Item"),
                   quantity: 1 + i, unitPrice: Money(amount: "4.99", currency: "EUR"))
    }
    let serial = carrier.serialRange.lowerBound
    let tracking = carrier.scheme.trackingNumber(serial: serial, date: received)
    let parcel = Parcel(
        id: "P0123456789AB", trackingNumber: tracking, carrierID: carrier.id, country: carrier.country, status: .labelIssued,
        returnCode: "7KQM2XPDA", buyer: Buyer(id: "B-1", name: name, address: PostalAddress(lines: lines, city: city, postalCode: postalCode, country: carrier.country)),
        seller: Seller(id: "S-1", name: sellerName), warehouseID: carrier.warehouse.id, items: items, history: [],
        dropOffBy: received.addingTimeInterval(15 * 86_400), fasterRefundBy: received.addingTimeInterval(5 * 86_400),
        createdAt: received, labelVersion: 1)
    let content = LabelContent(parcel: parcel, carrier: carrier, qrPayload: signer.sign(parcelID: parcel.id, trackingNumber: tracking, country: carrier.country))
    let what = "\(carrier.id) \(format): \(name.debugDescription) \(lines) \(city.debugDescription) \(postalCode.debugDescription) \(sellerName.debugDescription) \(items.map { "\($0.disputeID)|\($0.sku)|\($0.title)" })"
    let bytes: [UInt8]
    do { bytes = try LabelRenderer.renderUncached(content, format: format).bytes } catch { preconditionFailure("the label did not render (\(error)): \(what)") }
    switch format {
    case .pdf:
        precondition(bytes.starts(with: Array("%PDF-".utf8)) && String(decoding: bytes.suffix(8), as: UTF8.self).contains("%%EOF"), "not a whole PDF: \(what)")
    case .png:
        let iend: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
        precondition(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) && Array(bytes.suffix(12)) == iend, "not a whole PNG: \(what)")
    case .svg:
        let parser = XMLParser(data: Data(bytes))
        precondition(parser.parse(), "the SVG is not well-formed XML (\(String(describing: parser.parserError))): \(what)")
    case .zpl:
        // In bytes, not Characters: a buyer's combining mark joins the character before it,
        // ours included (`^FD` then U+0301 is one Character ending in "D́"), and a search by
        // Characters then misses our own commands (the harness's mistake, found by an exploration).
        func index(of needle: String, in hay: ArraySlice<UInt8>) -> Int? {
            let n = Array(needle.utf8)
            guard hay.count >= n.count else { return nil }
            return (hay.startIndex...(hay.endIndex - n.count)).first { hay[$0..<($0 + n.count)].elementsEqual(n) }
        }
        func count(of needle: String) -> Int {
            let n = Array(needle.utf8)
            guard bytes.count >= n.count else { return 0 }
            return (0...(bytes.count - n.count)).count { bytes[$0..<($0 + n.count)].elementsEqual(n) }
        }
        precondition(bytes.starts(with: Array("^XA".utf8)) && count(of: "^XA") == 1 && count(of: "^XZ") == 1, "the label's ^XA…^XZ frame is broken: \(what)")
        // Nothing anywhere holds ~ (a control command): the buyer's text is escaped under ^FH.
        precondition(!bytes.contains(UInt8(ascii: "~")), "a ~ outside an escape: \(what)")
        // Each element is one line ending in its ^FS; a field's data, from its ^FD to that ^FS,
        // holds no ^ (a command).
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let fd = index(of: "^FD", in: line) else { continue }
            precondition(line.suffix(3).elementsEqual("^FS".utf8), "a field's line does not end in its ^FS: \(String(decoding: line, as: UTF8.self).debugDescription) in \(what)")
            let data = line[(fd + 3)..<(line.endIndex - 3)]
            precondition(!data.contains(UInt8(ascii: "^")), "field data holds a command: \(String(decoding: line, as: UTF8.self).debugDescription) in \(what)")
            // A text field's block (^FB) reads `\&` as a line break and `\(x)` as a soft
            // hyphen: its data's backslashes come in pairs, each printing one.
            guard index(of: "^FB", in: line[..<fd]) != nil else { continue }
            var run = 0
            for byte in data + [0] {
                if byte == UInt8(ascii: "\\") { run += 1; continue }
                precondition(run % 2 == 0, "a lone backslash in a field block: \(String(decoding: line, as: UTF8.self).debugDescription) in \(what)")
                run = 0
            }
        }
    }
    return 0
}
