import Foundation

/// Small helpers for reading carriers' JSON without trusting its shape.
enum JSONBody {
    static func object(_ body: [UInt8]) throws(TrackingResponseError) -> [String: Any] {
        guard !body.isEmpty else { throw .malformed("empty body") }
        let value: Any
        do { value = try JSONSerialization.jsonObject(with: Data(body)) } catch { throw .malformed("not JSON") }
        guard let object = value as? [String: Any] else { throw .malformed("top level is not an object") }
        return object
    }

    /// `a.b.0.c` through objects and arrays.
    static func value(_ root: Any?, _ path: String) -> Any? {
        guard !path.isEmpty else { return root }
        var current = root
        for part in path.split(separator: ".") {
            if let index = Int(part), let array = current as? [Any] {
                current = array.indices.contains(index) ? array[index] : nil
            } else {
                current = (current as? [String: Any])?[String(part)]
            }
        }
        return current
    }

    static func string(_ v: Any?) -> String? {
        switch v {
        case let s as String: s
        case let n as NSNumber: n.stringValue
        default: nil
        }
    }
}

enum CarrierDates {
    /// ISO 8601 with or without fractional seconds or zone; a zoneless time is read in `zone`.
    static func iso(_ s: String?, zone: TimeZone = TimeZone(identifier: "UTC")!) -> Date? {
        guard let s, !s.isEmpty else { return nil }
        if let d = try? Date(s, strategy: .iso8601) { return d }
        if let d = try? Date(s, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return d }
        for format in ["yyyy-MM-dd'T'HH:mm:ss.SSSXXXXX", "yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss"] {
            if let d = formatted(s, format, zone) { return d }
        }
        return nil
    }

    static func formatted(_ s: String, _ format: String, _ zone: TimeZone) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = format
        return f.date(from: s)
    }
}

extension Array where Element == CarrierEvent {
    /// Oldest first, as the poller stores them.
    func chronological() -> [CarrierEvent] { sorted { $0.occurredAt < $1.occurredAt } }
}

/// Maps an HTTP status with no usable body to a response error.
func httpError(_ status: Int, _ message: String) -> TrackingResponseError {
    switch status {
    case 429: .rateLimited
    case 401, 403: .unauthorized
    default: .carrierError(status: status, message: message)
    }
}
