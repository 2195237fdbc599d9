import Foundation
import ReturnsCore
import Yams

/// Turns one carrier YAML file into a `CarrierService`, naming the field of any problem.
enum CarrierFileParser {
    /// A country not served, in the words the API uses for a buyer's: "UK" is named as GB.
    static func notServed(_ country: String) -> String {
        let hint = country == "UK" ? " (\(ServedCountries.ukIsGB): write GB)" : ""
        return "\(country) is not one of the served countries\(hint): \(ServedCountries.listed)"
    }

    static let maxValues = 10_000

    static func parse(_ text: String, file: String) throws -> CarrierService {
        // Before Yams composes it: see `Node.keyShape`.
        switch Node.keyShape(ofYAML: text) {
        case .plainNames: break
        case .notPlainName:
            throw CarrierFileError(file: file, field: "-", message: "has a key that is not a plain name (an alias, a list or a mapping): not a carrier file")
        case .unreadable(let reason):
            throw CarrierFileError(file: file, field: "-", message: "not valid YAML: \(reason)")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw CarrierFileError(file: file, field: "-", message: "not valid YAML: \(error)")
        }
        guard let root = node?.mapping else {
            throw CarrierFileError(file: file, field: "-", message: "must be a mapping of fields")
        }
        // A carrier file holds a few hundred values; aliases that multiply them are refused
        // before anything walks them (see `Node.expandedSize`).
        if node!.expandedSize(limit: maxValues) >= maxValues {
            throw CarrierFileError(file: file, field: "-", message: "holds more than \(maxValues) values once its aliases (*name) are expanded: not a carrier file")
        }
        let r = FieldReader(file: file, path: "", mapping: root, log: YAMLUnknownKeys.ReadKeys())
        let id = try r.string("id")
        guard id.range(of: "^[a-z][a-z0-9_]{1,39}$", options: .regularExpression) != nil else {
            throw r.error("id", "must be lower-case letters, digits and underscores (it names an environment variable)")
        }
        let country = try r.string("country")
        guard ServedCountries.all.contains(country) else {
            throw r.error("country", Self.notServed(country))
        }
        let dropOff = try r.mapping("drop_off")
        let networks = try dropOff.list("networks").enumerated().map { i, n in
            guard let v = n.string, let network = CarrierService.DropOffNetwork(rawValue: v) else {
                throw dropOff.error("networks[\(i)]", "must be one of \(CarrierService.DropOffNetwork.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return network
        }
        guard !networks.isEmpty else { throw dropOff.error("networks", "must name at least one network") }
        let handover = try r.enumValue("handover", CarrierService.Handover.self)

        let tn = try r.mapping("tracking_number")
        let schemeName = try tn.string("scheme")
        let scheme: TrackingNumberScheme
        switch schemeName {
        case "upu_s10": scheme = .upuS10(serviceIndicator: try tn.string("service_indicator"), countryCode: try tn.string("country_code"))
        case "usps_impb": scheme = .uspsIMpb(prefix: try tn.string("prefix"))
        case "russian_post_domestic": scheme = .russianPostDomestic(originIndex: try tn.string("origin_index"))
        default: throw tn.error("scheme", "unknown scheme \(schemeName); known: upu_s10, usps_impb, russian_post_domestic")
        }
        if let problem = scheme.parameterProblem { throw tn.error("scheme", problem) }
        let range = try tn.mapping("serial_range")
        let first = try range.int("first"), last = try range.int("last")
        guard first >= 0, first <= last else { throw range.error("last", "must be at least first (\(first))") }
        guard last <= scheme.maxSerial else { throw range.error("last", "must be at most \(scheme.maxSerial) for \(schemeName)") }

        let label = try r.mapping("label")
        let size = try label.enumValue("size", CarrierService.LabelSpec.Size.self)
        let dpi = try label.int("dpi")
        guard [152, 203, 300, 600].contains(dpi) else { throw label.error("dpi", "must be a thermal printer resolution: 152, 203, 300 or 600") }
        let labelZone = try Self.timeZone(label)
        let zonesByPostalCode = try Self.zoneList(label, key: "time_zones_by_postal_code", what: "postal code prefix")
        if !zonesByPostalCode.isEmpty && labelZone == nil {
            throw label.error("time_zone", "is required with time_zones_by_postal_code: the clock of a postal code the list does not name (the country's westernmost zone)")
        }

        let t = try r.mapping("tracking")
        let baseURL = try t.string("base_url")
        guard isHTTPURL(baseURL) else { throw t.error("base_url", "must be an http(s) URL") }
        let auth = try t.mapping("auth")
        let style = try auth.enumValue("style", CarrierService.Tracking.AuthStyle.self)
        let header = try auth.optionalString("header")
        if style == .apiKeyHeader && header == nil { throw auth.error("header", "is required for api_key_header") }
        let credential = try auth.optionalString("credential")
        if style != .none && credential == nil { throw auth.error("credential", "is required unless style is none") }
        let tokenURL = try auth.optionalString("token_url")
        if style == .oauth2ClientCredentials && tokenURL == nil { throw auth.error("token_url", "is required for oauth2_client_credentials") }
        let rate = try t.mapping("rate_limit")
        let rps = try rate.double("requests_per_second")
        guard rps > 0, rps <= 10_000 else { throw rate.error("requests_per_second", "must be above 0 and at most 10000") }
        let burst = try rate.int("burst")
        // The shared request schedule counts in microseconds: a burst beyond this would overflow it.
        guard burst >= 1, burst <= 100_000 else { throw rate.error("burst", "must be at least 1 and at most 100000") }

        let timeZone = try Self.timeZone(t)
        let zonesByRegion = try Self.zoneList(t, key: "time_zones_by_region", what: "region code")

        let family = try t.string("api_family")
        guard TrackingAdapters.families.contains(family) else {
            throw t.error("api_family", "\(family) has no adapter; known: \(TrackingAdapters.families.sorted().joined(separator: ", "))")
        }
        let statusMapReader = try t.mapping("status_map")
        var statusMap: [String: CarrierEventKind] = [:]
        for (keyNode, valueNode) in statusMapReader.mapping {
            guard let code = keyNode.string, let raw = valueNode.string else { throw t.error("status_map", "must map codes to kinds") }
            guard let kind = CarrierEventKind(rawValue: raw) else {
                throw statusMapReader.error(code, "\(raw) is not one of \(CarrierEventKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            statusMap[code] = kind
        }
        guard statusMap.values.contains(.delivered) else { throw t.error("status_map", "must map at least one code to delivered, or no parcel ever arrives") }
        var generic: GenericJSONSpec?
        if family == "generic_json" {
            let g = try t.mapping("generic")
            let path = try g.string("path")
            guard path.contains("{tracking_number}") else { throw g.error("path", "must contain {tracking_number}") }
            generic = GenericJSONSpec(
                path: path, events: try g.string("events"), code: try g.string("code"), time: try g.string("time"),
                description: try g.optionalString("description"), location: try g.optionalString("location"),
                notFoundStatus: try g.optionalString("not_found_status").flatMap(Int.init) ?? 404)
        }

        let w = try r.mapping("warehouse")
        let wa = try w.mapping("address")
        // Printed on every label as the return address and sent in every parcel answer: held to
        // the rule a buyer's address is held to (openapi.yaml's pattern for both), so that a
        // line of spaces or a stray control character stops the file, not a label.
        func shownText(_ reader: FieldReader, _ key: String, _ value: String, max: Int = 200) throws -> String {
            if let problem = FieldText.problem(value, max: max) { throw reader.error(key, problem) }
            return value
        }
        let lines = try wa.list("lines").enumerated().map { i, n in
            guard let s = n.string, !s.isEmpty else { throw wa.error("lines[\(i)]", "must be a non-empty string") }
            return try shownText(wa, "lines[\(i)]", s)
        }
        guard (1...6).contains(lines.count) else { throw wa.error("lines", "must hold 1 to 6 lines") }
        let warehouse = Warehouse(
            id: try w.string("id"), name: try shownText(w, "name", w.string("name")),
            address: PostalAddress(lines: lines, city: try shownText(wa, "city", wa.string("city"), max: 100),
                                   postalCode: try shownText(wa, "postal_code", wa.string("postal_code"), max: 20), country: try wa.string("country")))
        guard ServedCountries.all.contains(warehouse.address.country) else {
            throw wa.error("country", Self.notServed(warehouse.address.country))
        }

        let service = CarrierService(
            id: id, country: country, carrierName: try r.string("carrier"), serviceName: try r.string("service"),
            dropOffNetworks: networks, dropOffDescription: try dropOff.string("description"), handover: handover,
            scheme: scheme, serialRange: first...last, label: .init(size: size, dpi: dpi, timeZone: labelZone ?? .gmt, zonesByPostalCode: zonesByPostalCode),
            tracking: .init(
                apiFamily: family, baseURL: baseURL, authStyle: style, authHeader: header,
                credential: credential, tokenURL: tokenURL, requestsPerSecond: rps, burst: burst,
                statusMap: statusMap, generic: generic, timeZone: timeZone, zonesByRegion: zonesByRegion),
            warehouse: warehouse, sourceFile: file)
        // Last, so a missing field is named first: a misspelt optional field (`not_found_staus`)
        // would otherwise leave its default in place without a word.
        if let unknown = YAMLUnknownKeys.find(in: root, read: r.log.keys, open: ["tracking.status_map", "label.time_zones_by_postal_code", "tracking.time_zones_by_region"]).first {
            throw CarrierFileError(file: file, field: unknown.key, message: "unknown field\(unknown.hint)")
        }

        return service
    }

    /// `time_zone` of a section, if given. IANA names of places only: Foundation also takes
    /// "GMT+2" and "Etc/GMT-2", which stay put when the country's clocks change.
    static func timeZone(_ section: FieldReader) throws -> TimeZone? {
        try section.optionalString("time_zone").map { name throws(CarrierFileError) -> TimeZone in
            guard let zone = placeZone(named: name) else {
                throw section.error("time_zone", "\(name) is not a time zone name: an IANA name such as Europe/Kyiv or America/Santiago, or UTC")
            }
            return zone
        }
    }

    /// The zone of an IANA place name, or UTC; nil for a fixed offset ("GMT+2", "Etc/GMT-2") or an unknown name.
    static func placeZone(named name: String) -> TimeZone? {
        let fixedOffset = name.hasPrefix("Etc/") && name != "Etc/UTC"
        guard name.contains("/") && !fixedOffset || ["UTC", "GMT"].contains(name) else { return nil }
        return TimeZone(identifier: name)
    }

    /// A list of zones by code: `label.time_zones_by_postal_code` (postal code prefixes, as a
    /// buyer's postal code is read: spaces and dashes dropped, letters in capitals) or
    /// `tracking.time_zones_by_region` (a carrier's region codes, such as Brazil's `AM`). Codes
    /// of capital letters and digits, each with an IANA zone as `time_zone` takes one.
    static func zoneList(_ section: FieldReader, key: String, what: String) throws -> [String: TimeZone] {
        guard section.lookUp(key) != nil else { return [:] }
        let list = try section.mapping(key)
        var zones: [String: TimeZone] = [:]
        for (codeNode, zoneNode) in list.mapping {
            guard let code = codeNode.string, !code.isEmpty, code.utf8.count <= 12,
                  code.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else {
                throw section.error(key, "\((codeNode.string ?? "a key").quotedInMessage(max: 20)) is not a \(what): 1 to 12 capital letters and digits, no spaces or dashes")
            }
            guard let name = zoneNode.string, let zone = placeZone(named: name) else {
                throw list.error(code, "\((zoneNode.string ?? "a list or mapping").quotedInMessage(max: 40)) is not a time zone name: an IANA name such as Europe/Kyiv or America/Santiago, or UTC")
            }
            zones[code] = zone
        }
        return zones
    }

    static func isHTTPURL(_ s: String) -> Bool {
        guard let u = URL(string: s), let scheme = u.scheme, ["http", "https"].contains(scheme), u.host != nil else { return false }
        return true
    }
}

/// Reads typed fields from a YAML mapping and names the full path of what is wrong.
struct FieldReader {
    let file: String
    let path: String
    let mapping: Node.Mapping
    /// Every field looked up, shared by the readers of one file, so the others can be refused.
    let log: YAMLUnknownKeys.ReadKeys

    func lookUp(_ key: String) -> Node? {
        log.keys.insert(path.isEmpty ? key : "\(path).\(key)")
        return mapping[Node(key)]
    }

    func error(_ key: String, _ message: String) -> CarrierFileError {
        CarrierFileError(file: file, field: path.isEmpty ? key : "\(path).\(key)", message: message)
    }

    func node(_ key: String) throws -> Node {
        guard let n = lookUp(key) else { throw error(key, "is missing") }
        return n
    }

    func string(_ key: String) throws -> String {
        guard let s = try node(key).scalar?.string, !s.isEmpty else { throw error(key, "must be a non-empty string") }
        return s
    }

    func optionalString(_ key: String) throws -> String? {
        guard let n = lookUp(key) else { return nil }
        guard let s = n.scalar?.string, !s.isEmpty else { throw error(key, "must be a non-empty string") }
        return s
    }

    func int(_ key: String) throws -> Int {
        guard let s = try node(key).scalar?.string, let v = Int(s) else { throw error(key, "must be an integer") }
        return v
    }

    func double(_ key: String) throws -> Double {
        guard let s = try node(key).scalar?.string, let v = Double(s), v.isFinite else { throw error(key, "must be a number") }
        return v
    }

    func list(_ key: String) throws -> [Node] {
        guard let s = try node(key).sequence else { throw error(key, "must be a list") }
        return Array(s)
    }

    func mapping(_ key: String) throws -> FieldReader {
        guard let m = try node(key).mapping else { throw error(key, "must be a mapping") }
        return FieldReader(file: file, path: path.isEmpty ? key : "\(path).\(key)", mapping: m, log: log)
    }

    func enumValue<E: RawRepresentable & CaseIterable>(_ key: String, _: E.Type) throws -> E where E.RawValue == String {
        let s = try string(key)
        guard let v = E(rawValue: s) else {
            throw error(key, "\(s) is not one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return v
    }
}
