import Foundation

/// USPS Tracking API v3: `GET /tracking/v3/tracking/{trackingNumber}?expand=DETAIL` with an
/// OAuth2 bearer token; `trackingEvents[]` with `eventCode`, `eventType`, `eventTimestamp`,
/// `eventCity`, `eventState`, and where an event has them `GMTTimestamp` and `GMTOffset`. An
/// unknown number is 404 (or an `error` object).
struct USPSTrackingAdapter: TrackingAdapter {
    var maxBatch: Int { 1 }

    func makeRequest(for numbers: [String], service: CarrierService, auth: TrackingAuth) -> TrackingHTTPRequest {
        var headers = ["Accept": "application/json"]
        auth.apply(to: &headers)
        return TrackingHTTPRequest(url: "\(service.tracking.baseURL)/tracking/\(numbers[0])?expand=DETAIL", headers: headers)
    }

    func parseResponse(status: Int, body: [UInt8], numbers: [String], service: CarrierService) throws(TrackingResponseError) -> [String: TrackingResult] {
        if status == 404 { return [numbers[0]: .notFound] }
        guard status == 200 else { throw httpError(status, "USPS") }
        let json = try JSONBody.object(body)
        if let error = json["error"]?.object {
            let message = JSONBody.string(error["message"]) ?? "error"
            return [numbers[0]: message.lowercased().contains("not found") || JSONBody.string(error["code"]) == "404" ? .notFound : .failed(message)]
        }
        guard let list = json["trackingEvents"]?.objects else { throw .malformed("trackingEvents missing") }
        var events: [CarrierEvent] = []
        for e in list {
            // A facility's local time is its state's clock (`tracking.time_zones_by_region`).
            let zone = service.tracking.zone(forRegion: JSONBody.string(e["eventState"]), or: .gmt)
            guard let code = JSONBody.string(e["eventCode"]), let at = Self.instant(of: e, zone: zone) else {
                return [numbers[0]: .unreadable("event without eventCode or eventTimestamp")]
            }
            let place = [JSONBody.string(e["eventCity"]), JSONBody.string(e["eventState"])].compactMap { $0 }.joined(separator: ", ")
            events.append(CarrierEvent(code: code, description: JSONBody.string(e["eventType"]) ?? code, occurredAt: at,
                                       location: place.isEmpty ? nil : place, kind: service.kind(of: code)))
        }
        return [numbers[0]: .events(events.chronological())]
    }

    /// When an event happened. An `eventTimestamp` without an offset is the facility's local
    /// time, which a country of several zones cannot read alone: `GMTTimestamp` (UTC) wins when
    /// the event has one, then `eventTimestamp` with `GMTOffset` (`-06:00`) when it names no
    /// offset itself, then `eventTimestamp` on the clock of the event's state (`eventState`, which
    /// clients of the API read on every event), else the file's zone (UTC without one). (Not
    /// confirmed here which of the GMT fields USPS sends on every event.)
    static func instant(of e: JSONValue, zone: TimeZone) -> Date? {
        if let utc = CarrierDates.iso(JSONBody.string(e["GMTTimestamp"]), zone: .gmt) { return utc }
        guard let local = JSONBody.string(e["eventTimestamp"]) else { return nil }
        if let offset = JSONBody.string(e["GMTOffset"]), isOffset(offset), !endsInOffset(local) {
            return CarrierDates.iso(local + offset, zone: zone)
        }
        return CarrierDates.iso(local, zone: zone)
    }

    /// `±HH:MM` and nothing else.
    static func isOffset(_ s: String) -> Bool {
        let b = Array(s.utf8)
        return b.count == 6 && (b[0] == UInt8(ascii: "+") || b[0] == UInt8(ascii: "-")) && b[3] == UInt8(ascii: ":")
            && [1, 2, 4, 5].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[$0]) }
    }

    /// Whether a date-time already ends in `Z` or an offset (after its seconds).
    static func endsInOffset(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count > 19 else { return false }
        return b.last == UInt8(ascii: "Z") || b.last == UInt8(ascii: "z") || b[19...].contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }
    }
}

/// The OAuth2 client-credentials exchange (USPS, Correios): request and answer as data.
public enum OAuthClientCredentials {
    public static func makeRequest(tokenURL: String, clientID: String, clientSecret: String) -> TrackingHTTPRequest {
        let form = "grant_type=client_credentials&client_id=\(percent(clientID))&client_secret=\(percent(clientSecret))"
        return TrackingHTTPRequest(method: "POST", url: tokenURL, headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"], body: Array(form.utf8))
    }

    /// The token and its lifetime in seconds.
    public static func parseResponse(status: Int, body: [UInt8]) throws(TrackingResponseError) -> (token: String, expiresIn: Int) {
        guard status == 200 else { throw status == 400 || status == 401 ? .unauthorized : httpError(status, "token endpoint") }
        let json = try JSONBody.object(body)
        guard let token = JSONBody.string(json["access_token"]), !token.isEmpty else { throw .malformed("access_token missing") }
        return (token, Int(JSONBody.string(json["expires_in"]) ?? "") ?? 3600)
    }

    static func percent(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }
}
