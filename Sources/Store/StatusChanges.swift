import Foundation
import ReturnsCore

/// A status change reported by a kiosk, carrier, scanner, operator or timer.
public struct StatusChangeRequest: Sendable {
    public var parcelID: String
    public var status: ParcelStatus
    public var source: StatusSource
    public var occurredAt: Date
    public var detail: String?
    /// Service point or warehouse.
    public var location: String?
    /// Required for `inspected`.
    public var inspection: [ItemInspection]?

    public init(parcelID: String, status: ParcelStatus, source: StatusSource, occurredAt: Date, detail: String? = nil, location: String? = nil, inspection: [ItemInspection]? = nil) {
        self.parcelID = parcelID
        self.status = status
        self.source = source
        self.occurredAt = occurredAt
        self.detail = detail
        self.location = location
        self.inspection = inspection
    }
}

public struct StatusChangeOutcome: Sendable {
    public var parcel: Parcel
    /// False for a harmless repeat: nothing was written.
    public var changed: Bool
}

/// A warehouse scanner's read of a parcel.
public struct WarehouseReceipt: Sendable {
    public var parcelID: String
    public var warehouseID: String
    public var code: String
    public var scannedAt: Date
    public var receivedAt: Date
    public var scannerTokenID: String

    public init(parcelID: String, warehouseID: String, code: String, scannedAt: Date, receivedAt: Date, scannerTokenID: String) {
        self.parcelID = parcelID
        self.warehouseID = warehouseID
        self.code = code
        self.scannedAt = scannedAt
        self.receivedAt = receivedAt
        self.scannerTokenID = scannerTokenID
    }
}

public struct ReceiptRecord: Codable, Hashable, Sendable {
    public var warehouseID: String
    public var scannedAt: Date
    public var receivedAt: Date
    /// The parcel was read at a warehouse other than the one its label sends it to.
    public var misrouted: Bool
    public var scanner: String

    enum CodingKeys: String, CodingKey {
        case misrouted, scanner
        case warehouseID = "warehouse_id", scannedAt = "scanned_at", receivedAt = "received_at"
    }
}

public enum ReceiptOutcome: Sendable {
    /// The parcel is now (or was already) at its warehouse.
    case arrived(StatusChangeOutcome)
    /// Read at the wrong warehouse: recorded and flagged, status unchanged.
    case misrouted(parcel: Parcel, expectedWarehouse: String)
    /// The parcel expired (or was cancelled), so it cannot arrive, yet a box is at the warehouse:
    /// the read is recorded, the status unchanged, and what happens next is an operator's call.
    case closed(parcel: Parcel)
}

/// Looks parcels up inside a transaction: how a scanned code is resolved to its parcel, in a
/// read or inside the write that records the scan.
public protocol ParcelFinder {
    func parcel(id: String) throws -> Parcel?
    /// The parcel whose own label carries this number.
    func parcel(trackingNumber: String) throws -> Parcel?
    func parcel(returnCode: String) throws -> Parcel?
    /// The packages going back under this parcel's used label, oldest first.
    func packages(reusingLabelOf parcelID: String) throws -> [Parcel]
    /// Which of these parcels this warehouse has read.
    func receivedPackages(among ids: [String], at warehouseID: String) throws -> Set<String>
    /// Which of these parcels this very read (warehouse, scan time) was recorded for: a
    /// scanner's retry goes where the first attempt went.
    func package(among ids: [String], readAt warehouseID: String, scannedAt: Date) throws -> String?
}

/// What a scanned code resolved to: the parcel, or the refusal to answer with (an unknown or
/// forged code). A refusal writes nothing and is not a failed write.
public enum ScanResolution: Sendable {
    case found(Parcel)
    case refused(any Error)
}

/// A scan recorded by `recordScan`: its outcome, and every receipt of the parcel with this one,
/// oldest first (what the scanner is answered).
public struct ScannedReceipt: Sendable {
    /// How many of the parcel's receipts a scanner's answer lists (the latest; every one is
    /// stored, and `returnctl parcel show --receipts 0` lists them all).
    public static let latestCount = 20

    public var outcome: ReceiptOutcome
    /// The parcel's latest `latestCount` receipts, oldest first.
    public var receipts: [ReceiptRecord]
}

/// A parcel's latest receipts, oldest first, and the number of its receipts in all.
public struct LatestReceipts: Sendable {
    public var receipts: [ReceiptRecord]
    public var total: Int

    public init(receipts: [ReceiptRecord], total: Int) {
        self.receipts = receipts
        self.total = total
    }
}

/// One dispute event waiting for, or done with, delivery.
public struct OutboxEntry: Codable, Hashable, Sendable {
    public enum State: String, Codable, Sendable, CaseIterable { case pending, delivered, dead, setAside = "set_aside" }

    public var seq: Int64
    public var eventID: String
    public var disputeID: String
    public var parcelID: String
    public var type: String
    public var payload: String
    public var createdAt: Date
    public var attempts: Int
    public var nextAttemptAt: Date?
    public var lastError: String?
    public var deliveredAt: Date?
    public var deadAt: Date?
    /// When an operator last replayed it: the dead-letter age counts from here.
    public var retriedAt: Date?
    /// When an operator set it aside (`returnctl outbox set-aside`): kept, never sent again, and
    /// no longer holding back its dispute's later events; and the operator's reason.
    public var setAsideAt: Date?
    public var setAsideReason: String?

    /// Delivered wins: a delivery already under way when the event was set aside still counts.
    public var state: State { deliveredAt != nil ? .delivered : setAsideAt != nil ? .setAside : deadAt != nil ? .dead : .pending }

    enum CodingKeys: String, CodingKey {
        case seq, type, payload, attempts, state
        case eventID = "event_id", disputeID = "dispute_id", parcelID = "parcel_id", createdAt = "created_at"
        case nextAttemptAt = "next_attempt_at", lastError = "last_error", deliveredAt = "delivered_at", deadAt = "dead_at"
        case retriedAt = "retried_at", setAsideAt = "set_aside_at", setAsideReason = "set_aside_reason"
    }

    public init(seq: Int64, eventID: String, disputeID: String, parcelID: String, type: String, payload: String, createdAt: Date,
                attempts: Int, nextAttemptAt: Date?, lastError: String?, deliveredAt: Date?, deadAt: Date?, retriedAt: Date? = nil,
                setAsideAt: Date? = nil, setAsideReason: String? = nil) {
        self.retriedAt = retriedAt
        self.setAsideAt = setAsideAt
        self.setAsideReason = setAsideReason
        self.seq = seq
        self.eventID = eventID
        self.disputeID = disputeID
        self.parcelID = parcelID
        self.type = type
        self.payload = payload
        self.createdAt = createdAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.deliveredAt = deliveredAt
        self.deadAt = deadAt
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            seq: try c.decode(Int64.self, forKey: .seq), eventID: try c.decode(String.self, forKey: .eventID),
            disputeID: try c.decode(String.self, forKey: .disputeID), parcelID: try c.decode(String.self, forKey: .parcelID),
            type: try c.decode(String.self, forKey: .type), payload: try c.decode(String.self, forKey: .payload),
            createdAt: try c.decode(Date.self, forKey: .createdAt), attempts: try c.decode(Int.self, forKey: .attempts),
            nextAttemptAt: try c.decodeIfPresent(Date.self, forKey: .nextAttemptAt), lastError: try c.decodeIfPresent(String.self, forKey: .lastError),
            deliveredAt: try c.decodeIfPresent(Date.self, forKey: .deliveredAt), deadAt: try c.decodeIfPresent(Date.self, forKey: .deadAt),
            retriedAt: try c.decodeIfPresent(Date.self, forKey: .retriedAt),
            setAsideAt: try c.decodeIfPresent(Date.self, forKey: .setAsideAt), setAsideReason: try c.decodeIfPresent(String.self, forKey: .setAsideReason))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(eventID, forKey: .eventID)
        try c.encode(disputeID, forKey: .disputeID)
        try c.encode(parcelID, forKey: .parcelID)
        try c.encode(type, forKey: .type)
        try c.encode(payload, forKey: .payload)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(attempts, forKey: .attempts)
        try c.encodeIfPresent(nextAttemptAt, forKey: .nextAttemptAt)
        try c.encodeIfPresent(lastError, forKey: .lastError)
        try c.encodeIfPresent(deliveredAt, forKey: .deliveredAt)
        try c.encodeIfPresent(deadAt, forKey: .deadAt)
        try c.encodeIfPresent(retriedAt, forKey: .retriedAt)
        try c.encodeIfPresent(setAsideAt, forKey: .setAsideAt)
        try c.encodeIfPresent(setAsideReason, forKey: .setAsideReason)
        try c.encode(state, forKey: .state)
    }
}

public struct OutboxStats: Sendable, Codable {
    public var pending: Int
    public var dead: Int
    public var oldestPendingCreatedAt: Date?
}

/// A status change worked out before its write transaction (`SQLReturnStore.plan`).
struct PlannedChange: Sendable {
    var request: StatusChangeRequest
    /// The parcel it was worked out on; applying it is right only while the parcel is unchanged.
    var seen: Parcel
    var moved: Parcel
    var detail: String?
    /// Nil for an inspection: its events are made from the verdicts as stored.
    var events: [PlannedEvent]?
}

/// A dispute event and its payload, encoded ahead of the write.
struct PlannedEvent: Sendable {
    var event: DisputeEvent
    var payload: String
}

/// Unused labels past their deadline (`ReturnStore.labelsPastDeadline`).
public struct LabelsPastDeadline: Codable, Hashable, Sendable {
    public var count: Int
    public var oldestDeadline: Date?

    public init(count: Int, oldestDeadline: Date?) {
        self.count = count
        self.oldestDeadline = oldestDeadline
    }
}

/// A label past its drop-off deadline that may expire now (`ReturnStore.overdueLabels`).
public struct OverdueLabel: Sendable, Hashable {
    public var parcelID: String
    /// The successful poll after the deadline that still found no drop-off; nil if none was made.
    public var checkedAt: Date?
    /// Whether its carrier was to be asked (the parcel is followed and the check was waited for).
    public var wasToBeChecked: Bool
    /// Why the last poll failed, when the wait for a check ran out.
    public var lastPollError: String?

    public init(parcelID: String, checkedAt: Date?, wasToBeChecked: Bool, lastPollError: String?) {
        self.parcelID = parcelID
        self.checkedAt = checkedAt
        self.wasToBeChecked = wasToBeChecked
        self.lastPollError = lastPollError
    }
}
