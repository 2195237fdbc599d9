import Foundation
import ReturnsCore
import Testing

func sampleRequest(receivedAt: Date, items: [RequestedItem]? = nil) -> ReturnRequest {
    ReturnRequest(
        disputeID: "D-1", orderID: "O-1", receivedAt: receivedAt, reason: "not_as_described",
        buyer: Buyer(id: "B-1", name: "Ana", address: PostalAddress(lines: ["Rua A 1"], city: "Lisboa", postalCode: "1000-001", country: "PT")),
        seller: Seller(id: "S-1", name: "Shop"),
        items: items ?? [RequestedItem(sku: "A", title: "Thing", quantity: 1, unitPrice: Money(amount: "9.90", currency: "EUR"), freeReturn: true)])
}

@Suite("Eligibility rules of DOMAIN.md")
struct ReturnPolicyTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let policy = ReturnPolicy()

    @Test("a request on day 15 after receipt is accepted, on day 16 refused with the window rule")
    func window() throws {
        try policy.check(sampleRequest(receivedAt: now.addingTimeInterval(-15 * 86_400 + 60)), now: now)
        #expect {
            try policy.check(sampleRequest(receivedAt: now.addingTimeInterval(-16 * 86_400)), now: now)
        } throws: { ($0 as? ReturnRefusal)?.code == .returnWindowClosed && "\($0)".contains("15-day return window") }
    }

    @Test("the window length is configuration: a 30-day window accepts day 20, which the default refuses, and refuses day 31 naming its length")
    func configurableWindow() throws {
        let long = ReturnPolicy(windowDays: 30)
        let day20 = sampleRequest(receivedAt: now.addingTimeInterval(-20 * 86_400))
        try long.check(day20, now: now)
        #expect { try policy.check(day20, now: now) } throws: { ($0 as? ReturnRefusal)?.code == .returnWindowClosed }
        #expect {
            try long.check(sampleRequest(receivedAt: now.addingTimeInterval(-31 * 86_400)), now: now)
        } throws: { ($0 as? ReturnRefusal)?.code == .returnWindowClosed && "\($0)".contains("30-day return window") }
    }

    @Test("items not flagged free-return are refused, naming them")
    func notFreeReturn() {
        let items = [
            RequestedItem(sku: "FREE", title: "a", quantity: 1, unitPrice: Money(amount: "1", currency: "EUR"), freeReturn: true),
            RequestedItem(sku: "PAID", title: "b", quantity: 1, unitPrice: Money(amount: "1", currency: "EUR"), freeReturn: false),
        ]
        #expect {
            try policy.check(sampleRequest(receivedAt: now, items: items), now: now)
        } throws: { ($0 as? ReturnRefusal)?.code == .itemNotFreeReturn && ($0 as! ReturnRefusal).message.contains("PAID") }
    }

    @Test("a receipt date in the future is refused")
    func futureReceipt() {
        #expect(throws: ReturnRefusal.self) { try policy.check(sampleRequest(receivedAt: now.addingTimeInterval(86_400)), now: now) }
    }

    @Test("malformed fields are refused with the field's name")
    func malformed() {
        let cases: [(String, (inout ReturnRequest) -> Void)] = [
            ("quantity", { $0.items[0].quantity = 0 }),
            ("items[0].unit_price.amount must be a decimal such as 19.90 (no sign or exponent; up to 12 digits before the point and 4 after), not 1,50", { $0.items[0].unitPrice.amount = "1,50" }),
            ("items[0].unit_price.amount must be a decimal such as 19.90 (no sign or exponent; up to 12 digits before the point and 4 after), not -1.00", { $0.items[0].unitPrice.amount = "-1.00" }),
            ("items[0].unit_price.currency must be the ISO 4217 code of a currency in circulation, in capitals, such as EUR, not eur", { $0.items[0].unitPrice.currency = "eur" }),
            ("buyer.address.country must be an ISO 3166-1 alpha-2 code in capitals such as FR, not France", { $0.buyer.address.country = "France" }),
            ("items must not be empty", { $0.items = [] }),
            ("dispute_id", { $0.disputeID = " " }),
            ("appears twice", { $0.items.append($0.items[0]) }),
            ("control characters", { $0.buyer.name = "Ana\u{0}" }),
            ("buyer.email contains control characters", { $0.buyer.email = "ana@example.org\r\nBcc: x@example.org" }),
            ("buyer.email is longer than 254", { $0.buyer.email = String(repeating: "a", count: 250) + "@x.fr" }),
            ("buyer.name has no visible character", { $0.buyer.name = "\u{FEFF}" }),
            ("seller.name has no visible character", { $0.seller.name = "\u{200B}\u{200B}" }),
        ]
        for (field, mutate) in cases {
            var r = sampleRequest(receivedAt: now)
            mutate(&r)
            #expect {
                try policy.check(r, now: now)
            } throws: { ($0 as? ReturnRefusal)?.code == .invalidRequest && "\($0)".contains(field) }
        }
    }

    @Test("a price in a code that is no currency in circulation is refused: unknown, test, metal, fund or withdrawn")
    func currencyNotInCirculation() {
        for code in ["XYZ", "ABC", "XTS", "XXX", "XAU", "CHE", "USN", "HRK", "EURO", "EU"] {
            var r = sampleRequest(receivedAt: now)
            r.items[0].unitPrice.currency = code
            #expect {
                try policy.check(r, now: now)
            } throws: { ($0 as? ReturnRefusal)?.code == .invalidRequest && "\($0)".contains("unit_price.currency") && "\($0)".contains("not \(code)") }
        }
    }

    @Test("prices in the currencies of the countries served, and in zero- and three-decimal currencies, are accepted")
    func currenciesInCirculation() throws {
        for code in ["EUR", "USD", "BRL", "ILS", "GBP", "CAD", "AUD", "MXN", "CLP", "UAH", "RUB", "JPY", "KWD", "XOF", "XCG"] {
            var r = sampleRequest(receivedAt: now)
            r.items[0].unitPrice.currency = code
            try policy.check(r, now: now)
        }
    }

    @Test("joining a parcel keeps the earliest deadline; faster-refund date never passes it")
    func deadlines() {
        let created = now
        let first = policy.deadlines(receivedAt: now.addingTimeInterval(-14 * 86_400), createdAt: created, existingDropOffBy: nil)
        #expect(first.dropOffBy == now.addingTimeInterval(86_400))
        #expect(first.fasterRefundBy == first.dropOffBy)
        let joined = policy.deadlines(receivedAt: now, createdAt: created, existingDropOffBy: first.dropOffBy)
        #expect(joined.dropOffBy == first.dropOffBy)
    }
}
