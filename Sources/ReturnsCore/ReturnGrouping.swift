import Foundation

/// DOMAIN.md, "One parcel, one label, one seller": the items of one buyer for one seller travel
/// together while their parcel is still open (label issued, not yet dropped off).
public struct GroupingKey: Hashable, Sendable {
    public var buyerID: String
    public var sellerID: String
    /// A buyer who moved country gets a new parcel: the label belongs to one carrier.
    public var country: String

    public init(buyerID: String, sellerID: String, country: String) {
        self.buyerID = buyerID
        self.sellerID = sellerID
        self.country = country
    }

    public init(_ request: ReturnRequest) {
        self.init(buyerID: request.buyer.id, sellerID: request.seller.id, country: request.buyer.address.country)
    }
}

extension ParcelStatus {
    /// Only a parcel whose label is not yet used can take more items.
    public var acceptsMoreItems: Bool { self == .labelIssued }
}

extension ReturnPolicy {
    /// The deadlines of a parcel after adding items received at `receivedAt`: the earliest
    /// window end wins, so no item in the parcel goes past its own window.
    public func deadlines(
        receivedAt: Date, createdAt: Date, existingDropOffBy: Date?
    ) -> (dropOffBy: Date, fasterRefundBy: Date) {
        var dropOffBy = windowEnd(receivedAt: receivedAt)
        if let existing = existingDropOffBy { dropOffBy = min(dropOffBy, existing) }
        let faster = min(createdAt.addingTimeInterval(TimeInterval(fasterRefundDays) * 86_400), dropOffBy)
        return (dropOffBy, faster)
    }
}

/// The 17 countries with drop-off service points (DOMAIN.md). The United Kingdom is `GB`.
public enum ServedCountries {
    public static let all: Set<String> = [
        "FR", "US", "ES", "BR", "NL", "IL", "GB", "DE", "IT", "CA", "AU", "BE", "PT", "MX", "CL", "UA", "RU",
    ]

    /// Why `country` gets no label, with the served list. "UK" is what people write for the
    /// United Kingdom, but ISO 3166-1 has it as GB: the answer says so rather than leave a
    /// marketplace wondering why a served country is refused.
    public static func notServedMessage(_ country: String) -> String {
        let hint = country == "UK" ? " (\(ukIsGB): send GB)" : ""
        return "no drop-off service points in \(country)\(hint); served: \(listed)"
    }

    /// The served countries in order, as messages list them.
    public static var listed: String { all.sorted().joined(separator: ", ") }

    public static let ukIsGB = "the United Kingdom is GB in ISO 3166-1"
}

extension ParcelStatus {
    /// The parcel's label was used (handed over at a service point, or further on). Once an
    /// order's free label is used the rest of that order goes back under it (DOMAIN.md).
    public var labelWasUsed: Bool { [.droppedOff, .inTransit, .arrivedAtWarehouse, .inspected].contains(self) }

    /// The status names as SQL list text, for the store's queries.
    public static var labelUsedSQL: String {
        "(" + allCases.filter(\.labelWasUsed).map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
    }
}
