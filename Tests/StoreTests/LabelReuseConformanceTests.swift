import Foundation
import ReturnsCore
@testable import Store
import Testing

/// DOMAIN.md, "One parcel, one label, one seller": once an order's free label is used, the rest
/// of the order goes back in one package under that label, its tracking number written by hand.
@Suite("Packages under a used label (SQLite and PostgreSQL)")
struct LabelReuseConformanceTests {
    /// Order O-1's parcel (dispute D-1, item A) moved to `used`, then the rest of the order
    /// requested (D-2, item B).
    func usedLabelAndRest(_ store: SQLReturnStore, used: ParcelStatus = .droppedOff) async throws -> (first: Parcel, rest: ReturnIssuanceOutcome) {
        let first = try await store.issueReturn(issuance(request(dispute: "D-1", order: "O-1", skus: ["A"]))).parcel
        _ = try await store.changeStatus(StatusChangeRequest(parcelID: first.id, status: used, source: used == .droppedOff ? .kiosk : .carrier, occurredAt: Date()))
        return (first, try await store.issueReturn(issuance(request(dispute: "D-2", order: "O-1", skus: ["B"]))))
    }

    @Test("items of an order whose label was used go in a package under that label: same number, no serial, no tracking, and later items join it", arguments: StoreKind.allCases)
    func restOfOrderReusesUsedLabel(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let (first, rest) = try await usedLabelAndRest(store)
            #expect(rest.kind == .reusedLabel)
            let p = rest.parcel
            #expect(p.id != first.id && p.returnCode != first.returnCode)
            #expect(p.labelOf == first.id && !p.hasOwnLabel)
            #expect(p.trackingNumber == first.trackingNumber && p.carrierID == first.carrierID && p.warehouseID == first.warehouseID)
            #expect(p.status == .labelIssued && p.items.map(\.sku) == ["B"])
            #expect(p.history.first?.detail?.contains("used label of parcel \(first.id)") == true)
            // Stored without a number of its own: the labelled parcel alone holds it.
            let ownNumber = try await store.backend.read { db in try db.string("SELECT tracking_number FROM parcels WHERE id = ?", [p.id]) }
            #expect(ownNumber == nil)
            // No tracking number was drawn for it: the next parcel gets the range's second.
            let next = try await store.issueReturn(issuance(request(dispute: "D-9", seller: "S-9"))).parcel
            let plan = issuance(request())
            #expect(next.trackingNumber == plan.scheme.trackingNumber(serial: plan.serialRange.lowerBound + 1, date: Date()))
            // The carrier's events for the number are the labelled parcel's: only it is followed.
            let followed = try await store.backend.read { db in try db.strings("SELECT parcel_id FROM tracking_schedule") }
            #expect(followed.contains(first.id) && !followed.contains(p.id))
            // Its dispute is told, with the number written on the package.
            let issued = try await store.outbox(state: .pending, limit: 10).filter { $0.disputeID == "D-2" }
            #expect(issued.map(\.type) == ["return.label_issued"] && issued.first?.parcelID == p.id)
            #expect(issued.first?.payload.contains("\"tracking_number\":\"\(first.trackingNumber)\"") == true)
            #expect(issued.first?.payload.contains("\"reuses_label_of\":\"\(first.id)\"") == true)

            // One package for the rest: more items of the order, or of another order of the
            // same seller, join it while it is open.
            let more = try await store.issueReturn(issuance(request(dispute: "D-3", order: "O-1", skus: ["C"])))
            let otherOrder = try await store.issueReturn(issuance(request(dispute: "D-4", order: "O-2", skus: ["D"])))
            #expect(more.kind == .joined && more.parcel.id == p.id)
            #expect(otherOrder.kind == .joined && otherOrder.parcel.items.map(\.sku) == ["B", "C", "D"])

            // The number names the labelled parcel; the packages under it are listed apart.
            #expect(try await store.parcel(trackingNumber: first.trackingNumber)?.id == first.id)
            #expect(try await store.packages(reusingLabelOf: first.id).map(\.id) == [p.id])
            #expect(try await store.parcel(id: first.id)?.packagesUnderLabel == 1)
            #expect(try await store.consistencyProblems().isEmpty)
        }
    }

    @Test("a label that expired unused, or another order after a drop-off, still gets a label of its own", arguments: StoreKind.allCases)
    func newLabelWhenNoneWasUsed(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let expired = try await store.issueReturn(issuance(request(dispute: "D-1", order: "O-1", skus: ["A"]))).parcel
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: expired.id, status: .expired, source: .timer, occurredAt: Date()))
            let again = try await store.issueReturn(issuance(request(dispute: "D-2", order: "O-1", skus: ["B"])))
            #expect(again.kind == .created && again.parcel.labelOf == nil && again.parcel.trackingNumber != expired.trackingNumber)

            _ = try await store.changeStatus(StatusChangeRequest(parcelID: again.parcel.id, status: .droppedOff, source: .kiosk, occurredAt: Date()))
            let otherOrder = try await store.issueReturn(issuance(request(dispute: "D-3", order: "O-9", skus: ["C"])))
            #expect(otherOrder.kind == .created && otherOrder.parcel.labelOf == nil)
            // The same order of another buyer's country is another carrier's label.
            let moved = try await store.issueReturn(issuance(request(dispute: "D-4", order: "O-1", skus: ["D"], country: "BE")))
            #expect(moved.kind == .created)
        }
    }

    @Test("once the package under a used label was handed over too, the order's next items get another package under the same label", arguments: StoreKind.allCases)
    func secondPackageUnderSameLabel(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let (first, rest) = try await usedLabelAndRest(store, used: .inTransit)
            let second = rest.parcel
            _ = try await store.changeStatus(StatusChangeRequest(parcelID: second.id, status: .droppedOff, source: .kiosk, occurredAt: Date()))
            let third = try await store.issueReturn(issuance(request(dispute: "D-3", order: "O-1", skus: ["C"])))
            #expect(third.kind == .reusedLabel && third.parcel.labelOf == first.id && third.parcel.id != second.id)
            #expect(try await store.packages(reusingLabelOf: first.id).map(\.id) == [second.id, third.parcel.id])
            #expect(try await store.parcel(id: first.id)?.packagesUnderLabel == 2)
            #expect(try await store.consistencyProblems().isEmpty)
        }
    }

    @Test("two instances taking the rest of an order at once open one package under its label, and it holds every item", arguments: StoreKind.allCases)
    func concurrentRestOfOrder(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let second = try await t.another()
            let stores = [t.store, second]
            let first = try await t.store.issueReturn(issuance(request(dispute: "D-0", order: "O-1", skus: ["A"]))).parcel
            _ = try await t.store.changeStatus(StatusChangeRequest(parcelID: first.id, status: .droppedOff, source: .kiosk, occurredAt: Date()))
            let outcomes = try await withThrowingTaskGroup(of: ReturnIssuanceOutcome.self) { group in
                for i in 1...40 {
                    let store = stores[i % 2]
                    group.addTask { try await store.issueReturn(issuance(request(dispute: "D-\(i)", order: "O-1", skus: ["SKU-\(i)"]))) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            try await second.close()
            #expect(outcomes.filter { $0.kind == .reusedLabel }.count == 1)
            #expect(Set(outcomes.map(\.parcel.id)).count == 1)
            let packages = try await t.store.packages(reusingLabelOf: first.id)
            #expect(packages.count == 1 && packages.first?.items.count == 40)
            #expect(try await t.store.parcel(id: first.id)?.packagesUnderLabel == 1)
            #expect(try await t.store.consistencyProblems().isEmpty)
        }
    }

    @Test("db check names a package whose label_of points at no labelled parcel, one with a number of its own as well, and a labelled parcel miscounting its packages", arguments: StoreKind.allCases)
    func checkNamesBrokenLabelReference(_ kind: StoreKind) async throws {
        try await withStore(kind) { t in
            let store = t.store
            let (first, issued) = try await usedLabelAndRest(store)
            let rest = issued.parcel
            #expect(try await store.consistencyProblems().isEmpty)
            try await store.backend.write { db in try db.execute("UPDATE parcels SET label_of = ? WHERE id = ?", ["P-NOSUCH", rest.id]) }
            #expect(try await store.consistencyProblems() == [
                "package under a label that is not a labelled parcel's: \(rest.id)", "labelled parcel whose count of packages under its label is wrong: \(first.id)",
            ])
            try await store.backend.write { db in try db.execute("UPDATE parcels SET label_of = ?, tracking_number = ? WHERE id = ?", [first.id, "RR000000000FR", rest.id]) }
            #expect(try await store.consistencyProblems() == ["parcel with both a tracking number and a label it goes under, or neither: \(rest.id)"])
            try await store.backend.write { db in try db.execute("UPDATE parcels SET tracking_number = NULL WHERE id = ?", [rest.id]) }
            try await store.backend.write { db in try db.execute("UPDATE parcels SET packages_under_label = 0 WHERE id = ?", [first.id]) }
            #expect(try await store.consistencyProblems() == ["labelled parcel whose count of packages under its label is wrong: \(first.id)"])
        }
    }
}
