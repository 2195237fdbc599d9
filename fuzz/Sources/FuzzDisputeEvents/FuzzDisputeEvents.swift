import Foundation
import ReturnsCore

// The dispute event returnd sends, written by hand (`DisputeEvent.jsonText`, for speed), against
// JSONEncoder, which it replaced: the same bytes for every event, whatever the marketplace, a
// scanner or a carrier put in its strings (quotes, backslashes, control characters, any script),
// and whatever its dates and numbers. The event comes from the input read as JSON, so libFuzzer's
// mutations of a real payload reach every field.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDisputeEvents(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = Data(UnsafeBufferPointer(start: data, count: size))
    guard let event = try? JSONDecoder.returnd.decode(DisputeEvent.self, from: input) else { return 0 }
    let reference = try? JSONEncoder.returnd.encode(event)
    let ours = try? event.jsonText()
    precondition(ours.map { Data($0.utf8) } == reference,
                 "jsonText wrote \(ours ?? "nothing"), JSONEncoder \(reference.map { String(decoding: $0, as: UTF8.self) } ?? "nothing")")
    // What the service receives reads back to the event, to the second. Not for a date before
    // 1583 or past 9999, which no event holds (its dates are returnd's clock, or a scanner's or
    // carrier's after the label was issued): Foundation writes those on the Julian calendar, and
    // returnd reads RFC 3339's Gregorian.
    if let ours, UTCDateTime(flooringToSecond: event.occurredAt) != nil, UTCDateTime(flooringToSecond: event.dropOffBy) != nil {
        guard let back = try? JSONDecoder.returnd.decode(DisputeEvent.self, from: Data(ours.utf8)) else {
            preconditionFailure("jsonText wrote what does not read back: \(ours)")
        }
        var whole = event
        whole.occurredAt = Date(timeIntervalSince1970: event.occurredAt.timeIntervalSince1970.rounded(.down))
        whole.dropOffBy = Date(timeIntervalSince1970: event.dropOffBy.timeIntervalSince1970.rounded(.down))
        precondition(back == whole, "read back as \(back), sent \(whole)")
    }
    return 0
}
