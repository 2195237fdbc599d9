import Foundation

/// Royal Mail Tracking API v2: `GET /mailpieces/v2/{mailPieceId}/events` with
/// `X-IBM-Client-Id` (and `X-Accept-RMG-Terms: yes`); `mailPieces.events[]` with `eventCode`
/// (EVDAV, EVNMI, EVKSP…), `eventName`, `eventDateTime`, `locationName`. Errors come as
/// `httpCode` and `errors[]` of `errorCode`/`errorDescription` (E1142: not recognised).
struct RoyalMailTrackingAdapter: TrackingAdapter {
    var maxBatch: Int { 1 }

    func makeRequest(for numbers: [String], service: CarrierService, auth: TrackingAuth) -> TrackingHTTPRequest {
        var headers = ["Accept": "application/json", "X-Accept-RMG-Terms": "yes"]
        auth.apply(to: &headers)
        return TrackingHTTPRequest(url: "\(service.tracking.baseURL)/\(numbers[0])/events", headers: headers)
    }

    func parseResponse(status: Int, body: [UInt8], numbers: [String], service: CarrierService) throws(TrackingResponseError) -> [String: TrackingResult] {
        let london = service.tracking.zone(or: TimeZone(identifier: "Europe/London")!)
        if status == 429 || status == 401 || status >= 500 { throw httpError(status, "Royal Mail") }
        let json = try JSONBody.object(body)
        if let errors = json["errors"]?.objects, let first = errors.first {
            let code = JSONBody.string(first["errorCode"]) ?? ""
            return [numbers[0]: status == 404 || code == "E1142" ? .notFound : .failed(JSONBody.string(first["errorDescription"]) ?? code)]
        }
        guard status == 200, let list = JSONBody.value(json, "mailPieces.events")?.objects else { throw .malformed("mailPieces.events missing") }
        var events: [CarrierEvent] = []
        for e in list {
            guard let code = JSONBody.string(e["eventCode"]), let at = CarrierDates.iso(JSONBody.string(e["eventDateTime"]), zone: london) else {
                return [numbers[0]: .unreadable("event without eventCode or eventDateTime")]
            }
            events.append(CarrierEvent(code: code, description: JSONBody.string(e["eventName"]) ?? code, occurredAt: at, location: JSONBody.string(e["locationName"]), kind: service.kind(of: code)))
        }
        return [numbers[0]: .events(events.chronological())]
    }
}
