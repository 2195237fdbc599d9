import Foundation

/// What the dispute service is told (DESIGN.md, "Dispute updates"). An event exists because
/// its status change committed: both are written in one transaction.
public struct DisputeEvent: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case labelIssued = "return.label_issued"
        case droppedOff = "return.dropped_off"
        case inTransit = "return.in_transit"
        case arrivedAtWarehouse = "return.arrived_at_warehouse"
        case inspected = "return.inspected"
        case expired = "return.expired"
    }

    public var id: String
    public var type: Kind
    public var disputeID: String
    public var parcelID: String
    public var trackingNumber: String
    public var carrier: String
    public var status: ParcelStatus
    public var occurredAt: Date
    /// The items of this dispute in the parcel.
    public var items: [ParcelItem]
    public var returnCode: String
    public var dropOffBy: Date
    /// Who reported the change (kiosk, carrier, scanner, operator, timer).
    public var source: StatusSource?
    /// The service point or warehouse where it happened.
    public var location: String?
    /// `return.inspected`: each item's outcome, and what the refund covers per currency.
    public var inspection: [ItemInspection]?
    public var acceptedAmounts: [Money]?
    /// A package going back under another parcel's used label: that parcel's id (the event's
    /// `tracking_number` is that label's, written on the package by hand).
    public var reusesLabelOf: String?

    public init(
        id: String, type: Kind, disputeID: String, parcelID: String, trackingNumber: String, carrier: String,
        status: ParcelStatus, occurredAt: Date, items: [ParcelItem], returnCode: String, dropOffBy: Date,
        source: StatusSource? = nil, location: String? = nil, inspection: [ItemInspection]? = nil, acceptedAmounts: [Money]? = nil,
        reusesLabelOf: String? = nil
    ) {
        self.reusesLabelOf = reusesLabelOf
        self.source = source
        self.location = location
        self.inspection = inspection
        self.acceptedAmounts = acceptedAmounts
        self.id = id
        self.type = type
        self.disputeID = disputeID
        self.parcelID = parcelID
        self.trackingNumber = trackingNumber
        self.carrier = carrier
        self.status = status
        self.occurredAt = occurredAt
        self.items = items
        self.returnCode = returnCode
        self.dropOffBy = dropOffBy
    }

    enum CodingKeys: String, CodingKey {
        case id, type, status, items, carrier, source, location, inspection
        case acceptedAmounts = "accepted_amounts"
        case disputeID = "dispute_id"
        case parcelID = "parcel_id"
        case trackingNumber = "tracking_number"
        case occurredAt = "occurred_at"
        case returnCode = "return_code"
        case dropOffBy = "drop_off_by"
        case reusesLabelOf = "reuses_label_of"
    }

    /// A fresh event id: "evt_", then the creation time in milliseconds (10 Crockford digits)
    /// and 50 random bits (10 digits). Ids made later sort later, so the outbox's unique index
    /// on them grows at its end instead of changing a page anywhere: with random ids a receipt's
    /// commit wrote 3.9 WAL pages, with these 3.2 (bench/receipts_reference.py's statements).
    public static func newID(now: Date = Date()) -> String {
        let millis = UInt64(max(0, (now.timeIntervalSince1970 * 1000).rounded(.down)))
        let random = UInt64.random(in: 0..<(1 << 50))
        // One string, written in place: concatenating three made two throwaway strings per event.
        return String(unsafeUninitializedCapacity: 24) { out in
            for (i, b) in "evt_".utf8.enumerated() { out[i] = b }
            CrockfordBase32.write(millis & ((1 << 50) - 1), digits: 10, into: out, at: 4)
            CrockfordBase32.write(random, digits: 10, into: out, at: 14)
            return 24
        }
    }

    /// One event per dispute with items in the parcel, each carrying only that dispute's items.
    public static func events(
        _ type: Kind, for parcel: Parcel, disputes: [String]? = nil, at date: Date, source: StatusSource? = nil,
        location: String? = nil, inspection: [ItemInspection]? = nil
    ) -> [DisputeEvent] {
        // Most parcels hold a few items, and filtering them for each dispute beats hashing (this
        // runs on every status change, in the writer); a parcel of many items is grouped once,
        // or its events cost disputes × items.
        let grouped = parcel.items.count > 16 ? Dictionary(grouping: parcel.items, by: \.disputeID) : nil
        let verdicts = inspection.map { verdictsByDispute($0, on: parcel.items) }
        let amounts = inspection.map { InspectionRules.acceptedAmounts($0, parcel: parcel) }
        return (disputes ?? parcel.disputeIDs).map { dispute in
            let items = grouped.map { $0[dispute] ?? [] } ?? parcel.items.filter { $0.disputeID == dispute }
            return DisputeEvent(
                id: newID(),
                type: type, disputeID: dispute, parcelID: parcel.id, trackingNumber: parcel.trackingNumber,
                carrier: parcel.carrierID, status: parcel.status, occurredAt: date,
                items: items, returnCode: parcel.returnCode,
                dropOffBy: parcel.dropOffBy, source: source, location: location,
                inspection: verdicts.map { $0[dispute] ?? [] },
                acceptedAmounts: amounts.map { $0[dispute] ?? [] },
                reusesLabelOf: parcel.labelOf)
        }
    }

    /// Each dispute's verdicts, in the verdicts' order: those naming the dispute and one of its
    /// skus, and those naming only a sku the dispute has. One pass over the verdicts: searching
    /// them for each dispute made an inspection's events cost disputes × verdicts, in the writer.
    static func verdictsByDispute(_ all: [ItemInspection], on items: [ParcelItem]) -> [String: [ItemInspection]] {
        var keys = Set<InspectionRules.ItemKey>()
        var disputesOfSku: [String: [String]] = [:]
        for item in items where keys.insert(InspectionRules.ItemKey(disputeID: item.disputeID, sku: item.sku)).inserted {
            disputesOfSku[item.sku, default: []].append(item.disputeID)
        }
        var verdicts: [String: [ItemInspection]] = [:]
        for v in all {
            if let dispute = v.disputeID {
                if keys.contains(InspectionRules.ItemKey(disputeID: dispute, sku: v.sku)) { verdicts[dispute, default: []].append(v) }
            } else {
                for dispute in disputesOfSku[v.sku] ?? [] { verdicts[dispute, default: []].append(v) }
            }
        }
        return verdicts
    }
}

extension JSONEncoder {
    /// The wire format: ISO 8601 dates, stable key order.
    public static var returnd: JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}

extension JSONDecoder {
    public static var returnd: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let s = try c.decode(String.self)
            do { return try UTCDateTime.date(rfc3339: s) } catch {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected an RFC 3339 date-time such as 2026-11-18T14:05:00Z, got \(s.quotedInMessage(max: 40)): \(error)")
            }
        }
        return d
    }
}
