import Foundation
import ReturnsCore

/// What a carrier's event means for the parcel; the table from code to kind is data, in the
/// carrier's YAML file (`tracking.status_map`).
public enum CarrierEventKind: String, Codable, Sendable, CaseIterable {
    /// First acceptance scan: the parcel was handed over → `dropped_off`.
    case acceptance
    /// Moving through the network → `in_transit`.
    case transit
    /// Delivered; returns are addressed to the warehouse → `arrived_at_warehouse`.
    case delivered
    /// A problem (failed delivery, held...): recorded, no status change.
    case exception
    /// Anything else (label created, notices): recorded, no status change.
    case info

    public var parcelStatus: ParcelStatus? {
        switch self {
        case .acceptance: .droppedOff
        case .transit: .inTransit
        case .delivered: .arrivedAtWarehouse
        case .exception, .info: nil
        }
    }
}

/// One event as the carrier reported it, with its canonical kind.
public struct CarrierEvent: Codable, Hashable, Sendable {
    public var code: String
    public var description: String
    public var occurredAt: Date
    public var location: String?
    public var kind: CarrierEventKind

    public init(code: String, description: String, occurredAt: Date, location: String? = nil, kind: CarrierEventKind) {
        self.code = code
        self.description = description
        self.occurredAt = occurredAt
        self.location = location
        self.kind = kind
    }

    enum CodingKeys: String, CodingKey {
        case code, description, location, kind
        case occurredAt = "occurred_at"
    }
}

/// The answer for one tracking number.
public enum TrackingResult: Equatable, Sendable {
    case events([CarrierEvent])
    /// The carrier does not know the number (yet: a label not used has no events).
    case notFound
    /// The carrier answered for this number with an error of its own, or with an event returnd
    /// cannot read (`unreadable`).
    case failed(String)

    /// This number's answer holds an event returnd cannot read: it fails alone, said as the
    /// whole answer's `malformed` would be.
    static func unreadable(_ why: String) -> TrackingResult { .failed("\(TrackingResponseError.malformed(why))") }
}

/// Why a whole response could not be used.
public enum TrackingResponseError: Error, Equatable, Sendable, CustomStringConvertible {
    case rateLimited
    case unauthorized
    case carrierError(status: Int, message: String)
    case malformed(String)

    public var description: String {
        switch self {
        case .rateLimited: "rate limited by the carrier"
        case .unauthorized: "the carrier refused our credentials"
        case .carrierError(let status, let message): "carrier error HTTP \(status): \(message)"
        case .malformed(let why): "malformed response: \(why)"
        }
    }
}

/// How a request is authenticated, once credentials (and an OAuth token) are at hand.
public enum TrackingAuth: Sendable, Equatable {
    case none
    case apiKey(header: String, value: String)
    case bearer(String)
    case basic(user: String, password: String)
    case soapLogin(login: String, password: String)
}

/// A request as data; the Transport module sends it.
public struct TrackingHTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [String: String]
    public var body: [UInt8]?

    public init(method: String = "GET", url: String, headers: [String: String] = [:], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// One tracking API family: a pure pair, request out, response in. No I/O.
public protocol TrackingAdapter: Sendable {
    /// How many numbers one request may carry (1: no batch endpoint).
    var maxBatch: Int { get }
    /// `numbers` holds 1 to `maxBatch` numbers, in both calls: the poller asks for a chunk of
    /// its due parcels, never for none.
    func makeRequest(for numbers: [String], service: CarrierService, auth: TrackingAuth) -> TrackingHTTPRequest
    /// Results for the numbers asked; a number missing from the answer is `.notFound`.
    /// An answer that cannot be read as the API's at all (not JSON, its top level missing: an
    /// outage page, a changed API) throws, and counts against the carrier. One event that cannot
    /// be read (no code, no date) is that number's `.failed`: the carrier answered, and the
    /// batch's other numbers are read.
    func parseResponse(status: Int, body: [UInt8], numbers: [String], service: CarrierService) throws(TrackingResponseError) -> [String: TrackingResult]
}

extension TrackingAuth {
    /// Adds the headers this auth style needs (SOAP logins travel in the body instead).
    func apply(to headers: inout [String: String]) {
        switch self {
        case .none, .soapLogin: break
        case .apiKey(let header, let value): headers[header] = value
        case .bearer(let token): headers["Authorization"] = "Bearer \(token)"
        case .basic(let user, let password): headers["Authorization"] = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }
    }
}

extension CarrierService {
    /// The canonical kind of a carrier code, by the file's status map; unknown codes are `info`.
    public func kind(of code: String, fallback: String? = nil) -> CarrierEventKind {
        tracking.statusMap[code] ?? fallback.flatMap { tracking.statusMap[$0] } ?? .info
    }
}

/// The adapter of each API family named in carrier files.
public enum TrackingAdapters {
    public static func adapter(for service: CarrierService) -> (any TrackingAdapter)? {
        switch service.tracking.apiFamily {
        case "usps_tracking_v3": USPSTrackingAdapter()
        case "laposte_suivi_v2": LaPosteSuiviAdapter()
        case "correios_sro_rastro": CorreiosRastroAdapter()
        case "russian_post_soap": RussianPostOperationHistoryAdapter()
        case "dhl_unified": DHLUnifiedTrackingAdapter()
        case "royal_mail": RoyalMailTrackingAdapter()
        case "canada_post": CanadaPostTrackingAdapter()
        case "australia_post": AustraliaPostTrackingAdapter()
        case "postnl": PostNLStatusAdapter()
        case "generic_json": service.tracking.generic.map { GenericJSONTrackingAdapter(spec: $0) }
        default: nil
        }
    }

    public static let families: Set<String> = [
        "usps_tracking_v3", "laposte_suivi_v2", "correios_sro_rastro", "russian_post_soap", "dhl_unified",
        "royal_mail", "canada_post", "australia_post", "postnl", "generic_json",
    ]
}
