import Foundation

/// La Poste Suivi v2: `GET /suivi/v2/idships/{id}[,{id}…]?lang=fr_FR` with `X-Okapi-Key`.
/// One number answers an object, several an array; each has `returnCode` and `shipment.event[]`
/// with `code` (DR1, PC1, ET1, DI1…), `label`, `date`. 104/404 codes mean unknown.
struct LaPosteSuiviAdapter: TrackingAdapter {
    var maxBatch: Int { 10 }

    func makeRequest(for numbers: [String], service: CarrierService, auth: TrackingAuth) -> TrackingHTTPRequest {
        var headers = ["Accept": "application/json"]
        auth.apply(to: &headers)
        return TrackingHTTPRequest(url: "\(service.tracking.baseURL)/idships/\(numbers.joined(separator: ","))?lang=fr_FR", headers: headers)
    }

    func parseResponse(status: Int, body: [UInt8], numbers: [String], service: CarrierService) throws(TrackingResponseError) -> [String: TrackingResult] {
        let zone = service.tracking.zone(or: .gmt)
        if status == 429 || status == 401 || status >= 500 { throw httpError(status, "La Poste") }
        let value = try JSONBody.parse(body)
        let entries: [JSONValue]
        if let one = value.object { entries = [one] } else if let many = value.objects { entries = many } else { throw .malformed("neither object nor array") }
        var results: [String: TrackingResult] = [:]
        // A number whose events cannot be read fails alone: the batch's other numbers are read.
        entries: for entry in entries {
            let code = Int(JSONBody.string(entry["returnCode"]) ?? "") ?? status
            let shipment = entry["shipment"]?.object
            let id = JSONBody.string(shipment?["idShip"]) ?? JSONBody.string(entry["idShip"]) ?? (numbers.count == 1 ? numbers[0] : nil)
            guard let id else { continue }
            switch code {
            case 200, 207:
                guard let list = shipment?["event"]?.objects else {
                    results[id] = .unreadable("shipment.event missing")
                    continue entries
                }
                var events: [CarrierEvent] = []
                for e in list {
                    guard let c = JSONBody.string(e["code"]), let at = CarrierDates.iso(JSONBody.string(e["date"]), zone: zone) else {
                        results[id] = .unreadable("event without code or date")
                        continue entries
                    }
                    events.append(CarrierEvent(code: c, description: JSONBody.string(e["label"]) ?? c, occurredAt: at, kind: service.kind(of: c)))
                }
                results[id] = .events(events.chronological())
            case 104, 404: results[id] = .notFound
            default: results[id] = .failed(JSONBody.string(entry["returnMessage"]) ?? "returnCode \(code)")
            }
        }
        return results
    }
}
