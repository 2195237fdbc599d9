import Foundation

/// Canada Post Tracking (XML): `GET /vis/track/pin/{pin}/detail` with basic auth and
/// `Accept: application/vnd.cpc.track-v2+xml`; `tracking-detail/significant-events/occurrence`
/// with `event-identifier`, `event-date`, `event-time`, `event-time-zone`, `event-description`,
/// `event-site`. Unknown pins answer `messages/message/code` 004 ("No Pin History").
struct CanadaPostTrackingAdapter: TrackingAdapter {
    var maxBatch: Int { 1 }

    func makeRequest(for numbers: [String], service: CarrierService, auth: TrackingAuth) -> TrackingHTTPRequest {
        var headers = ["Accept": "application/vnd.cpc.track-v2+xml", "Accept-language": "en-CA"]
        auth.apply(to: &headers)
        return TrackingHTTPRequest(url: "\(service.tracking.baseURL)/pin/\(numbers[0])/detail", headers: headers)
    }

    func parseResponse(status: Int, body: [UInt8], numbers: [String], service: CarrierService) throws(TrackingResponseError) -> [String: TrackingResult] {
        if status == 429 || status == 401 || status >= 500 { throw httpError(status, "Canada Post") }
        let root = try XMLElement.parse(body)
        if root.name == "messages" {
            let code = root.value("message/code") ?? ""
            return [numbers[0]: code == "004" || code == "002" ? .notFound : .failed(root.value("message/description") ?? "code \(code)")]
        }
        guard root.name == "tracking-detail" else { throw .malformed("expected tracking-detail, got \(root.name)") }
        let zones = ["EDT": "America/Toronto", "EST": "America/Toronto", "CDT": "America/Winnipeg", "CST": "America/Winnipeg",
                     "MDT": "America/Edmonton", "MST": "America/Edmonton", "PDT": "America/Vancouver", "PST": "America/Vancouver",
                     "ADT": "America/Halifax", "AST": "America/Halifax", "NDT": "America/St_Johns", "NST": "America/St_Johns"]
        // An occurrence names its zone; one without, or with a code not above, is read in the file's.
        let fileZone = service.tracking.zone(or: TimeZone(identifier: "America/Toronto")!)
        var events: [CarrierEvent] = []
        for o in root.all("occurrence") {
            let zone = zones[o.value("event-time-zone") ?? ""].flatMap(TimeZone.init(identifier:)) ?? fileZone
            guard let code = o.value("event-identifier"), let date = o.value("event-date"),
                let at = CarrierDates.formatted("\(date) \(o.value("event-time") ?? "00:00:00")", "yyyy-MM-dd HH:mm:ss", zone)
            else { return [numbers[0]: .unreadable("occurrence without event-identifier or event-date")] }
            let place = [o.value("event-site"), o.value("event-province")].compactMap { $0 }.joined(separator: ", ")
            events.append(CarrierEvent(code: code, description: o.value("event-description") ?? code, occurredAt: at, location: place.isEmpty ? nil : place, kind: service.kind(of: code)))
        }
        return [numbers[0]: .events(events.chronological())]
    }
}
