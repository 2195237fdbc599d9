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
        /// `label.time_zone`: the clock a label's deadlines print in when the buyer's postal code
        /// names none below (UTC without one). The country's westernmost zone, so that a buyer
        /// reading the time as their own is early, never late.
        public var timeZone: TimeZone { didSet { fallback = Clock(timeZone) } }
        /// `label.time_zones_by_postal_code`: postal code prefixes (capital letters and digits)
        /// and the clock of each one's area, its westernmost zone; the longest prefix wins.
        public var zonesByPostalCode: [String: TimeZone] {
            didSet { (byPrefix, listedPrefixes, listedClocks, longestPrefix) = Self.clocks(zonesByPostalCode) }
        }

        /// A clock and how a label names it: `Mexico City time` for America/Mexico_City, `UTC`
        /// for UTC. Named once per carrier file: Foundation's string search, done per label, was
        /// a quarter of a ZPL label's time.
        public struct Clock: Sendable, Hashable {
            public var zone: TimeZone
            public var name: String

            init(_ zone: TimeZone) {
                self.zone = zone
                if zone.identifier.contains("/"), zone.identifier != "Etc/UTC" {
                    let city = zone.identifier.split(separator: "/").last.map(String.init) ?? zone.identifier
                    name = "\(city.replacingOccurrences(of: "_", with: " ")) time"
                } else {
                    name = "UTC"
                }
            }
        }

        private var fallback: Clock
        /// The listed prefixes, each as one base-37 number of its `symbol`s: looked up as a
        /// buyer's postal code is read, with no string made per label.
        private var byPrefix: [UInt64: Int]
        /// What `byPrefix` points at: each listed prefix and its clock, read without copying the
        /// prefix on the label's path.
        private var listedPrefixes: [String]
        private var listedClocks: [Clock]
        private var longestPrefix: Int

        public init(size: Size, dpi: Int, timeZone: TimeZone = .gmt, zonesByPostalCode: [String: TimeZone] = [:]) {
            self.size = size
            self.dpi = dpi
            self.timeZone = timeZone
            self.zonesByPostalCode = zonesByPostalCode
            fallback = Clock(timeZone)
            (byPrefix, listedPrefixes, listedClocks, longestPrefix) = Self.clocks(zonesByPostalCode)
        }

        private static func clocks(_ zones: [String: TimeZone]) -> ([UInt64: Int], [String], [Clock], Int) {
            var index: [UInt64: Int] = [:], prefixes: [String] = [], clocks: [Clock] = []
            // Sorted: two specs of the same list are equal, whatever the dictionary's order.
            for (prefix, zone) in zones.sorted(by: { $0.key < $1.key }) {
                var key: UInt64 = 0
                for b in prefix.utf8 { key = key &* 37 &+ UInt64(symbol(b)) }
                index[key] = prefixes.count
                prefixes.append(prefix)
                clocks.append(Clock(zone))
            }
            return (index, prefixes, clocks, zones.keys.map(\.utf8.count).max() ?? 0)
        }

        /// 1 to 36 for a digit or a letter of either case, 0 for anything else (skipped). A
        /// prefix of up to 12 such symbols is one number in base 37, the same for no other prefix.
        @inline(__always) private static func symbol(_ b: UInt8) -> UInt8 {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0") + 1
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): b - UInt8(ascii: "A") + 11
            case UInt8(ascii: "a")...UInt8(ascii: "z"): b - UInt8(ascii: "a") + 11
            default: 0
            }
        }

        /// The clock of a label for a buyer at `postalCode`: the zone of its longest listed
        /// prefix, else `time_zone`'s.
        public func clock(forPostalCode postalCode: String) -> Clock {
            listed(postalCode).map { listedClocks[$0] } ?? fallback
        }

        /// The longest listed prefix of `postalCode`, read on its letters and digits in capitals
        /// ("v6b 1a1" as V6B1A1, "96799-1234" as 967991234); nil when none is listed.
        public func prefix(matching postalCode: String) -> String? {
            listed(postalCode).map { listedPrefixes[$0] }
        }

        private func listed(_ postalCode: String) -> Int? {
            guard longestPrefix > 0 else { return nil }
            var key: UInt64 = 0, read = 0
            var found: Int?
            for b in postalCode.utf8 where read < longestPrefix {
                let s = Self.symbol(b)
                if s == 0 { continue }
                key = key &* 37 &+ UInt64(s)
                read += 1
                if let hit = byPrefix[key] { found = hit }
            }
            return found
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
        /// `tracking.time_zones_by_region`: for an API that names the region of an event's site
        /// but writes its time without an offset (Correios: the state, `unidade.endereco.uf`),
        /// each region's zone. A region not listed, or an event naming none, is read as `zone(or:)`.
        public var zonesByRegion: [String: TimeZone] = [:]

        /// The zone an offset-less carrier time is read in: the file's, else `familyDefault`,
        /// what the API family is known to write (Correios: São Paulo; generic JSON: UTC).
        public func zone(or familyDefault: @autoclosure () -> TimeZone) -> TimeZone { timeZone ?? familyDefault() }

        /// The zone an offset-less time of an event in `region` is read in: the region's, if the
        /// file lists it (as written, or in capitals), else `zone(or:)`.
        public func zone(forRegion region: String?, or familyDefault: @autoclosure () -> TimeZone) -> TimeZone {
            if let region, !zonesByRegion.isEmpty, let zone = zonesByRegion[region] ?? zonesByRegion[region.uppercased()] { return zone }
            return zone(or: familyDefault())
        }
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
