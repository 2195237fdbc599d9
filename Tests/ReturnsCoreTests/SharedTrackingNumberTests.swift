import Foundation
import ReturnsCore
import Testing

@Suite("One tracking number, several packages")
struct SharedTrackingNumberTests {
    func package(_ id: String, _ status: ParcelStatus, skus: [String] = ["A"], labelOf: String? = "P-1") -> Parcel {
        Parcel(
            id: id, trackingNumber: "RR123456785FR", carrierID: "fr", country: "FR", status: status, returnCode: "R\(id)",
            buyer: Buyer(id: "B", name: "B", address: PostalAddress(lines: ["x"], city: "Paris", postalCode: "75001", country: "FR")),
            seller: Seller(id: "S", name: "S"), warehouseID: "WH",
            items: skus.map { ParcelItem(disputeID: "D", orderID: "O", sku: $0, title: $0, quantity: 1, unitPrice: Money(amount: "1.00", currency: "EUR")) },
            history: [], dropOffBy: Date(), fasterRefundBy: Date(), createdAt: Date(), labelVersion: 1, labelOf: labelOf)
    }

    @Test("a kiosk is given the first package not yet handed over, else the labelled parcel")
    func dropOff() {
        let labelled = package("P-1", .inTransit, labelOf: nil)
        let handed = package("P-2", .droppedOff), open = package("P-3", .labelIssued)
        #expect(SharedTrackingNumber.pick([labelled, handed, open], for: .dropOff)?.id == "P-3")
        #expect(SharedTrackingNumber.pick([labelled, handed], for: .dropOff)?.id == "P-1")
    }

    @Test("a warehouse scan is given the first package without a receipt that can still arrive")
    func receipt() {
        let labelled = package("P-1", .arrivedAtWarehouse, labelOf: nil)
        let expired = package("P-2", .expired), moving = package("P-3", .droppedOff)
        #expect(SharedTrackingNumber.pick([labelled, expired, moving], for: .receipt(received: []))?.id == "P-1")
        #expect(SharedTrackingNumber.pick([labelled, expired, moving], for: .receipt(received: ["P-1"]))?.id == "P-3")
        // Every package read already: a repeat, harmless on the labelled parcel.
        #expect(SharedTrackingNumber.pick([labelled, expired, moving], for: .receipt(received: ["P-1", "P-3"]))?.id == "P-1")
    }

    @Test("an inspection is given the package holding its items, the one in the warehouse first")
    func inspection() {
        let labelled = package("P-1", .inspected, skus: ["A"], labelOf: nil)
        let rest = package("P-2", .arrivedAtWarehouse, skus: ["B", "C"])
        #expect(SharedTrackingNumber.pick([labelled, rest], for: .inspection(skus: ["C"]))?.id == "P-2")
        #expect(SharedTrackingNumber.pick([labelled, rest], for: .inspection(skus: ["A"]))?.id == "P-1")
        #expect(SharedTrackingNumber.pick([labelled, rest], for: .inspection(skus: ["A", "B"]))?.id == "P-1")
        #expect(SharedTrackingNumber.pick([], for: .dropOff) == nil)
    }
}
