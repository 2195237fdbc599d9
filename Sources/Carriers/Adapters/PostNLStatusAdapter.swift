import Foundation

/// PostNL Shipping Status v2: `GET /shipment/v2/status/barcode/{barcode}?detail=true` with the
/// `apikey` header; `CurrentStatus.Shipment` (or `CompleteStatus.Shipment`, object or array)
/// with `Event[]` of `Code` (A01, B01, J01, I01…), `Description`, `TimeStamp`
/// ("dd-MM-yyyy HH:mm:ss", Amsterdam time), `LocationCode`. Errors: `Errors[]`/`Warnings[]`.
struct PostNLStatusAdapter: TrackingAdapter {
    var maxBatch: Int { 1 }

    func makeRequest(for numbers: [String], service: CarrierService, auth: TrackingAuth) -> TrackingHTTPRequest {
        var headers = ["Accept": "application/json"]
        auth.apply(to: &headers)
        return TrackingHTTPRequest(url: "\(service.tracking.baseURL)/status/barcode/\(numbers[0])?detail=true", headers: headers)
    }

    func parseResponse(status: Int, body: [UInt8], numbers: [String], service: CarrierService) throws(TrackingResponseError) -> [String: TrackingResult] {
        if status == 429 || status == 401 || status >= 500 { throw httpError(status, "PostNL") }
        let json = try JSONBody.object(body)
        if let problems = (json["Errors"] ?? json["Warnings"])?.objects, let first = problems.first {
            let text = JSONBody.string(first["Description"]) ?? JSONBody.string(first["Message"]) ?? "error"
            return [numbers[0]: status == 404 || text.lowercased().contains("no shipment") || text.lowercased().contains("not found") ? .notFound : .failed(text)]
        }
        let container = JSONBody.value(json, "CompleteStatus.Shipment") ?? JSONBody.value(json, "CurrentStatus.Shipment")
        guard let shipment = (container?.object) ?? (container?.objects)?.first else { throw .malformed("Shipment missing") }
        let amsterdam = service.tracking.zone(or: TimeZone(identifier: "Europe/Amsterdam")!)
        var events: [CarrierEvent] = []
        let list = (shipment["Event"]?.objects) ?? (shipment["Event"]?.object).map { [$0] } ?? []
        for e in list {
            guard let code = JSONBody.string(e["Code"]), let raw = JSONBody.string(e["TimeStamp"]),
                let at = CarrierDates.formatted(raw, "dd-MM-yyyy HH:mm:ss", amsterdam) ?? CarrierDates.iso(raw, zone: amsterdam)
            else { return [numbers[0]: .unreadable("Event without Code or TimeStamp")] }
            events.append(CarrierEvent(code: code, description: JSONBody.string(e["Description"]) ?? code, occurredAt: at, location: JSONBody.string(e["LocationCode"]), kind: service.kind(of: code)))
        }
        return [numbers[0]: .events(events.chronological())]
    }
}
