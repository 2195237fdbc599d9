import Foundation

/// The eligibility rules of DOMAIN.md. Every number is configuration.
public struct ReturnPolicy: Sendable, Hashable {
    /// Days after receipt during which a free return may be requested (the dispute window).
    public var windowDays: Int
    /// Days after the label is issued within which a drop-off makes the refund faster.
    public var fasterRefundDays: Int
    public var maxItemsPerRequest: Int

    public init(windowDays: Int = 15, fasterRefundDays: Int = 5, maxItemsPerRequest: Int = 100) {
        self.windowDays = windowDays
        self.fasterRefundDays = fasterRefundDays
        self.maxItemsPerRequest = maxItemsPerRequest
    }

    public func windowEnd(receivedAt: Date) -> Date {
        receivedAt.addingTimeInterval(TimeInterval(windowDays) * 86_400)
    }

    /// Checks a request against the rules; throws the first rule that refuses it.
    public func check(_ request: ReturnRequest, now: Date) throws(ReturnRefusal) {
        try Self.checkShape(request, maxItems: maxItemsPerRequest)
        // A few minutes of clock skew between the marketplace and us are not the buyer's fault.
        if request.receivedAt > now.addingTimeInterval(600) {
            throw ReturnRefusal(.receivedInFuture, "received_at \(Self.iso(request.receivedAt)) is in the future")
        }
        let end = windowEnd(receivedAt: request.receivedAt)
        if now > end {
            throw ReturnRefusal(
                .returnWindowClosed,
                "the \(windowDays)-day return window after receipt on \(Self.iso(request.receivedAt)) closed at \(Self.iso(end))"
            )
        }
        let notFree = request.items.filter { !$0.freeReturn }.map(\.sku)
        if !notFree.isEmpty {
            throw ReturnRefusal(
                .itemNotFreeReturn,
                "items not flagged free_return get no free label (the seller's own policy applies): \(notFree.joined(separator: ", "))"
            )
        }
    }

    static func checkShape(_ r: ReturnRequest, maxItems: Int) throws(ReturnRefusal) {
        func require(_ ok: Bool, _ message: @autoclosure () -> String) throws(ReturnRefusal) {
            if !ok { throw ReturnRefusal(.invalidRequest, message()) }
        }
        func text(_ s: String, _ field: String, max: Int = 200) throws(ReturnRefusal) {
            if let problem = FieldText.problem(s, max: max) { throw ReturnRefusal(.invalidRequest, "\(field) \(problem)") }
        }
        try text(r.disputeID, "dispute_id", max: 64)
        try text(r.orderID, "order_id", max: 64)
        try text(r.reason, "reason", max: 64)
        try text(r.buyer.id, "buyer.id", max: 64)
        try text(r.buyer.name, "buyer.name")
        // Optional, and only stored: its form is the marketplace's business, its size and bytes ours.
        if let email = r.buyer.email { try text(email, "buyer.email", max: 254) }
        try text(r.seller.id, "seller.id", max: 64)
        try text(r.seller.name, "seller.name")
        try require((1...6).contains(r.buyer.address.lines.count), "buyer.address.lines must hold 1 to 6 lines")
        for (i, line) in r.buyer.address.lines.enumerated() { try text(line, "buyer.address.lines[\(i)]") }
        try text(r.buyer.address.city, "buyer.address.city", max: 100)
        try text(r.buyer.address.postalCode, "buyer.address.postal_code", max: 20)
        try require(
            r.buyer.address.country.count == 2
                && r.buyer.address.country.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) },
            "buyer.address.country must be an ISO 3166-1 alpha-2 code in capitals such as FR, not \(r.buyer.address.country.quotedInMessage(max: 20))"
        )
        try require(!r.items.isEmpty, "items must not be empty")
        try require(r.items.count <= maxItems, "at most \(maxItems) items per request")
        var skus = Set<String>()
        for (i, item) in r.items.enumerated() {
            try text(item.sku, "items[\(i)].sku", max: 64)
            try text(item.title, "items[\(i)].title")
            try require((1...999).contains(item.quantity), "items[\(i)].quantity must be 1 to 999")
            // Said per part: a marketplace sending "-1.00" or "eur" should not have to guess which one is wrong.
            try require(Money.isDecimalString(item.unitPrice.amount), "items[\(i)].unit_price.amount must be a decimal such as 19.90 (no sign or exponent; up to 12 digits before the point and 4 after), not \(item.unitPrice.amount.quotedInMessage(max: 20))")
            try require(item.unitPrice.isWellFormed, "items[\(i)].unit_price.currency must be the ISO 4217 code of a currency in circulation, in capitals, such as EUR, not \(item.unitPrice.currency.quotedInMessage(max: 20))")
            try require(skus.insert(item.sku).inserted, "items[\(i)].sku \(item.sku) appears twice; send one line with its quantity")
        }
    }

    static func iso(_ d: Date) -> String { d.formatted(.iso8601) }
}
