import Foundation
import ReturnsCore

/// One carrier service, as described by its file in `carriers/`. Data, not code.
public struct CarrierService: Sendable, Hashable {
    public enum Handover: String, Sendable, Codable, CaseIterable {
        /// The buyer hands over a parcel with a printed label.
        case label
        /// The buyer shows a barcode (phone or paper); no printed label (Russian Post).
        case barcodeOnly = "barcode_only"
    }

    public enum DropOffNetwork: String, Sendable, Codable, CaseIterable {
        case postOffice = "post_office"
        case expressStation = "express_station"
        case parcelLocker = "parcel_locker"
        case relayPoint = "relay_point"
        case kiosk
    }

    public struct LabelSpec: Sendable, Hashable {
        public enum Size: String, Sendable, Codable, CaseIterable {
            case fourBySixInches = "4x6in"
            case a6
        }

        public var size: Size
        public var dpi: Int
        /// `label.time_zone`: the clock the label's deadlines are printed in (UTC without one).
        /// A country's westernmost zone, so that a buyer reading the time as their own is early,
        /// never late.
        public var timeZone: TimeZone { didSet { clockName = Self.clockName(of: timeZone) } }
        /// How the label names that clock: `Mexico City time` for America/Mexico_City, `UTC`
        /// for UTC. Worked out once per carrier file: Foundation's string search, done per
        /// label, was a quarter of a ZPL label's time.
        public private(set) var clockName: String

        public init(size: Size, dpi: Int, timeZone: TimeZone = .gmt) {
            self.size = size
            self.dpi = dpi
            self.timeZone = timeZone
            clockName = Self.clockName(of: timeZone)
        }

        static func clockName(of zone: TimeZone) -> String {
            guard zone.identifier.contains("/"), zone.identifier != "Etc/UTC" else { return "UTC" }
            let city = zone.identifier.split(separator: "/").last.map(String.init) ?? zone.identifier
            return "\(city.replacingOccurrences(of: "_", with: " ")) time"
        }

        /// Page size in PostScript points (1/72 in).
        public var widthPoints: Double { size == .fourBySixInches ? 288 : 105 / 25.4 * 72 }
        public var heightPoints: Double { size == .fourBySixInches ? 432 : 148 / 25.4 * 72 }
        public var widthDots: Int { Int((widthPoints / 72 * Double(dpi)).rounded()) }
        public var heightDots: Int { Int((heightPoints / 72 * Double(dpi)).rounded()) }
    }

    public struct Tracking: Sendable, Hashable {
        public enum AuthStyle: String, Sendable, Codable, CaseIterable {
            case none
            case apiKeyHeader = "api_key_header"
            case oauth2ClientCredentials = "oauth2_client_credentials"
            case basic
            case soapLogin = "soap_login"
        }

        /// Which adapter speaks this API (the tracking module picks the adapter by this name).
        public var apiFamily: String
        public var baseURL: String
        public var authStyle: AuthStyle
        /// Header name for `api_key_header`.
        public var authHeader: String?
        /// Name of the credential (a systemd credential or file) holding the secret.
        public var credential: String?
        public var tokenURL: String?
        public var requestsPerSecond: Double
        public var burst: Int
        /// Carrier code → canonical kind; codes not listed are `info`.
        public var statusMap: [String: CarrierEventKind]
        /// Only for `generic_json`.
        public var generic: GenericJSONSpec?
        /// `tracking.time_zone`: where the carrier's API writes a time without an offset
        /// (`2026-11-18T10:00:00` in Kyiv is 08:00 UTC). nil: the adapter's own (`zone(or:)`).
        public var timeZone: TimeZone?

        /// The zone an offset-less carrier time is read in: the file's, else `familyDefault`,
        /// what the API family is known to write (Correios: São Paulo; generic JSON: UTC).
        public func zone(or familyDefault: @autoclosure () -> TimeZone) -> TimeZone { timeZone ?? familyDefault() }
    }

    public var id: String
    public var country: String
    public var carrierName: String
    public var serviceName: String
    public var dropOffNetworks: [DropOffNetwork]
    public var dropOffDescription: String
    public var handover: Handover
    public var scheme: TrackingNumberScheme
    public var serialRange: ClosedRange<Int>
    public var label: LabelSpec
    public var tracking: Tracking
    public var warehouse: Warehouse
    /// The file it was loaded from, for error messages and `returnctl carriers check`.
    public var sourceFile: String

    /// The key under which the store allocates this service's serials. Two services that draw
    /// from one numbering (same scheme and parameters) would share it.
    public var serialCounterKey: String {
        switch scheme {
        case .upuS10(let s, let c): "upu_s10:\(s):\(c)"
        case .uspsIMpb(let p): "usps_impb:\(p)"
        case .russianPostDomestic(let i): "russian_post_domestic:\(i)"
        }
    }
}

public struct Warehouse: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var address: PostalAddress

    public init(id: String, name: String, address: PostalAddress) {
        self.id = id
        self.name = name
        self.address = address
    }
}
