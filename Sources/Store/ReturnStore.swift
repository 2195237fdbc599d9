import Foundation
import ReturnsCore

/// A return to issue: the request and what the caller decided about it (carrier, scheme, time).
/// The store does the rest atomically: idempotency, grouping, serial allocation, outbox.
public struct ReturnIssuance: Sendable {
    public var request: ReturnRequest
    public var idempotencyKey: String?
    /// The request's fingerprint (`ReturnRequest.fingerprint()`), stored with the key, so a
    /// reused key with another request is refused.
    public var requestHash: String
    /// The SHA-256 of the body's bytes, which returnd stored as the fingerprint before
    /// 2026-12-07: a byte-identical replay of a request made before then still matches. Stored
    /// in that column again, the fingerprint beside it, so that an older returnd running beside
    /// this one during an upgrade replays a byte-identical retry of this one's request.
    public var bodyHash: String?
    public var now: Date
    public var policy: ReturnPolicy
    public var carrierID: String
    public var warehouseID: String
    public var scheme: TrackingNumberScheme
    public var serialCounterKey: String
    public var serialRange: ClosedRange<Int>
    /// Seconds until a new parcel's first tracking poll.
    public var firstPollDelay: TimeInterval

    public init(
        request: ReturnRequest, idempotencyKey: String?, requestHash: String, bodyHash: String? = nil, now: Date, policy: ReturnPolicy,
        carrierID: String, warehouseID: String, scheme: TrackingNumberScheme, serialCounterKey: String,
        serialRange: ClosedRange<Int>, firstPollDelay: TimeInterval = 3600
    ) {
        self.bodyHash = bodyHash
        self.firstPollDelay = firstPollDelay
        self.request = request
        self.idempotencyKey = idempotencyKey
        self.requestHash = requestHash
        self.now = now
        self.policy = policy
        self.carrierID = carrierID
        self.warehouseID = warehouseID
        self.scheme = scheme
        self.serialCounterKey = serialCounterKey
        self.serialRange = serialRange
    }
}

public struct ReturnIssuanceOutcome: Sendable {
    public enum Kind: String, Sendable {
        /// A new parcel with a new label.
        case created
        /// The items joined the buyer's open parcel for this seller; its label was re-rendered.
        case joined
        /// Their order's free label was used already (DOMAIN.md): a new package with no label of
        /// its own, going back under that label's tracking number, written by hand.
        case reusedLabel = "reused_label"
        /// The same Idempotency-Key and body were seen before: nothing changed.
        case replayed
    }

    public var parcel: Parcel
    public var kind: Kind

    public init(parcel: Parcel, kind: Kind) {
        self.parcel = parcel
        self.kind = kind
    }
}

public struct ParcelCount: Sendable, Hashable, Codable {
    public var status: ParcelStatus
    public var country: String
    public var count: Int
    /// Of those, the ones waiting longer than their status should last: parcels at the
    /// warehouse not inspected (unchanged) since before the count's `inspectionOverdueBefore`.
    /// 0 for every other status.
    public var overdue: Int

    public init(status: ParcelStatus, country: String, count: Int, overdue: Int = 0) {
        self.status = status
        self.country = country
        self.count = count
        self.overdue = overdue
    }

    enum CodingKeys: String, CodingKey { case status, country, count, overdue }

    /// Counts stored before `overdue` existed read as 0 overdue.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(status: try c.decode(ParcelStatus.self, forKey: .status), country: try c.decode(String.self, forKey: .country),
                  count: try c.decode(Int.self, forKey: .count), overdue: try c.decodeIfPresent(Int.self, forKey: .overdue) ?? 0)
    }
}

/// Which parcels `returnctl parcel list` shows; nil matches any.
public struct ParcelFilter: Sendable, Hashable {
    public var status: ParcelStatus?
    public var country: String?
    public var carrierID: String?
    public var warehouseID: String?
    /// Only parcels whose last change (a status, or items joining) is older than this.
    public var changedBefore: Date?
    /// Only boxes that need an operator, as returnd could not move them on: read at the wrong
    /// warehouse and not received at their own since; read after they expired (or were
    /// cancelled); or reported by their carrier after that (a box it took under a dead label).
    public var flaggedReads: Bool
    /// Only parcels holding an item of this dispute: the marketplace's id, what an auditor has.
    public var disputeID: String?
    /// Only parcels their carrier reported at the warehouse that no scanner there has read: the
    /// boxes to look for (`parcel.arrival_unconfirmed`, once they are overdue).
    public var unscannedArrivals: Bool

    public init(
        status: ParcelStatus? = nil, country: String? = nil, carrierID: String? = nil, warehouseID: String? = nil, changedBefore: Date? = nil,
        flaggedReads: Bool = false, disputeID: String? = nil, unscannedArrivals: Bool = false
    ) {
        self.unscannedArrivals = unscannedArrivals
        self.status = status
        self.country = country
        self.carrierID = carrierID
        self.warehouseID = warehouseID
        self.changedBefore = changedBefore
        self.flaggedReads = flaggedReads
        self.disputeID = disputeID
    }
}

/// A parcel as an operator's list shows it: no items, no history.
public struct ParcelListing: Sendable, Hashable, Codable {
    public var id: String
    /// A package under a used label shows that label's number.
    public var trackingNumber: String
    public var carrierID: String
    public var country: String
    public var status: ParcelStatus
    public var warehouseID: String
    public var createdAt: Date
    /// When returnd last changed it: its status, or items joining it.
    public var changedAt: Date
    public var labelOf: String?
}

/// Up to a limit of the parcels a filter matches, least recently changed first, and how many match.
public struct ParcelListPage: Sendable, Hashable, Codable {
    public var parcels: [ParcelListing]
    public var matching: Int
}

/// A count of every parcel by status and country, when and by which counting service it was made.
public struct ParcelCountSnapshot: Sendable, Hashable {
    public var counts: [ParcelCount]
    public var countedAt: Date
    /// The counting service's own id (one per process), so it knows its own count from another
    /// instance's.
    public var countedBy: String

    public init(counts: [ParcelCount], countedAt: Date, countedBy: String) {
        self.counts = counts
        self.countedAt = countedAt
        self.countedBy = countedBy
    }
}

public struct SerialCounterUsage: Sendable, Hashable, Codable {
    public var key: String
    public var next: Int
    public var last: Int
    public var remaining: Int { max(0, last - next + 1) }
}

public enum StoreError: Error, Sendable, CustomStringConvertible {
    case notFound(String)
    case corrupt(String)
    /// The database refused; the sentence says what it reported.
    case database(String)
    /// The database could not be reached, or went away during the call (a restart, a failover,
    /// the network), or cannot take the call now (SQLite: a full disk, an I/O error, a lock held
    /// elsewhere). A write under way may or may not have landed: callers retry with the same
    /// idempotency key, which is safe either way.
    case unavailable(String)

    public var description: String {
        switch self {
        case .notFound(let s): "not found: \(s)"
        case .corrupt(let s): "stored data is inconsistent: \(s)"
        case .database(let s): s
        case .unavailable(let s): "database unavailable: \(s)"
        }
    }
}

/// Everything returnd keeps, behind intent-named operations. `SQLReturnStore` implements it
/// on SQLite (the embedded default) and on PostgreSQL (several instances), with the same
/// conformance tests.
public protocol ReturnStore: Sendable {
    /// Creates or upgrades the schema.
    func migrate() async throws
    /// Cheap round trip for `/readyz`.
    func ping() async throws
    /// Closes connections; the store is not used afterwards.
    func close() async throws

    /// Applies a return request: replays an idempotent repeat, refuses an item already in a
    /// parcel, adds to the open parcel of (buyer, seller) or opens a new one with a freshly
    /// allocated tracking number (or, when the order's free label was used already, a package
    /// under that label's number), and writes the `return.label_issued` event, all in one commit.
    /// Throws `ReturnRefusal` for business refusals.
    func issueReturn(_ issuance: ReturnIssuance) async throws -> ReturnIssuanceOutcome

    func parcel(id: String) async throws -> Parcel?
    /// The parcel whose own label carries this number, not the packages reusing that label.
    func parcel(trackingNumber: String) async throws -> Parcel?
    func parcel(returnCode: String) async throws -> Parcel?
    /// The packages going back under this parcel's used label, oldest first.
    func packages(reusingLabelOf parcelID: String) async throws -> [Parcel]

    func serialCounters() async throws -> [SerialCounterUsage]
    /// How many parcels are in each status, per country: reads every parcel (`ParcelCountsService`).
    /// Every parcel counted by status and country; `inspectionOverdueBefore`: parcels at the
    /// warehouse unchanged since before it are counted `overdue` too, in the same pass.
    func parcelCounts(inspectionOverdueBefore: Date?) async throws -> [ParcelCount]
    /// The parcels `filter` matches, least recently changed first (a parcel stuck in its status
    /// leads), at most `limit`, and how many match. Reads every parcel: an operator's read
    /// (`returnctl parcel list`), never on a schedule.
    func parcels(_ filter: ParcelFilter, limit: Int) async throws -> ParcelListPage
    /// The count `ParcelCountsService` last stored, by any instance; nil before the first.
    func parcelCountSnapshot() async throws -> ParcelCountSnapshot?
    /// Replaces the stored count.
    func saveParcelCountSnapshot(_ snapshot: ParcelCountSnapshot) async throws

    /// Moves a parcel through the state machine and writes its history row and one dispute
    /// event per dispute in the same commit; a repeat changes nothing. Throws
    /// `ParcelStateMachine.IllegalTransition`, or `StoreError.notFound`.
    func changeStatus(_ change: StatusChangeRequest) async throws -> StatusChangeOutcome
    /// Records a scanner's read; at the parcel's own warehouse it moves the parcel to
    /// `arrived_at_warehouse` (events and all), elsewhere it is kept and flagged. `seen` is the
    /// parcel as the caller already holds it, if it does: the change is then prepared from it
    /// before the write, and used only if the parcel is unchanged. (The scanner route uses
    /// `recordScan`, which resolves the code inside the write.)
    func recordReceipt(_ receipt: WarehouseReceipt, seen: Parcel?) async throws -> ReceiptOutcome
    /// Records a scanner's read with the scanned code resolved inside the write transaction:
    /// `resolve` finds the parcel (or refuses the code, and nothing is written; the refusal is
    /// thrown), `receipt` makes the receipt for it. Under a stream of commits a read before the
    /// write was the larger part of a receipt's cost: a reader's page cache is stale at every
    /// read, while the writer's holds what it just wrote.
    func recordScan(
        resolve: @escaping @Sendable (any ParcelFinder) throws -> ScanResolution,
        receipt: @escaping @Sendable (Parcel) -> WarehouseReceipt
    ) async throws -> ScannedReceipt
    /// Runs `body` on one consistent read view (resolving a code may take several lookups).
    func findParcel<T: Sendable>(_ body: @escaping @Sendable (any ParcelFinder) throws -> T) async throws -> T
    /// The parcel's latest `limit` receipts, oldest first, and how many it has in all (a box
    /// left under a fixed scanner has a great many).
    func latestReceipts(parcelID: String, limit: Int) async throws -> LatestReceipts
    func inspection(parcelID: String) async throws -> [ItemInspection]

    /// Claims the oldest undelivered event of each dispute, if it is due, not dead and not
    /// claimed by another deliverer, leasing it until `leaseUntil`: delivering only these keeps
    /// every dispute's events in order, and a crashed instance's claim runs out.
    func claimDueEvents(now: Date, limit: Int, leaseUntil: Date) async throws -> [OutboxEntry]
    /// Gives back claimed events that were not sent (the dispute service was found down): due
    /// again at once, no attempt counted.
    func releaseEvents(seqs: [Int64]) async throws
    func markDelivered(seq: Int64, at: Date) async throws
    func markFailed(seq: Int64, nextAttemptAt: Date, error: String) async throws
    func markDead(seq: Int64, at: Date, error: String) async throws
    /// Makes a dead (or pending) event due now; false when no such undelivered event exists.
    func retryEvent(id: String, at: Date) async throws -> Bool
    /// Makes every dead letter due again (after an outage longer than the dead-letter age);
    /// returns how many.
    func retryDeadEvents(at: Date) async throws -> Int
    /// Sets an undelivered (pending or dead) event aside for good, with the operator's reason:
    /// it is kept, never sent, and its dispute's later events no longer wait behind it. For an
    /// event the dispute service refuses however often it is sent. nil when no undelivered event
    /// not already set aside has this id.
    func setAsideEvent(id: String, at: Date, reason: String) async throws -> OutboxEntry?
    func outbox(state: OutboxEntry.State?, limit: Int) async throws -> [OutboxEntry]
    func outboxEntry(id: String) async throws -> OutboxEntry?
    /// Every dispute event of a parcel, oldest first, whatever its state (`returnctl parcel
    /// show`, for whoever audits a dispute).
    func outbox(parcelID: String) async throws -> [OutboxEntry]
    /// Every event of a dispute, oldest first, whatever its state (`returnctl outbox list --dispute`).
    func outbox(disputeID: String) async throws -> [OutboxEntry]
    func outboxStats() async throws -> OutboxStats
    /// The bytes the store takes on disk (`returnctl status`, `returnd_store_bytes`): about
    /// 10 KB a return, kept for good (README, "Disk per return").
    func storeBytes() async throws -> Int
    /// Bytes free on the file system holding a SQLite store (`returnd_store_free_bytes`; at 0
    /// every write is refused, under 128 MiB the WAL is kept small); nil on PostgreSQL, whose
    /// server's disk is its own.
    func storeFreeBytes() async throws -> Int?

    /// Parcels still `label_issued` past their drop-off deadline that may expire now, oldest
    /// deadline first. With `finalCheckWait`, one whose carrier is followed waits for a poll
    /// after its deadline that succeeded (a box handed over at a counter that did not scan it
    /// shows only there), but no longer than that after the deadline: the carrier may be down.
    func overdueLabels(now: Date, limit: Int, finalCheckWait: TimeInterval?) async throws -> [OverdueLabel]
    /// How many unused labels are past their deadline, and the oldest deadline: after the
    /// timers' pass, those waiting for their carrier's word (`returnctl status`, /metrics).
    func labelsPastDeadline(now: Date) async throws -> LabelsPastDeadline
    /// Deletes up to `limit` `Idempotency-Key`s stored before `before`, oldest first, and says
    /// how many (`returns.idempotency_keys_days`). A replay of a forgotten key is a new request:
    /// its items are in a parcel already, so it is refused `item_already_returned`, naming it.
    func forgetIdempotencyKeys(before: Date, limit: Int) async throws -> Int
    /// Parcels a carrier reported at the warehouse before `before` that no scanner has read.
    func unconfirmedArrivals(before: Date) async throws -> [Parcel]

    /// Claims up to `limit` parcels due for a tracking poll (`label_issued`, `dropped_off`,
    /// `in_transit`; never polled, or their time has come), leasing them until `leaseUntil`.
    func claimPollTargets(now: Date, limit: Int, leaseUntil: Date) async throws -> [PollTarget]
    /// Stores new carrier events once, moves the parcel by them (history and dispute events in
    /// the same commit), and schedules the next poll or stops polling a parcel that arrived.
    func recordPoll(_ record: PollRecord) async throws -> PollRecordOutcome
    /// `recordPoll` for many parcels in one transaction (the poller's batch of answers); each
    /// outcome in order. If one fails, the others are still stored and only it has the error.
    func recordPolls(_ records: [PollRecord]) async -> [Result<PollRecordOutcome, any Error>]
    /// Gives back claims without a poll (carrier paused): the parcels are due again at `at`.
    /// One transaction: a pass gives back up to `batch_limit` at once.
    func releasePollTargets(parcelIDs: [String], nextPollAt at: Date) async throws
    func trackingEvents(parcelID: String) async throws -> [TrackingEventRecord]
    func carrierHealth() async throws -> [CarrierHealthSummary]

    /// Reserves up to `count` request slots to `endpoint` within its rate limit, shared by every
    /// instance on this store: none before `now` or the endpoint's hold, none after `notAfter`
    /// (`RequestSlots.nextAt` says when the next could go).
    func reserveRequestSlots(endpoint: String, count: Int, limit: RateLimit, now: Date, notAfter: Date) async throws -> RequestSlots
    /// Gives back the slots after the first `used` (a pass that stopped early), unless another
    /// reservation followed them.
    func releaseRequestSlots(endpoint: String, _ slots: RequestSlots, used: Int) async throws
    /// The endpoint asked to be left alone until `until` (`Retry-After`): every instance's slots
    /// start after it. A shorter hold never shortens a longer one.
    func holdEndpoint(_ endpoint: String, until: Date, reason: String) async throws
    /// Holds still in force at `now`.
    func endpointHolds(now: Date) async throws -> [EndpointHold]
    /// Ends the endpoint's hold now (`returnctl carriers resume`); the hold it ended, or nil
    /// when none was in force.
    func liftEndpointHold(_ endpoint: String, now: Date) async throws -> EndpointHold?

    func createToken(_ token: AccessToken, secretHash: String) async throws
    /// The active (not revoked) token with this secret hash.
    func activeToken(secretHash: String) async throws -> AccessToken?
    func tokens() async throws -> [AccessToken]
    /// Revokes a token; false when no active token has this id.
    func revokeToken(id: String, at: Date) async throws -> Bool
}

extension ReturnStore {
    public func parcelCounts() async throws -> [ParcelCount] {
        try await parcelCounts(inspectionOverdueBefore: nil)
    }

    public func recordReceipt(_ receipt: WarehouseReceipt) async throws -> ReceiptOutcome {
        try await recordReceipt(receipt, seen: nil)
    }

    /// Every receipt of the parcel, oldest first.
    public func receipts(parcelID: String) async throws -> [ReceiptRecord] {
        try await latestReceipts(parcelID: parcelID, limit: .max).receipts
    }
}
