import Foundation
import ReturnsCore
import Testing

@Suite("Parcel state machine")
struct ParcelStateMachineTests {
    @Test("the main line moves forward, steps may be skipped", arguments: [
        (ParcelStatus.labelIssued, ParcelStatus.droppedOff), (.droppedOff, .inTransit), (.inTransit, .arrivedAtWarehouse),
        (.arrivedAtWarehouse, .inspected), (.labelIssued, .arrivedAtWarehouse), (.labelIssued, .inTransit), (.droppedOff, .arrivedAtWarehouse),
    ])
    func forward(from: ParcelStatus, to: ParcelStatus) throws {
        #expect(try ParcelStateMachine.apply(to, to: from) == .moved(to))
    }

    @Test("repeats and news older than what is known change nothing, an inspected parcel's included", arguments: [
        (ParcelStatus.droppedOff, ParcelStatus.droppedOff), (.inTransit, .droppedOff), (.arrivedAtWarehouse, .inTransit),
        (.arrivedAtWarehouse, .arrivedAtWarehouse), (.arrivedAtWarehouse, .droppedOff), (.inspected, .inspected),
        (.inspected, .arrivedAtWarehouse), (.inspected, .inTransit), (.inspected, .droppedOff),
    ])
    func harmless(current: ParcelStatus, event: ParcelStatus) throws {
        #expect(try ParcelStateMachine.apply(event, to: current) == .unchanged)
    }

    @Test("illegal transitions are refused with both statuses named", arguments: [
        (ParcelStatus.expired, ParcelStatus.droppedOff), (.cancelled, .arrivedAtWarehouse), (.inspected, .expired), (.inspected, .cancelled),
        (.droppedOff, .expired), (.inTransit, .cancelled), (.labelIssued, .inspected), (.inTransit, .inspected), (.expired, .cancelled),
    ])
    func illegal(current: ParcelStatus, event: ParcelStatus) {
        #expect(throws: ParcelStateMachine.IllegalTransition(from: current, to: event)) { try ParcelStateMachine.apply(event, to: current) }
        #expect("\(ParcelStateMachine.IllegalTransition(from: current, to: event))" == "a parcel that is \(current.rawValue) cannot become \(event.rawValue)")
    }

    @Test("a label not yet used can expire or be cancelled")
    func sideExits() throws {
        #expect(try ParcelStateMachine.apply(.expired, to: .labelIssued) == .moved(.expired))
        #expect(try ParcelStateMachine.apply(.cancelled, to: .labelIssued) == .moved(.cancelled))
    }

    @Test("every status but cancelled has its dispute event")
    func events() {
        #expect(ParcelStatus.arrivedAtWarehouse.disputeEvent == .arrivedAtWarehouse)
        #expect(ParcelStatus.expired.disputeEvent == .expired)
        #expect(ParcelStatus.cancelled.disputeEvent == nil)
    }
}

@Suite("Inspection rules")
struct InspectionRulesTests {
    let parcel = Parcel(
        id: "P0000000000AB", trackingNumber: "RR123456785FR", carrierID: "c", country: "FR", status: .arrivedAtWarehouse,
        returnCode: "7KQM2XPDA", buyer: Buyer(id: "B", name: "B", address: PostalAddress(lines: ["x"], city: "c", postalCode: "1", country: "FR")),
        seller: Seller(id: "S", name: "S"), warehouseID: "W",
        items: [
            ParcelItem(disputeID: "D-1", orderID: "O", sku: "A", title: "a", quantity: 2, unitPrice: Money(amount: "4.99", currency: "EUR")),
            ParcelItem(disputeID: "D-1", orderID: "O", sku: "B", title: "b", quantity: 1, unitPrice: Money(amount: "10", currency: "USD")),
            ParcelItem(disputeID: "D-2", orderID: "O", sku: "C", title: "c", quantity: 1, unitPrice: Money(amount: "0.01", currency: "EUR")),
        ],
        history: [], dropOffBy: Date(), fasterRefundBy: Date(), createdAt: Date(), labelVersion: 1)

    @Test("accepted amounts are quantity × unit price per dispute and currency, rejected items excluded")
    func amounts() throws {
        let results = [ItemInspection(sku: "A", outcome: .accepted), ItemInspection(sku: "B", outcome: .rejected, reason: "used"), ItemInspection(sku: "C", outcome: .accepted)]
        try InspectionRules.validate(results, parcel: parcel)
        let amounts = InspectionRules.acceptedAmounts(results, parcel: parcel)
        #expect(amounts == ["D-1": [Money(amount: "9.98", currency: "EUR")], "D-2": [Money(amount: "0.01", currency: "EUR")]])
    }

    @Test("each dispute's inspection event carries the verdicts on that dispute's items alone, a sku in two disputes told apart by dispute_id, and that dispute's accepted amount")
    func eventsCarryTheirDisputesVerdicts() throws {
        var p = parcel
        p.items.append(ParcelItem(disputeID: "D-2", orderID: "O", sku: "A", title: "a", quantity: 1, unitPrice: Money(amount: "3", currency: "EUR")))
        let results = [
            ItemInspection(sku: "A", disputeID: "D-2", outcome: .rejected, reason: "worn"), ItemInspection(sku: "B", outcome: .accepted),
            ItemInspection(sku: "C", outcome: .accepted), ItemInspection(sku: "A", disputeID: "D-1", outcome: .accepted),
        ]
        try InspectionRules.validate(results, parcel: p)
        let events = DisputeEvent.events(.inspected, for: p, at: Date(), inspection: results)
        #expect(events.map(\.disputeID) == ["D-1", "D-2"])
        #expect(events[0].inspection == [results[1], results[3]])
        #expect(events[1].inspection == [results[0], results[2]])
        #expect(events[0].acceptedAmounts == [Money(amount: "9.98", currency: "EUR"), Money(amount: "10", currency: "USD")])
        #expect(events[1].acceptedAmounts == [Money(amount: "0.01", currency: "EUR")])
    }

    @Test("a parcel of many items in many disputes (grouped, not searched per dispute): each dispute's event carries its own items, verdicts and amount, and every dispute is in the amounts, none accepted an empty list")
    func manyDisputesEachGetTheirOwn() throws {
        var p = parcel
        // 30 disputes, each with its own sku and the shared "S": 60 items, past the 16 below which items are filtered.
        p.items = (0..<30).flatMap { d in
            [ParcelItem(disputeID: "D-\(d)", orderID: "O", sku: "K-\(d)", title: "k", quantity: 1, unitPrice: Money(amount: "\(d).50", currency: "EUR")),
             ParcelItem(disputeID: "D-\(d)", orderID: "O", sku: "S", title: "s", quantity: 2, unitPrice: Money(amount: "1", currency: "USD"))]
        }
        // Odd disputes' own items accepted, the shared sku accepted in disputes divisible by 3, the rest rejected; given in reverse.
        let results = (0..<30).reversed().flatMap { d in
            [ItemInspection(sku: "K-\(d)", outcome: d % 2 == 1 ? .accepted : .rejected, reason: d % 2 == 1 ? nil : "worn"),
             ItemInspection(sku: "S", disputeID: "D-\(d)", outcome: d % 3 == 0 ? .accepted : .rejected, reason: d % 3 == 0 ? nil : "torn")]
        }
        #expect(try InspectionRules.judgedItems(results, parcel: p).map { "\($0.disputeID)/\($0.sku)" }
            == results.map { "D-\($0.disputeID.map { String($0.dropFirst(2)) } ?? String($0.sku.dropFirst(2)))/\($0.sku)" })
        let events = DisputeEvent.events(.inspected, for: p, at: Date(), inspection: results)
        let amounts = InspectionRules.acceptedAmounts(results, parcel: p)
        #expect(events.map(\.disputeID) == (0..<30).map { "D-\($0)" } && amounts.count == 30)
        for (d, event) in events.enumerated() {
            #expect(event.items.map(\.sku) == ["K-\(d)", "S"])
            #expect(event.inspection == [results[58 - 2 * d], results[59 - 2 * d]])
            var expected: [Money] = []
            if d % 2 == 1 { expected.append(Money(amount: "\(d).50", currency: "EUR")) }
            if d % 3 == 0 { expected.append(Money(amount: "2", currency: "USD")) }
            #expect(event.acceptedAmounts == expected, "D-\(d)")
            #expect(amounts["D-\(d)"] == expected)
        }
        #expect(amounts["D-0"] == [Money(amount: "2", currency: "USD")] && amounts["D-2"] == [])
    }

    @Test("a verdict naming a sku of the parcel under a dispute it is not in says which dispute it is there for; a sku not there at all says so")
    func itemUnderAnotherDispute() {
        let wrongDispute = [ItemInspection(sku: "A", disputeID: "D-2", outcome: .accepted), ItemInspection(sku: "B", outcome: .accepted), ItemInspection(sku: "C", outcome: .accepted)]
        #expect { try InspectionRules.validate(wrongDispute, parcel: parcel) } throws: {
            "\($0)".contains("item A of dispute D-2 is not in parcel \(parcel.id); it is there for dispute D-1")
        }
        let unknown = [ItemInspection(sku: "Z", disputeID: "D-1", outcome: .accepted)]
        #expect { try InspectionRules.validate(unknown, parcel: parcel) } throws: { "\($0)".contains("item Z is not in parcel \(parcel.id)") }
    }

    @Test("an item left unjudged is named in the parcel's order of items, the first one missing")
    func missingItemIsTheFirstUnjudged() {
        let onlyA = [ItemInspection(sku: "A", outcome: .accepted)]
        #expect { try InspectionRules.validate(onlyA, parcel: parcel) } throws: {
            "\($0)".contains("item B of dispute D-1 has no outcome; judge every item of the parcel")
        }
        #expect { try InspectionRules.validate([ItemInspection(sku: "B", outcome: .accepted)], parcel: parcel) } throws: {
            "\($0)".contains("item A of dispute D-1 has no outcome")
        }
    }

    @Test("accepted amounts keep the prices' decimals: 2 × 9.95 is 19.90, 10 and 0.500 make 10.500, not 19.9 and 10.5")
    func amountsKeepDecimals() throws {
        var p = parcel
        p.items = [
            ParcelItem(disputeID: "D-1", orderID: "O", sku: "A", title: "a", quantity: 2, unitPrice: Money(amount: "9.95", currency: "EUR")),
            ParcelItem(disputeID: "D-1", orderID: "O", sku: "B", title: "b", quantity: 1, unitPrice: Money(amount: "10", currency: "USD")),
            ParcelItem(disputeID: "D-1", orderID: "O", sku: "C", title: "c", quantity: 1, unitPrice: Money(amount: "0.500", currency: "USD")),
            ParcelItem(disputeID: "D-1", orderID: "O", sku: "D", title: "d", quantity: 3, unitPrice: Money(amount: "0.00", currency: "GBP")),
        ]
        let results = ["A", "B", "C", "D"].map { ItemInspection(sku: $0, outcome: .accepted) }
        try InspectionRules.validate(results, parcel: p)
        #expect(InspectionRules.acceptedAmounts(results, parcel: p) == ["D-1": [
            Money(amount: "19.90", currency: "EUR"), Money(amount: "0.00", currency: "GBP"), Money(amount: "10.500", currency: "USD"),
        ]])
    }

    @Test("Money.text writes any well-formed amount back as it was written, from its Decimal and its number of decimals")
    func moneyTextRoundTrips() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let integer = String(UInt64.random(in: 0...999_999_999_999, using: &g))
            let digits = Int.random(in: 0...4, using: &g)
            let fraction = String((0..<digits).map { _ in "0123456789".randomElement(using: &g)! })
            let written = digits == 0 ? integer : integer + "." + fraction
            let money = Money(amount: written, currency: "EUR")
            #expect(money.isWellFormed && money.fractionDigits == digits)
            #expect(Money.text(money.decimalValue!, fractionDigits: digits) == written, "\(written)")
        }
    }

    @Test("every item judged once; rejections need a reason; unknown items refused")
    func validation() {
        let ok = [ItemInspection(sku: "A", outcome: .accepted), ItemInspection(sku: "B", outcome: .accepted), ItemInspection(sku: "C", outcome: .accepted)]
        #expect(throws: ReturnRefusal.self) { try InspectionRules.validate(Array(ok.prefix(2)), parcel: parcel) }
        #expect(throws: ReturnRefusal.self) { try InspectionRules.validate(ok + [ok[0]], parcel: parcel) }
        #expect(throws: ReturnRefusal.self) { try InspectionRules.validate([ItemInspection(sku: "A", outcome: .rejected)] + ok.dropFirst(), parcel: parcel) }
        #expect(throws: ReturnRefusal.self) { try InspectionRules.validate(ok + [ItemInspection(sku: "Z", outcome: .accepted)], parcel: parcel) }
        // A reason of spaces or invisible characters says nothing to the marketplace.
        for nothing in ["  ", "\u{FEFF}", "\u{200B}\u{202C}"] {
            #expect {
                try InspectionRules.validate([ItemInspection(sku: "A", outcome: .rejected, reason: nothing)] + ok.dropFirst(), parcel: parcel)
            } throws: { "\($0)".contains("rejected item A needs a reason") }
        }
        #expect(throws: Never.self) { try InspectionRules.validate([ItemInspection(sku: "A", outcome: .rejected, reason: "\u{FEFF}scratched")] + ok.dropFirst(), parcel: parcel) }
    }
}
