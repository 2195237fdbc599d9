import Foundation

/// For carriers without an adapter of their own: where the events are and what their fields
/// are called is configured in the carrier file (`tracking.generic`).
public struct GenericJSONSpec: Sendable, Hashable {
    /// Appended to the base URL; `{tracking_number}` is replaced.
    public var path: String
    /// Dot path to the events array (`data.events`, `0.events`).
    public var events: String
    public var code: String
    public var time: String
    public var description: String?
    public var location: String?
    public var notFoundStatus: Int

    public init(path: String, events: String, code: String, time: String, description: String?, location: String?, notFoundStatus: Int) {
        self.path = path
        self.events = events
        self.code = code
        self.time = time
        self.description = description
        self.location = location
        self.notFoundStatus = notFoundStatus
    }
}

struct GenericJSONTrackingAdapter: TrackingAdapter {
    let spec: GenericJSONSpec
    var maxBatch: Int { 1 }

    func makeRequest(for numbers: [String], service: CarrierService, auth: TrackingAuth) -> TrackingHTTPRequest {
        var headers = ["Accept": "application/json"]
        auth.apply(to: &headers)
        return TrackingHTTPRequest(url: service.tracking.baseURL + spec.path.replacingOccurrences(of: "{tracking_number}", with: numbers[0]), headers: headers)
    }

    func parseResponse(status: Int, body: [UInt8], numbers: [String], service: CarrierService) throws(TrackingResponseError) -> [String: TrackingResult] {
        // An offset-less time is read in the file's `tracking.time_zone`; without one, as UTC.
        let zone = service.tracking.zone(or: .gmt)
        if status == spec.notFoundStatus { return [numbers[0]: .notFound] }
        guard status == 200 else { throw httpError(status, service.carrierName) }
        let root = try JSONBody.parse(body)
        guard let list = JSONBody.value(root, spec.events)?.objects else { throw .malformed("no events array at \(spec.events)") }
        var events: [CarrierEvent] = []
        for e in list {
            guard let code = JSONBody.string(JSONBody.value(e, spec.code)), let at = CarrierDates.iso(JSONBody.string(JSONBody.value(e, spec.time)), zone: zone) else {
                return [numbers[0]: .unreadable("event without \(spec.code) or \(spec.time)")]
            }
            let description = spec.description.flatMap { JSONBody.string(JSONBody.value(e, $0)) } ?? code
            events.append(CarrierEvent(code: code, description: description, occurredAt: at, location: spec.location.flatMap { JSONBody.string(JSONBody.value(e, $0)) }, kind: service.kind(of: code)))
        }
        return [numbers[0]: .events(events.chronological())]
    }
}
