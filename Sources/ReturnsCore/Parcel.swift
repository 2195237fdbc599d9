import Foundation

/// The canonical life of a return parcel (DOMAIN.md, "The life of a return parcel").
public enum ParcelStatus: String, Codable, Sendable, CaseIterable {
    case labelIssued = "label_issued"
    case droppedOff = "dropped_off"
    case inTransit = "in_transit"
    case arrivedAtWarehouse = "arrived_at_warehouse"
    case inspected
    case expired
    case cancelled

    /// Still on its way, so the carrier's tracking is polled: before the warehouse has it, and
    /// not once it expired or was cancelled.
    public var isFollowedByTracking: Bool { [.labelIssued, .droppedOff, .inTransit].contains(self) }
}

/// Who caused a status change; kept in the parcel's history for auditors.
public enum StatusSource: String, Codable, Sendable, CaseIterable {
    case marketplace, kiosk, carrier, scanner, `operator`, timer
}

public struct ParcelItem: Codable, Hashable, Sendable {
    public var disputeID: String
    public var orderID: String
    public var sku: String
    public var title: String
    public var quantity: Int
    public var unitPrice: Money

    public init(disputeID: String, orderID: String, sku: String, title: String, quantity: Int, unitPrice: Money) {
        self.disputeID = disputeID
        self.orderID = orderID
        self.sku = sku
        self.title = title
        self.quantity = quantity
        self.unitPrice = unitPrice
    }

    enum CodingKeys: String, CodingKey {
        case sku, title, quantity
        case disputeID = "dispute_id"
        case orderID = "order_id"
        case unitPrice = "unit_price"
    }
}

public struct StatusChange: Codable, Hashable, Sendable {
    public var status: ParcelStatus
    public var source: StatusSource
    public var occurredAt: Date
    public var detail: String?

    public init(status: ParcelStatus, source: StatusSource, occurredAt: Date, detail: String? = nil) {
        self.status = status
        self.source = source
        self.occurredAt = occurredAt
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey {
        case status, source, detail
        case occurredAt = "occurred_at"
    }
}

/// One parcel: the items of one buyer for one seller, under one label.
public struct Parcel: Codable, Hashable, Sendable {
    public var id: String
    public var trackingNumber: String
    public var carrierID: String
    public var country: String
    public var status: ParcelStatus
    public var returnCode: String
    public var buyer: Buyer
    public var seller: Seller
    public var warehouseID: String
    public var items: [ParcelItem]
    public var history: [StatusChange]
    /// End of the earliest dispute window among the items: a label unused by then expires.
    public var dropOffBy: Date
    /// Dropping off by then makes the refund faster (DOMAIN.md: within 5 days).
    public var fasterRefundBy: Date
    public var createdAt: Date
    /// Grows whenever the printed content changes (items added), so rendered labels can be cached per version.
    public var labelVersion: Int
    /// When the current label version was issued: the parcel's creation for version 1, the
    /// last items' joining after it (a PDF's creation date, an auditor's "which label when").
    public var labelIssuedAt: Date
    /// Set on a package that goes back under another parcel's used label (DOMAIN.md: the rest of
    /// an order after its free label was used): that parcel's id. Such a package has no label of
    /// its own; `trackingNumber` is the labelled parcel's, written on it by hand.
    public var labelOf: String?
    /// How many packages go back under this parcel's label (0 for nearly every parcel), so a
    /// read of its number looks for them only when there are some.
    public var packagesUnderLabel: Int

    public init(
        id: String, trackingNumber: String, carrierID: String, country: String, status: ParcelStatus,
        returnCode: String, buyer: Buyer, seller: Seller, warehouseID: String, items: [ParcelItem],
        history: [StatusChange], dropOffBy: Date, fasterRefundBy: Date, createdAt: Date, labelVersion: Int,
        labelIssuedAt: Date? = nil, labelOf: String? = nil, packagesUnderLabel: Int = 0
    ) {
        self.id = id
        self.trackingNumber = trackingNumber
        self.carrierID = carrierID
        self.country = country
        self.status = status
        self.returnCode = returnCode
        self.buyer = buyer
        self.seller = seller
        self.warehouseID = warehouseID
        self.items = items
        self.history = history
        self.dropOffBy = dropOffBy
        self.fasterRefundBy = fasterRefundBy
        self.createdAt = createdAt
        self.labelVersion = labelVersion
        self.labelIssuedAt = labelIssuedAt ?? createdAt
        self.labelOf = labelOf
        self.packagesUnderLabel = packagesUnderLabel
    }

    /// Whether it has a label of its own to print.
    public var hasOwnLabel: Bool { labelOf == nil }

    /// Whether its label is worth printing at `now`: its own, the parcel not closed, and not past
    /// its deadline (an expired or cancelled return's label can no longer be dropped off, nor can
    /// one the timers have yet to expire).
    public func hasLiveLabel(at now: Date) -> Bool { hasOwnLabel && closedReason(at: now) == nil }

    /// Each dispute of the items once, in the items' order. Most parcels hold a few items, and
    /// for those a linear search beats hashing every id (this runs on every status change, in
    /// the writer); a parcel that gathered many disputes still costs linear time.
    public var disputeIDs: [String] {
        var ids: [String] = []
        if items.count <= 16 {
            for item in items where !ids.contains(item.disputeID) { ids.append(item.disputeID) }
        } else {
            var seen = Set<String>()
            for item in items where seen.insert(item.disputeID).inserted { ids.append(item.disputeID) }
        }
        return ids
    }

    public var itemCount: Int { items.reduce(0) { $0 + $1.quantity } }
}
