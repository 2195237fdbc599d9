import Foundation
import Testing

@testable import ReturnsCore

@Suite struct DisputeEventIDTests {
    @Test func idsAreEvtAndTwentyCrockfordDigits() {
        let id = DisputeEvent.newID()
        #expect(id.hasPrefix("evt_"))
        #expect(id.count == 24)
        #expect(id.dropFirst(4).allSatisfy { "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains($0) })
    }

    @Test func idsMadeLaterSortLater() {
        let start = Date(timeIntervalSince1970: 1_795_996_800)
        let ids = (0..<1000).map { DisputeEvent.newID(now: start.addingTimeInterval(Double($0) * 0.002)) }
        #expect(ids == ids.sorted())
        #expect(DisputeEvent.newID(now: start) < DisputeEvent.newID(now: start.addingTimeInterval(86_400 * 365 * 30)))
    }

    @Test func idsMadeInTheSameMillisecondDiffer() {
        let now = Date()
        let ids = Set((0..<10_000).map { _ in DisputeEvent.newID(now: now) })
        #expect(ids.count == 10_000)
    }
}

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
