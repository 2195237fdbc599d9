import Foundation
import ReturnsCore

// What a marketplace or a scanner's clock sends as a date (`received_at`, `scanned_at`), any
// bytes at all. What returnd takes and Foundation's ISO 8601 parser (which it used before) takes
// too, both must read as the same instant: the strict reader refuses more, and must never read a
// date differently.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestDates(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let date = try? UTCDateTime.date(rfc3339: text) else { return 0 }
    precondition(text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "took text that is not printable ASCII: \(text.debugDescription)")
    // Before 1583 Foundation's calendar is Julian (returnd reads RFC 3339's Gregorian): nothing
    // to compare with.
    guard let year = Int(text.prefix(4)), year >= 1583 else { return 0 }
    // Written back as the encoder writes it, it reads to the same whole second.
    let whole = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    precondition((try? UTCDateTime.date(rfc3339: whole.formatted(.iso8601))) == whole, "does not round-trip: \(text)")
    // Foundation reads upper-case T and Z only, and rolls a leap second its own way.
    let bytes = Array(text.utf8)
    guard !text.contains("t"), !text.contains("z"), bytes[17] != UInt8(ascii: "6") else { return 0 }
    let style = Date.ISO8601FormatStyle(includingFractionalSeconds: text.contains("."))
    // Foundation refuses some shapes returnd takes (an hour-only offset after a fraction); what
    // it takes, it must read as returnd does.
    if let foundation = try? Date(text, strategy: style) {
        precondition(abs(foundation.timeIntervalSince(date)) < 0.001, "read as \(date), Foundation reads \(foundation): \(text)")
    }
    return 0
}
