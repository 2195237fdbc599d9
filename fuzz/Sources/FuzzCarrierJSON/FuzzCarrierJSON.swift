import Carriers
import Foundation

// Carrier answers are read by `JSONValue.parse`, returnd's own JSON reader. Differential: any
// bytes must read as JSONSerialization reads them, or be refused by both. Two differences are
// accepted: a body JSONSerialization takes for UTF-16/32 (zero bytes near the start, a UTF-16
// byte order mark), which parse refuses because carriers answer in UTF-8; and a number past
// Double's range under a key a later duplicate replaces, which JSONSerialization never converts.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCarrierJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let ours = try? JSONValue.parse(bytes)
    let theirs = (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])).map { JSONValue(foundationObject: $0) }
    let shown = bytes.prefix(400).map { String(format: "%02x", $0) }.joined()
    switch (ours, theirs) {
    case (let a?, let b??):
        precondition(a.matchesFoundationReading(b), "read differently from JSONSerialization: \(shown)")
    case (nil, nil):
        break
    case (nil, let b??):
        precondition(JSONValue.mayBeWideEncoding(bytes) || JSONValue.refusedOnlyForReplacedNumbers(bytes, foundation: b), "refused what JSONSerialization reads: \(shown)")
    case (nil, .some(nil)):
        preconditionFailure("JSONSerialization gave a value outside JSON's types: \(shown)")
    case (_?, nil):
        preconditionFailure("read what JSONSerialization refuses: \(shown)")
    case (_?, .some(nil)):
        preconditionFailure("JSONSerialization gave a value outside JSON's types: \(shown)")
    }
    return 0
}
