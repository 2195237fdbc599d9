import Carriers
import Foundation
import Logging
import ReturnsCore
import Store

/// Turns a return request into a parcel: eligibility (pure), the country's carrier, then one
/// atomic store operation.
struct ReturnIssuer {
    let runtime: ReturndRuntime

    /// `requestHash` and `bodyHash`: as `ReturnIssuance` has them (compared only under a key).
    func issue(_ request: ReturnRequest, idempotencyKey: String?, requestHash: String, bodyHash: String?, logger: Logger) async throws -> ReturnIssuanceOutcome {
        let s = runtime.snapshot
        let now = runtime.clock()
        try s.policy.check(request, now: now)
        let country = request.buyer.address.country
        guard let carrier = s.catalog.service(forCountry: country) else {
            throw ReturnRefusal(.countryNotServed, ServedCountries.notServedMessage(country))
        }
        let outcome = try await runtime.store.issueReturn(ReturnIssuance(
            request: request, idempotencyKey: idempotencyKey, requestHash: requestHash, bodyHash: bodyHash, now: now, policy: s.policy,
            carrierID: carrier.id, warehouseID: carrier.warehouse.id, scheme: carrier.scheme,
            serialCounterKey: carrier.serialCounterKey, serialRange: carrier.serialRange, firstPollDelay: s.firstPollDelay))
        let p = outcome.parcel
        switch outcome.kind {
        case .created: runtime.metrics.parcelCreated(country: p.country)
        case .reusedLabel: runtime.metrics.parcelUnderUsedLabel(country: p.country)
        case .joined, .replayed: break
        }
        let event = switch outcome.kind {
        case .created: "parcel.label_issued"
        case .joined: "parcel.items_added"
        case .reusedLabel: "parcel.label_reused"
        case .replayed: "parcel.request_replayed"
        }
        logger.info(Logger.Message(stringLiteral: event), metadata: [
            "parcel": "\(p.id)", "tracking": "\(p.trackingNumber)", "dispute": "\(request.disputeID)",
            "carrier": "\(p.carrierID)", "country": "\(p.country)", "items": "\(p.items.count)",
        ].merging(p.labelOf.map { ["label_of": "\($0)"] } ?? [:]) { a, _ in a })
        return outcome
    }
}
