import Foundation

/// The parcel's life: `label_issued → dropped_off → in_transit → arrived_at_warehouse → inspected`,
/// plus `expired` (not dropped off in time) and `cancelled`. Pure: the store applies the answer
/// and writes the history row and dispute events in the same transaction.
public enum ParcelStateMachine {
    public enum Outcome: Equatable, Sendable {
        /// The parcel moves to a new status.
        case moved(ParcelStatus)
        /// A repeat, or news older than what we know (a late kiosk scan after the carrier's
        /// transit scan): harmless, nothing changes.
        case unchanged
    }

    public struct IllegalTransition: Error, Equatable, Sendable, CustomStringConvertible {
        public var from: ParcelStatus
        public var to: ParcelStatus

        public init(from: ParcelStatus, to: ParcelStatus) {
            self.from = from
            self.to = to
        }

        public var description: String { "a parcel that is \(from.rawValue) cannot become \(to.rawValue)" }
    }

    /// Position on the main line; the side exits (expired, cancelled) have none.
    static func rank(_ s: ParcelStatus) -> Int? {
        switch s {
        case .labelIssued: 0
        case .droppedOff: 1
        case .inTransit: 2
        case .arrivedAtWarehouse: 3
        case .inspected: 4
        case .expired, .cancelled: nil
        }
    }

    public static func apply(_ target: ParcelStatus, to current: ParcelStatus) throws(IllegalTransition) -> Outcome {
        if target == current { return .unchanged }
        switch (current, target) {
        case (.expired, _), (.cancelled, _), (.inspected, .expired), (.inspected, .cancelled):
            throw IllegalTransition(from: current, to: target)
        case (.labelIssued, .expired), (.labelIssued, .cancelled), (.droppedOff, .cancelled):
            return .moved(target)
        case (_, .expired), (_, .cancelled):
            throw IllegalTransition(from: current, to: target)
        case (_, .inspected) where current != .arrivedAtWarehouse:
            // Inspection needs the parcel in the warehouse first.
            throw IllegalTransition(from: current, to: target)
        default:
            let from = rank(current)!, to = rank(target)!
            // Steps may be skipped (no kiosk scan, a scanner before any carrier event), never undone.
            // An inspected parcel is the end of the line, and what comes after it is old news: a
            // scanner's retried read, or the carrier's delivery scan posted after the inspection.
            return to > from ? .moved(target) : .unchanged
        }
    }
}

extension ParcelStatus {
    /// The dispute event a move to this status sends.
    public var disputeEvent: DisputeEvent.Kind? {
        switch self {
        case .labelIssued: .labelIssued
        case .droppedOff: .droppedOff
        case .inTransit: .inTransit
        case .arrivedAtWarehouse: .arrivedAtWarehouse
        case .inspected: .inspected
        case .expired: .expired
        case .cancelled: nil
        }
    }

    public var isFinal: Bool { self == .inspected || self == .expired || self == .cancelled }

    /// Ended without arriving: nothing can be dropped off or received any more.
    public var isClosed: Bool { self == .expired || self == .cancelled }
}

extension Parcel {
    /// Why a closed parcel can no longer be dropped off or received, said the same at the kiosk
    /// and at the warehouse; nil while it can.
    public var closedReason: String? {
        switch status {
        case .expired: expiredReason
        case .cancelled: "was cancelled"
        default: nil
        }
    }

    /// `closedReason`, or the same words for an unused label past its deadline that the timers
    /// have not expired yet (they wait for the carrier's word): a kiosk must not take it then.
    public func closedReason(at now: Date) -> String? {
        closedReason ?? (status == .labelIssued && dropOffBy < now ? expiredReason : nil)
    }

    var expiredReason: String { "expired on \(dropOffBy.formatted(.iso8601)) without being dropped off" }
}

/// The warehouse's verdict on one item of a parcel.
public struct ItemInspection: Codable, Hashable, Sendable {
    public enum Outcome: String, Codable, Sendable {
        case accepted, rejected

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            let raw = try c.decode(String.self)
            // Foundation's own words ("Cannot initialize Outcome from invalid String value") name a Swift type.
            guard let outcome = Outcome(rawValue: raw) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "must be accepted or rejected, not \(raw.quotedInMessage(max: 20))")
            }
            self = outcome
        }
    }

    public var sku: String
    public var disputeID: String?
    public var outcome: Outcome
    /// Why an item was rejected (used, seal broken, missing parts...); required for rejections.
    public var reason: String?

    public init(sku: String, disputeID: String? = nil, outcome: Outcome, reason: String? = nil) {
        self.sku = sku
        self.disputeID = disputeID
        self.outcome = outcome
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case sku, outcome, reason
        case disputeID = "dispute_id"
    }
}

public enum InspectionRules {
    /// Every item of the parcel judged exactly once, rejections with a reason.
    public static func validate(_ results: [ItemInspection], parcel: Parcel) throws(ReturnRefusal) {
        _ = try judgedItems(results, parcel: parcel)
    }

    /// The parcel item each verdict judges, in the verdicts' order, once `validate`'s rules hold.
    /// Items are found through two dictionaries built once: searching the items for each
    /// verdict cost verdicts × items, inside the write (a million steps for 1,000 items).
    public static func judgedItems(_ results: [ItemInspection], parcel: Parcel) throws(ReturnRefusal) -> [ParcelItem] {
        var bySku: [String: [Int]] = [:]
        var byKey: [ItemKey: Int] = [:]
        for (i, item) in parcel.items.enumerated() {
            bySku[item.sku, default: []].append(i)
            byKey[ItemKey(disputeID: item.disputeID, sku: item.sku)] = i
        }
        var judged = [Bool](repeating: false, count: parcel.items.count)
        var items: [ParcelItem] = []
        items.reserveCapacity(results.count)
        for r in results {
            let index: Int?
            if let dispute = r.disputeID {
                index = byKey[ItemKey(disputeID: dispute, sku: r.sku)]
            } else {
                let candidates = bySku[r.sku] ?? []
                guard candidates.count <= 1 else {
                    throw ReturnRefusal(.invalidRequest, "sku \(r.sku) appears in several disputes of parcel \(parcel.id); give its dispute_id")
                }
                index = candidates.first
            }
            guard let index else {
                // The sku is there under another dispute: say so, or the scanner reads "not in
                // parcel" for an item it holds in its hand.
                if let dispute = r.disputeID, let others = bySku[r.sku] {
                    throw ReturnRefusal(.invalidRequest, "item \(r.sku.quotedInMessage()) of dispute \(dispute.quotedInMessage()) is not in parcel \(parcel.id); it is there for dispute \(others.map { parcel.items[$0].disputeID }.joined(separator: ", "))")
                }
                throw ReturnRefusal(.invalidRequest, "item \(r.sku.quotedInMessage()) is not in parcel \(parcel.id)")
            }
            guard !judged[index] else { throw ReturnRefusal(.invalidRequest, "item \(r.sku) is judged twice") }
            judged[index] = true
            // A reason must say something: only spaces or invisible characters say nothing.
            if r.outcome == .rejected && FieldText.showsNothing(r.reason ?? "") {
                throw ReturnRefusal(.invalidRequest, "rejected item \(r.sku) needs a reason")
            }
            // The reason goes to the marketplace in the dispute event: bounded, no control characters.
            if let reason = r.reason, let problem = FieldText.problem(reason, max: 500, mayBeBlank: true) {
                throw ReturnRefusal(.invalidRequest, "the reason for item \(r.sku) \(problem)")
            }
            items.append(parcel.items[index])
        }
        if let missing = judged.firstIndex(of: false) {
            let item = parcel.items[missing]
            throw ReturnRefusal(.invalidRequest, "item \(item.sku) of dispute \(item.disputeID) has no outcome; judge every item of the parcel")
        }
        return items
    }

    /// What the refund covers: quantity × unit price of the accepted items, per currency, for
    /// every dispute of the parcel (none accepted is an empty list), in one pass over the items:
    /// asked per dispute, the items and the verdicts were searched again for each dispute.
    public static func acceptedAmounts(_ results: [ItemInspection], parcel: Parcel) -> [String: [Money]] {
        // The first verdict that names the item, by its dispute or by its sku alone, counts.
        var byKey: [ItemKey: (order: Int, outcome: ItemInspection.Outcome)] = [:]
        var bySku: [String: (order: Int, outcome: ItemInspection.Outcome)] = [:]
        for (order, r) in results.enumerated() {
            if let dispute = r.disputeID {
                let key = ItemKey(disputeID: dispute, sku: r.sku)
                if byKey[key] == nil { byKey[key] = (order, r.outcome) }
            } else if bySku[r.sku] == nil {
                bySku[r.sku] = (order, r.outcome)
            }
        }
        var totals: [String: [String: (sum: Decimal, fractionDigits: Int)]] = [:]
        for dispute in parcel.disputeIDs { totals[dispute] = [:] }
        for item in parcel.items {
            let named = byKey[ItemKey(disputeID: item.disputeID, sku: item.sku)], bare = bySku[item.sku]
            let verdict = [named, bare].compactMap { $0 }.min { $0.order < $1.order }
            guard verdict?.outcome == .accepted, let price = item.unitPrice.decimalValue else { continue }
            let total = totals[item.disputeID]?[item.unitPrice.currency] ?? (0, 0)
            totals[item.disputeID, default: [:]][item.unitPrice.currency] =
                (total.sum + price * Decimal(item.quantity), max(total.fractionDigits, item.unitPrice.fractionDigits))
        }
        // Written with as many decimals as the prices had: 2 × 9.95 is 19.90, as a refund is written, not 19.9.
        return totals.mapValues { byCurrency in
            byCurrency.keys.sorted().map { Money(amount: Money.text(byCurrency[$0]!.sum, fractionDigits: byCurrency[$0]!.fractionDigits), currency: $0) }
        }
    }

    struct ItemKey: Hashable {
        var disputeID: String
        var sku: String
    }
}
