import Foundation
import ReturnsCore

/// An outside endpoint that asked every client to wait (`Retry-After`, a 429), as stored: every
/// instance, and an instance after a restart, leaves it alone until then.
public struct EndpointHold: Codable, Hashable, Sendable {
    public var endpoint: String
    public var until: Date
    public var reason: String?

    public init(endpoint: String, until: Date, reason: String?) {
        self.endpoint = endpoint
        self.until = until
        self.reason = reason
    }

    /// A carrier's tracking API, by carrier id: its rate limit and holds are per carrier.
    public static func carrier(_ id: String) -> String { "carrier:\(id)" }
    /// The marketplace's dispute service (the webhook).
    public static let disputeService = "dispute_service"

    /// The carrier id of a carrier's endpoint name.
    public var carrierID: String? { endpoint.hasPrefix("carrier:") ? String(endpoint.dropFirst("carrier:".count)) : nil }
}
