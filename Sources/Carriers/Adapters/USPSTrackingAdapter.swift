import Foundation

/// USPS Tracking API v3: `GET /tracking/v3/tracking/{trackingNumber}?expand=DETAIL` with an
/// OAuth2 bearer token; `trackingEvents[]` with `eventCode`, `eventType`, `eventTimestamp`,
/// `eventCity`, `eventState`. An unknown number is 404 (or an `error` object).
struct USPSTrackingAdapter: TrackingAdapter {
    var maxBatch: Int { 1 }

    func makeRequest(for numbers: [String], service: CarrierService, auth: TrackingAuth) -> TrackingHTTPRequest {
        var headers = ["Accept": "application/json"]
        auth.apply(to: &headers)
        return TrackingHTTPRequest(url: "\(service.tracking.baseURL)/tracking/\(numbers[0])?expand=DETAIL", headers: headers)
    }

    func parseResponse(status: Int, body: [UInt8], numbers: [String], service: CarrierService) throws(TrackingResponseError) -> [String: TrackingResult] {
        let zone = service.tracking.zone(or: .gmt)
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
            guard let code = JSONBody.string(e["eventCode"]), let at = CarrierDates.iso(JSONBody.string(e["eventTimestamp"]), zone: zone) else {
                return [numbers[0]: .unreadable("event without eventCode or eventTimestamp")]
            }
            let place = [JSONBody.string(e["eventCity"]), JSONBody.string(e["eventState"])].compactMap { $0 }.joined(separator: ", ")
            events.append(CarrierEvent(code: code, description: JSONBody.string(e["eventType"]) ?? code, occurredAt: at,
                                       location: place.isEmpty ? nil : place, kind: service.kind(of: code)))
        }
        return [numbers[0]: .events(events.chronological())]
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
