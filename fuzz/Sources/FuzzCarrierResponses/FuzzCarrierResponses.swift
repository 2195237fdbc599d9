import Carriers
import Foundation
import Transport

// Input: a first line "<carrier id> <status> <number>,<number>..." then the answer's body.
// The header lets the fuzzer steer which adapter, status and numbers it attacks.
private let catalog: CarrierCatalog = {
    let dir = ProcessInfo.processInfo.environment["RETURND_CARRIERS_DIR"] ?? "carriers"
    do { return try CarrierCatalog.load(directory: dir) } catch {
        fatalError("FuzzCarrierResponses needs the carrier files (RETURND_CARRIERS_DIR): \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCarrierResponses(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let newline = bytes.firstIndex(of: 10) ?? bytes.count
    let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ", maxSplits: 2).map(String.init)
    let body = newline < bytes.count ? Array(bytes[(newline + 1)...]) : []
    let services = catalog.services
    let service = header.first.flatMap { catalog.byID[$0] } ?? services[bytes.first.map { Int($0) % services.count } ?? 0]
    let status = header.count > 1 ? Int(header[1]).map { max(0, min($0, 999)) } ?? 200 : 200
    guard let adapter = TrackingAdapters.adapter(for: service) else { return 0 }
    // As the poller calls it: 1 to maxBatch numbers (an empty list broke the harness, not us).
    let asked = header.count > 2 ? header[2].split(separator: ",").prefix(adapter.maxBatch).map(String.init) : []
    let numbers = asked.isEmpty ? ["N1"] : asked
    do {
        // Results for numbers not asked are allowed: the poller reads only the numbers it asked.
        let results = try adapter.parseResponse(status: status, body: body, numbers: numbers, service: service)
        for case .events(let events) in results.values {
            // The poller relies on oldest-first order to find the latest status.
            precondition(zip(events, events.dropFirst()).allSatisfy { $0.occurredAt <= $1.occurredAt }, "\(service.id) events out of order")
        }
    } catch {
        // Typed errors are the contract; the poller retries or backs off on them.
    }
    _ = try? OAuthClientCredentials.parseResponse(status: status, body: body)
    // The answer's Retry-After, as the poller and the notifier read it on any failure: the body's
    // first line stands for the header's value (a date with a combining character trapped).
    let value = String(decoding: body.prefix { $0 != 10 }.prefix(200), as: UTF8.self)
    if let wait = InboundResponse.retryAfter(value, now: Date(timeIntervalSince1970: 1_790_000_000)) {
        precondition(wait >= .zero && wait <= .seconds(86_400), "Retry-After \(value.debugDescription) read as \(wait)")
    }
    return 0
}
