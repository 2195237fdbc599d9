import Foundation
import ReturnsCore

/// Small helpers for reading carriers' JSON without trusting its shape.
enum JSONBody {
    /// The whole body as a JSON object.
    static func object(_ body: [UInt8]) throws(TrackingResponseError) -> JSONValue {
        let value = try parse(body)
        guard let object = value.object else { throw .malformed("top level is not an object") }
        return object
    }

    static func parse(_ body: [UInt8]) throws(TrackingResponseError) -> JSONValue {
        guard !body.isEmpty else { throw .malformed("empty body") }
        do { return try JSONValue.parse(body) } catch { throw .malformed("not JSON (\(error))") }
    }

    /// `a.b.0.c` through objects and arrays.
    static func value(_ root: JSONValue?, _ path: String) -> JSONValue? { root?.value(at: path) }

    static func string(_ v: JSONValue?) -> String? { v?.text }
}

enum CarrierDates {
    /// ISO 8601 with or without fractional seconds or zone; a zoneless time is read in `zone`.
    static func iso(_ s: String?, zone: TimeZone = TimeZone(identifier: "UTC")!) -> Date? {
        guard let s, !s.isEmpty else { return nil }
        if let d = fastISO(s) { return d }
        guard isPlainDateText(s) else { return nil }
        if let d = try? Date(s, strategy: .iso8601) { return d }
        if let d = try? Date(s, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return d }
        for format in ["yyyy-MM-dd'T'HH:mm:ss.SSSXXXXX", "yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss"] {
            if let d = formatted(s, format, zone) { return d }
        }
        return nil
    }

    /// `yyyy-MM-ddTHH:mm:ss[.fff](Z|±HH:MM)`, the shape most carriers use, without Foundation's
    /// formatters (they dominate a poll's cost otherwise). Anything else returns nil.
    static func fastISO(_ s: String) -> Date? {
        let b = Array(s.utf8)
        guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":") else { return nil }
        func num(_ from: Int, _ len: Int) -> Int? {
            var v = 0
            for i in from..<(from + len) {
                guard i < b.count, b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2), let sec = num(17, 2),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61 else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                fraction += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        var offset = 0
        if i < b.count, b[i] == UInt8(ascii: "Z"), i + 1 == b.count {
            offset = 0
        } else if i + 6 == b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), b[i + 3] == UInt8(ascii: ":"),
            let oh = num(i + 1, 2), let om = num(i + 4, 2) {
            offset = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        let days = Int(UTCDateTime.daysSince1970(year: y, month: mo, day: d))
        return Date(timeIntervalSince1970: Double(days * 86_400 + h * 3600 + mi * 60 + sec - offset) + fraction)
    }

    /// Dates are short ASCII. Foundation's DateFormatter traps ("Incorrect range") on text with
    /// combining characters (found by fuzzing), so nothing else reaches its parsers.
    static func isPlainDateText(_ s: String) -> Bool {
        s.utf8.count <= 64 && s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    static func formatted(_ s: String, _ format: String, _ zone: TimeZone) -> Date? {
        guard isPlainDateText(s) else { return nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = format
        if let d = f.date(from: s) { return d }
        // A wall-clock time the zone skips (02:30 on the night the clocks go forward) is nil
        // above. A carrier's device that missed the change writes one, and one such event
        // must not fail its whole answer at every poll: it is read as a valid time and moved
        // forward by the jump (03:30), as java.time does.
        f.timeZone = .gmt
        guard let wall = f.date(from: s) else { return nil }
        return skippedLocalTime(wall: wall, zone: zone)
    }

    /// The instant of a local time `zone` skips, given as if it were UTC (`wall`): read with the
    /// offset in force before the jump (a day earlier: no zone jumps twice in a day), which lands
    /// it that far past the jump. East or west of Greenwich alike.
    static func skippedLocalTime(wall: Date, zone: TimeZone) -> Date {
        wall.addingTimeInterval(-Double(zone.secondsFromGMT(for: wall.addingTimeInterval(-86_400))))
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
