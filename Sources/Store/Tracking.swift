import Foundation
import ReturnsCore

/// A parcel the poller should ask its carrier about now, claimed under a lease so that no
/// other poller (another instance) asks at the same time.
public struct PollTarget: Sendable, Hashable {
    public var parcelID: String
    public var carrierID: String
    public var trackingNumber: String
    public var status: ParcelStatus
    /// Polls in a row that brought nothing new (drives the adaptive interval).
    public var unchangedPolls: Int
    public var failures: Int
    /// `TrackingEventRecord.digest` of the carrier's last answer, if there was one.
    public var eventsDigest: String?
    /// The last stored answer's bytes, digested (`PollRecord.answerDigest`): the same bytes again
    /// need no reading.
    public var answerDigest: String?
    /// The parcel's drop-off deadline while its label is unused: the poll schedule keeps a poll
    /// at that time, the check the expiry waits for (`ReturnStore.overdueLabels`).
    public var dropOffBy: Date?

    public init(parcelID: String, carrierID: String, trackingNumber: String, status: ParcelStatus, unchangedPolls: Int, failures: Int, eventsDigest: String? = nil,
                answerDigest: String? = nil, dropOffBy: Date? = nil) {
        self.parcelID = parcelID
        self.carrierID = carrierID
        self.trackingNumber = trackingNumber
        self.status = status
        self.unchangedPolls = unchangedPolls
        self.failures = failures
        self.eventsDigest = eventsDigest
        self.answerDigest = answerDigest
        self.dropOffBy = dropOffBy
    }
}

/// How following a carrier's parcels goes, from the poll schedule (`returnctl status`).
public struct CarrierHealthSummary: Codable, Hashable, Sendable {
    public var carrierID: String
    public var followed: Int
    /// Parcels whose last poll failed.
    public var failing: Int
    public var lastPolledAt: Date?
    public var lastError: String?

    public init(carrierID: String, followed: Int, failing: Int, lastPolledAt: Date?, lastError: String?) {
        self.carrierID = carrierID
        self.followed = followed
        self.failing = failing
        self.lastPolledAt = lastPolledAt
        self.lastError = lastError
    }

    enum CodingKeys: String, CodingKey {
        case followed, failing
        case carrierID = "carrier", lastPolledAt = "last_polled_at", lastError = "last_error"
    }
}

/// A carrier event as stored: the canonical status it implies is applied by the store.
public struct TrackingEventRecord: Codable, Hashable, Sendable {
    public var code: String
    public var description: String
    public var occurredAt: Date
    public var location: String?
    /// The canonical status it moves the parcel to, if any.
    public var status: ParcelStatus?
    /// When returnd stored it; nil for one just read from the carrier. Not part of the answer's JSON.
    public var recordedAt: Date?

    public init(code: String, description: String, occurredAt: Date, location: String?, status: ParcelStatus?, recordedAt: Date? = nil) {
        self.code = code
        self.description = description
        self.occurredAt = occurredAt
        self.location = location
        self.status = status
        self.recordedAt = recordedAt
    }

    enum CodingKeys: String, CodingKey {
        case code, description, location, status
        case occurredAt = "occurred_at"
    }

    /// Names a carrier answer by what the store keys its events on (code and time), in any
    /// order: two answers with the same digest store the same events.
    public static func digest(_ events: [TrackingEventRecord]) -> String {
        let keys = events.map { "\($0.code)\u{1F}\(Int64(($0.occurredAt.timeIntervalSince1970 * 1000).rounded()))" }.sorted()
        return SHA256Hex.digest(keys.joined(separator: "\u{1E}").utf8)
    }
}

/// What one poll found for one parcel, and when to ask again.
public struct PollRecord: Sendable {
    public enum Outcome: Sendable, Equatable {
        case events([TrackingEventRecord])
        /// The carrier sent the very bytes of the answer last stored for the parcel
        /// (`PollTarget.answerDigest`): its events are all stored already, so it was not read.
        case sameAnswer
        case notFound
        case failed(String)
    }

    public var parcelID: String
    public var outcome: Outcome
    public var polledAt: Date
    /// When to poll again if nothing was new (polling stops once the parcel arrived)...
    public var nextPollAt: Date
    /// ...and if the poll brought new events.
    public var nextPollAfterNews: Date
    /// The digest the schedule held when the parcel was claimed (`PollTarget.eventsDigest`):
    /// an answer with the same digest only moves the schedule on.
    public var knownDigest: String?
    /// The parcel's status at the claim (`PollTarget.status`): a quiet answer then checks that
    /// it still holds instead of reading it again.
    public var knownStatus: ParcelStatus?
    /// This answer's status, requested numbers and bytes, digested: stored with its events (or
    /// with the schedule, for `.sameAnswer`), so that the same bytes next time skip reading.
    public var answerDigest: String?

    public init(parcelID: String, outcome: Outcome, polledAt: Date, nextPollAt: Date, nextPollAfterNews: Date? = nil, knownDigest: String? = nil,
                knownStatus: ParcelStatus? = nil, answerDigest: String? = nil) {
        self.parcelID = parcelID
        self.outcome = outcome
        self.polledAt = polledAt
        self.nextPollAt = nextPollAt
        self.nextPollAfterNews = nextPollAfterNews ?? nextPollAt
        self.knownDigest = knownDigest
        self.knownStatus = knownStatus
        self.answerDigest = answerDigest
    }
}

public struct PollRecordOutcome: Sendable {
    /// The parcel's status after the poll.
    public var status: ParcelStatus
    /// Events seen for the first time (a repeat poll stores nothing twice).
    public var newEvents: [TrackingEventRecord]
    /// Status changes the events caused, in order.
    public var statusChanges: [ParcelStatus]
    /// New events dated more than a day before the parcel was issued: stored, but moving nothing
    /// (`TrackingEventRecord.isBeforeIssue(of:)`). They are another parcel's, under a number the carrier
    /// used before.
    public var staleEvents: [TrackingEventRecord] = []
    /// New events that moved the parcel though the carrier dated them more than
    /// `TrackingEventRecord.aheadSkew` after the poll: the history and the dispute got the poll's
    /// time instead (`TrackingEventRecord.statusTime(polledAt:)`).
    public var aheadEvents: [TrackingEventRecord] = []
    /// New events with a status that found the parcel expired or cancelled (the timer closed it
    /// while this poll was out): stored, moving nothing, for an operator to look at.
    public var closedEvents: [TrackingEventRecord] = []
}

extension TrackingEventRecord {
    /// How long before its parcel was issued a carrier event may be dated and still move it: a
    /// carrier's local time read as UTC is off by up to 14 hours.
    public static let issueSkew: TimeInterval = 86_400

    /// Dated more than `issueSkew` before the parcel was issued: another parcel's event, under a
    /// number the carrier used before. It is stored but moves nothing. The store, the API and
    /// returnctl all ask this, so they agree on which events those are.
    public func isBeforeIssue(of parcel: Parcel) -> Bool {
        occurredAt < parcel.createdAt.addingTimeInterval(-Self.issueSkew)
    }

    /// How far after the poll a carrier may date an event before it is reported as wrong.
    public static let aheadSkew = ClockSkew.allowed

    /// When the status change it causes happened, for the history and the dispute: the carrier's
    /// date, but never after the poll that brought it. A date still to come is a carrier's clock
    /// or a local time read as UTC, and a marketplace counting refund days from an arrival in the
    /// future would never pay.
    public func statusTime(polledAt: Date) -> Date { min(occurredAt, polledAt) }

    /// Stored after its parcel expired or was cancelled (a poll that was out then, or
    /// `returnctl track`): an event with a status that moved nothing, as nothing follows a
    /// closed parcel. The API and returnctl mark it so.
    public func isAfterClose(of parcel: Parcel) -> Bool {
        guard status != nil, parcel.status.isClosed, let recordedAt,
              let closedAt = parcel.history.last(where: { $0.status == parcel.status })?.occurredAt else { return false }
        return recordedAt >= closedAt
    }

    /// Dated more than `aheadSkew` after the poll that brought it.
    public func isAhead(ofPoll polledAt: Date) -> Bool { occurredAt > polledAt.addingTimeInterval(Self.aheadSkew) }
}
