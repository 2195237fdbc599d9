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

    public init(parcelID: String, carrierID: String, trackingNumber: String, status: ParcelStatus, unchangedPolls: Int, failures: Int) {
        self.parcelID = parcelID
        self.carrierID = carrierID
        self.trackingNumber = trackingNumber
        self.status = status
        self.unchangedPolls = unchangedPolls
        self.failures = failures
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

    public init(code: String, description: String, occurredAt: Date, location: String?, status: ParcelStatus?) {
        self.code = code
        self.description = description
        self.occurredAt = occurredAt
        self.location = location
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case code, description, location, status
        case occurredAt = "occurred_at"
    }
}

/// What one poll found for one parcel, and when to ask again.
public struct PollRecord: Sendable {
    public enum Outcome: Sendable, Equatable {
        case events([TrackingEventRecord])
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

    public init(parcelID: String, outcome: Outcome, polledAt: Date, nextPollAt: Date, nextPollAfterNews: Date? = nil) {
        self.parcelID = parcelID
        self.outcome = outcome
        self.polledAt = polledAt
        self.nextPollAt = nextPollAt
        self.nextPollAfterNews = nextPollAfterNews ?? nextPollAt
    }
}

public struct PollRecordOutcome: Sendable {
    /// The parcel's status after the poll.
    public var status: ParcelStatus
    /// Events seen for the first time (a repeat poll stores nothing twice).
    public var newEvents: [TrackingEventRecord]
    /// Status changes the events caused, in order.
    public var statusChanges: [ParcelStatus]
}
