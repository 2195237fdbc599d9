import Foundation
import Testing

@testable import ReturnsCore

@Suite struct ParcelDisputeIDsTests {
    @Test("each dispute of a parcel's items once, in the order its first item comes")
    func disputesOnceInItemOrder() {
        func item(_ dispute: String) -> ParcelItem {
            ParcelItem(disputeID: dispute, orderID: "O", sku: "S", title: "T", quantity: 1, unitPrice: Money(amount: "1", currency: "EUR"))
        }
        let buyer = Buyer(id: "B", name: "N", address: PostalAddress(lines: ["1"], city: "C", postalCode: "1", country: "FR"))
        let parcel = Parcel(
            id: "P", trackingNumber: "T", carrierID: "c", country: "FR", status: .labelIssued, returnCode: "R", buyer: buyer,
            seller: Seller(id: "S", name: "S"), warehouseID: "W", items: ["D-2", "D-1", "D-2", "D-3", "D-1"].map(item), history: [],
            dropOffBy: Date(), fasterRefundBy: Date(), createdAt: Date(), labelVersion: 1)
        #expect(parcel.disputeIDs == ["D-2", "D-1", "D-3"])
        // Past a few items the ids are found through a set: the same answer.
        var many = parcel
        many.items = (0..<40).map { item("D-\(($0 * 7) % 13)") }
        #expect(many.disputeIDs == (0..<13).map { "D-\(($0 * 7) % 13)" })
    }
}
