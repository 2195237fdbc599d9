import Foundation

/// Australia Post Shipping and Tracking: `GET /shipping/v1/track?tracking_ids=A,B` (up to 10)
/// with basic auth and `account-number`; `tracking_results[]` with `tracking_id`, `errors[]`
/// (ESB-10001: invalid id, ESB-10002: not found) or `trackable_items[].events[]` of
/// `description`, `date`, `location`. Events have no code: the status map keys on descriptions.
struct AustraliaPostTrackingAdapter: TrackingAdapter {
    var maxBatch: Int { 10 }

    func makeRequest(for numbers: [String], service: CarrierService, auth: TrackingAuth) -> TrackingHTTPRequest {
        var headers = ["Accept": "application/json"]
        auth.apply(to: &headers)
        if case .basic(let user, _) = auth { headers["account-number"] = user }
        return TrackingHTTPRequest(url: "\(service.tracking.baseURL)/track?tracking_ids=\(numbers.joined(separator: ","))", headers: headers)
    }

    func parseResponse(status: Int, body: [UInt8], numbers: [String], service: CarrierService) throws(TrackingResponseError) -> [String: TrackingResult] {
        guard status == 200 else { throw httpError(status, "Australia Post") }
        let json = try JSONBody.object(body)
        guard let list = json["tracking_results"]?.objects else { throw .malformed("tracking_results missing") }
        let sydney = service.tracking.zone(or: TimeZone(identifier: "Australia/Sydney")!)
        var results: [String: TrackingResult] = [:]
        // A number whose events cannot be read fails alone: the batch's other numbers are read.
        numbers: for r in list {
            guard let id = JSONBody.string(r["tracking_id"]) else { continue }
            if let errors = r["errors"]?.objects, let first = errors.first {
                let code = JSONBody.string(first["code"]) ?? ""
                results[id] = code == "ESB-10002" || code == "ESB-10001" ? .notFound : .failed(JSONBody.string(first["name"]) ?? code)
                continue
            }
            var events: [CarrierEvent] = []
            for item in r["trackable_items"]?.objects ?? [] {
                for e in item["events"]?.objects ?? [] {
                    guard let description = JSONBody.string(e["description"]), let at = CarrierDates.iso(JSONBody.string(e["date"]), zone: sydney) else {
                        results[id] = .unreadable("event without description or date")
                        continue numbers
                    }
                    events.append(CarrierEvent(code: description, description: description, occurredAt: at, location: JSONBody.string(e["location"]), kind: service.kind(of: description)))
                }
            }
            results[id] = .events(events.chronological())
        }
        return results
    }
}
