import Carriers
import Foundation
import Labels
import ReturnsCore
import Store

/// The parcel as the API shows it (DESIGN.md: the answer of `POST /v1/returns`).
struct ParcelResponse: Encodable {
    struct Body: Encodable {
        var id: String
        var trackingNumber: String
        var carrier: String
        var carrierName: String
        var service: String
        var country: String
        var status: ParcelStatus
        var returnCode: String
        var qrPayload: String
        var labelRequired: Bool
        /// A package going back under another parcel's used label: that parcel's id.
        var reusesLabelOf: String?
        var items: [ParcelItem]
        var itemCount: Int
        var disputes: [String]
        var seller: Seller
        /// Absent for a package reusing another parcel's label (it has none to print) and for a
        /// closed parcel (its label is void).
        var labelURL: String?
        var labelURLs: [String: String]?
        var dropOffBy: Date
        var fasterRefundBy: Date
        var warehouse: Warehouse
        var createdAt: Date
        var labelVersion: Int
        var labelIssuedAt: Date
        var history: [StatusChange]?
        var trackingEvents: [TrackingEventBody]?
        var receipts: [ReceiptRecord]?
        /// Every read of the parcel, where `receipts` lists the latest `receiptsListed`.
        var receiptCount: Int?
        var inspection: [ItemInspection]?
        /// `GET /v1/parcels/{id}` of a labelled parcel: the packages going back under its label.
        var packagesUnderLabel: [String]?

        enum CodingKeys: String, CodingKey {
            case id, carrier, service, country, status, items, disputes, seller, warehouse, history, receipts, inspection
            case trackingNumber = "tracking_number", carrierName = "carrier_name", returnCode = "return_code"
            case qrPayload = "qr_payload", labelRequired = "label_required", itemCount = "item_count", reusesLabelOf = "reuses_label_of"
            case labelURL = "label_url", labelURLs = "label_urls", dropOffBy = "drop_off_by"
            case fasterRefundBy = "faster_refund_by", createdAt = "created_at", labelVersion = "label_version"
            case labelIssuedAt = "label_issued_at"
            case trackingEvents = "tracking_events", packagesUnderLabel = "packages_under_label", receiptCount = "receipt_count"
        }
    }

    var parcel: Body

    /// How many of a parcel's receipts `GET /v1/parcels/{id}` lists, the latest (1,000 reads
    /// are about 150 KB of JSON); `receipt_count` counts them all, `returnctl parcel show --receipts 0` lists them.
    static let receiptsListed = 1000

    /// `now`: a label past its deadline is listed as dead before the timers expire its return.
    init(_ content: LabelContent, baseURL: String, detailed: Bool, now: Date) {
        let p = content.parcel
        let live = p.hasLiveLabel(at: now)
        let label = "\(baseURL)/v1/parcels/\(p.id)/label"
        parcel = Body(
            id: p.id, trackingNumber: p.trackingNumber, carrier: p.carrierID, carrierName: content.carrier.carrierName,
            service: content.carrier.serviceName, country: p.country, status: p.status,
            returnCode: ReturnCode.display(p.returnCode), qrPayload: content.qrPayload,
            labelRequired: live && content.carrier.handover == .label, reusesLabelOf: p.labelOf,
            items: p.items, itemCount: p.itemCount, disputes: p.disputeIDs, seller: p.seller,
            labelURL: live ? label + "?format=pdf" : nil,
            labelURLs: live ? Dictionary(uniqueKeysWithValues: LabelFormat.allCases.map { ($0.rawValue, label + "?format=\($0.rawValue)") }) : nil,
            dropOffBy: p.dropOffBy, fasterRefundBy: p.fasterRefundBy, warehouse: content.carrier.warehouse,
            createdAt: p.createdAt, labelVersion: p.labelVersion, labelIssuedAt: p.labelIssuedAt,
            history: detailed ? p.history : nil, trackingEvents: nil)
    }
}

/// A carrier event as the parcel answer lists it. `before_issue` marks one dated more than a day
/// before the parcel was issued: stored, but it moved nothing (the carrier used the number before).
/// `after_close` marks one stored after the return expired or was cancelled: it moved nothing.
struct TrackingEventBody: Encodable {
    var event: TrackingEventRecord
    var beforeIssue: Bool
    var afterClose = false

    enum CodingKeys: String, CodingKey {
        case beforeIssue = "before_issue", afterClose = "after_close"
    }

    func encode(to encoder: any Encoder) throws {
        try event.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        if beforeIssue { try container.encode(true, forKey: .beforeIssue) }
        if afterClose { try container.encode(true, forKey: .afterClose) }
    }
}
