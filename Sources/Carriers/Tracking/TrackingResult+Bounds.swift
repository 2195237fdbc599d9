/// What returnd keeps of one carrier answer for one number. A carrier is outside returnd: a
/// broken or hostile API could answer tens of thousands of events or a megabyte of text per
/// event inside the 4 MiB an answer may have, and each would be stored, served by
/// `GET /v1/parcels/{id}` and printed by `returnctl parcel history`. No real carrier comes near
/// these bounds (a parcel's life is a few dozen events of a line each).
public enum TrackingAnswerBounds {
    public static let eventsPerNumber = 200
    public static let codeLength = 64
    public static let descriptionLength = 500
    public static let locationLength = 200
    public static let failureLength = 300

    /// `results` within the bounds, and how many events and texts were cut to get there. Of too
    /// many events the newest are kept: they say where the parcel is now.
    public static func apply(_ results: [String: TrackingResult]) -> (results: [String: TrackingResult], eventsDropped: Int, textsCut: Int) {
        var dropped = 0, cut = 0
        // Nearly every answer is within bounds: it is returned as it is.
        guard results.values.contains(where: exceeds) else { return (results, 0, 0) }
        var bounded = results
        for (number, result) in results {
            switch result {
            case .events(var events):
                if events.count > eventsPerNumber {
                    dropped += events.count - eventsPerNumber
                    events = Array(events.sorted { $0.occurredAt < $1.occurredAt }.suffix(eventsPerNumber))
                }
                bounded[number] = .events(events.map { e in
                    var e = e
                    e.code = shortened(e.code, to: codeLength, cut: &cut)
                    e.description = shortened(e.description, to: descriptionLength, cut: &cut)
                    e.location = e.location.map { shortened($0, to: locationLength, cut: &cut) }
                    return e
                })
            case .failed(let message):
                bounded[number] = .failed(shortened(message, to: failureLength, cut: &cut))
            case .notFound:
                break
            }
        }
        return (bounded, dropped, cut)
    }

    static func exceeds(_ result: TrackingResult) -> Bool {
        switch result {
        case .events(let events):
            events.count > eventsPerNumber || events.contains {
                $0.code.utf8.count > codeLength || $0.description.utf8.count > descriptionLength || ($0.location?.utf8.count ?? 0) > locationLength
            }
        case .failed(let message): message.utf8.count > failureLength
        case .notFound: false
        }
    }

    /// At most `limit` Unicode scalars (as the API's fields are counted), an ellipsis marking a cut.
    static func shortened(_ text: String, to limit: Int, cut: inout Int) -> String {
        // UTF-8 bytes are never fewer than scalars: a short text in bytes is short.
        guard text.utf8.count > limit, text.unicodeScalars.count > limit else { return text }
        cut += 1
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: text.unicodeScalars.prefix(limit - 1))
        return String(kept) + "…"
    }
}
