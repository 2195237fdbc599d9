import Foundation

/// DHL Shipment Tracking - Unified: `GET /track/shipments?trackingNumber=…` with `DHL-API-Key`;
/// `shipments[].events[]` with `statusCode` (pre-transit, transit, delivered, failure, unknown),
/// `status`, `description`, `timestamp`, `location.address.addressLocality`. Not found is a 404
/// problem document.
struct DHLUnifiedTrackingAdapter: TrackingAdapter {
    var maxBatch: Int { 1 }

    func makeRequest(for numbers: [String], service: CarrierService, auth: TrackingAuth) -> TrackingHTTPRequest {
        var headers = ["Accept": "application/json"]
        auth.apply(to: &headers)
        return TrackingHTTPRequest(url: "\(service.tracking.baseURL)/shipments?trackingNumber=\(numbers[0])", headers: headers)
    }

    func parseResponse(status: Int, body: [UInt8], numbers: [String], service: CarrierService) throws(TrackingResponseError) -> [String: TrackingResult] {
        let zone = service.tracking.zone(or: .gmt)
        if status == 404 { return [numbers[0]: .notFound] }
        guard status == 200 else { throw httpError(status, "DHL") }
        let json = try JSONBody.object(body)
        guard let shipments = json["shipments"]?.objects else { throw .malformed("shipments missing") }
        guard let shipment = shipments.first else { return [numbers[0]: .notFound] }
        var events: [CarrierEvent] = []
        for e in shipment["events"]?.objects ?? [] {
            guard let code = JSONBody.string(e["statusCode"]), let at = CarrierDates.iso(JSONBody.string(e["timestamp"]), zone: zone) else {
                return [numbers[0]: .unreadable("event without statusCode or timestamp")]
            }
            events.append(CarrierEvent(
                code: code, description: JSONBody.string(e["description"]) ?? JSONBody.string(e["status"]) ?? code, occurredAt: at,
                location: JSONBody.string(JSONBody.value(e, "location.address.addressLocality")), kind: service.kind(of: code)))
        }
        // One number per request: the answer is for it, whatever id format the body uses.
        return [numbers[0]: .events(events.chronological())]
    }
}
