import BenchSupport
import Carriers
import Foundation
import Labels
import ReturnsCore

// Labels per second per format, in process, on one core: the full path from parcel to bytes
// (layout, QR and barcode encoding, drawing, encoding the file), cache bypassed.
// `--dump-layout FILE` writes the same label's layout for bench/label_floor.c.

let seconds = option("--seconds", default: 3.0)
guard seconds.isFinite, seconds > 0 else { fail("--seconds must be a number of seconds above 0") }
let carriersDir = option("--carriers", default: "carriers")
let catalog = orFail("loading carriers from \(carriersDir) (run from the repository or pass --carriers DIR)") {
    try CarrierCatalog.load(directory: carriersDir)
}
let carrierID = option("--carrier", default: "fr_colissimo")
guard let carrier = catalog.byID[carrierID] else {
    fail("no carrier \(carrierID) in \(carriersDir); one of: \(catalog.byID.keys.sorted().joined(separator: ", "))")
}

let signer = try ReturnPayloadSigner(keys: [.init(id: "K1", secret: Array(repeating: 7, count: 32))])
let received = Date(timeIntervalSince1970: 1_795_000_000)
let tracking = carrier.scheme.trackingNumber(serial: carrier.serialRange.lowerBound + 4321, date: received)
let parcel = Parcel(
    id: "P0123456789AB", trackingNumber: tracking, carrierID: carrier.id, country: carrier.country, status: .labelIssued,
    returnCode: "7KQM2XPDA",
    buyer: Buyer(id: "B-77", name: "Amélie Dupré", address: PostalAddress(lines: ["12 rue de l'Église", "Bâtiment C"], city: "Saint-Étienne", postalCode: "42000", country: carrier.country)),
    seller: Seller(id: "S-1", name: "Shenzhen Gadget Store"), warehouseID: carrier.warehouse.id,
    items: (0..<3).map { ParcelItem(disputeID: "D-1", orderID: "O-1", sku: "SKU-\($0)", title: "Item \($0) câble USB-C 2 m", quantity: 1, unitPrice: Money(amount: "4.99", currency: "EUR")) },
    history: [], dropOffBy: received.addingTimeInterval(15 * 86_400), fasterRefundBy: received.addingTimeInterval(5 * 86_400),
    createdAt: received, labelVersion: 1)
let content = LabelContent(parcel: parcel, carrier: carrier, qrPayload: signer.sign(parcelID: parcel.id, trackingNumber: tracking, country: carrier.country))

// `--format F` times one format only (for profiling).
let formats = option("--format").map { name in
    guard let format = LabelFormat(rawValue: name) else {
        fail("--format: no format \(name); one of: \(LabelFormat.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return [format]
} ?? LabelFormat.allCases

if let path = option("--dump-layout") {
    try LabelLayout.make(content).benchmarkDescription.write(toFile: path, atomically: true, encoding: .utf8)
    exit(0)
}

print("format\tlabels_per_s\tbytes")
/// Calls `body` ten at a time for `seconds`; returns calls per second.
func rate(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    var count = 0
    while clock.now - start < .seconds(seconds) {
        for _ in 0..<10 { try body() }
        count += 10
    }
    return Double(count) / BenchSupport.seconds(clock.now - start)
}

// The layout alone (QR and barcode encoding, text fitting): the share every format pays.
if option("--format") == nil {
    print("layout\t\(String(format: "%.1f", try rate { _ = try LabelLayout.make(content) }))\t0")
}
for format in formats {
    // Warm up fonts and caches, then count whole renders for the time given.
    var bytes = 0
    for _ in 0..<5 { bytes = try LabelRenderer.renderUncached(content, format: format).bytes.count }
    let perSecond = try rate { _ = try LabelRenderer.renderUncached(content, format: format) }
    print("\(format.rawValue)\t\(String(format: "%.1f", perSecond))\t\(bytes)")
}
// ZPL drawn from a finished layout: the work bench/label_python.py's ZPL template times (it is
// handed the layout, with the barcode's module width already worked out).
if formats.contains(.zpl) {
    let layout = try LabelLayout.make(content, qr: .byPrinter)
    let title = "Return label \(tracking)"
    let bytes = try LabelRenderer.draw(layout, format: .zpl, title: title, created: content.parcel.createdAt).bytes.count
    let perSecond = try rate { _ = try LabelRenderer.draw(layout, format: .zpl, title: title, created: content.parcel.createdAt) }
    print("zpl_from_layout\t\(String(format: "%.1f", perSecond))\t\(bytes)")
}
