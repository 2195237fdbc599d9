import Foundation
import Hummingbird
import Logging
import ReturnsCore
import Store

/// Warehouse scanners: receipts (the moment that matters for the buyer) and inspections.
/// A scanner token is bound to one warehouse. Scanners retry: a repeat answers the same.
struct WarehouseController {
    let runtime: ReturndRuntime
    /// An inspection's body grows with the parcel's items (a rejection's reason is up to 500
    /// characters each), and a parcel gathers items from many requests: 64 KiB refused the
    /// verdict on a large parcel, so it takes `http.max_request_body_bytes`, as a return does.
    let maxBodyBytes: Int

    func addRoutes(to group: RouterGroup<ReturndRequestContext>) {
        group.post("warehouse/receipts", use: receipt)
        group.post("warehouse/inspections", use: inspection)
    }

    struct ReceiptBody: Decodable {
        var code: String
        var scannedAt: Date

        enum CodingKeys: String, CodingKey {
            case code
            case scannedAt = "scanned_at"
        }
    }

    struct InspectionBody: Decodable {
        var code: String
        var items: [ItemInspection]

        enum CodingKeys: String, CodingKey { case code, items }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            code = try c.decode(String.self, forKey: .code)
            items = try c.decode([ItemInspection].self, forKey: .items)
            // A verdict moves money: a field returnd does not read (a "quantity" meant to accept
            // part of a line) must be refused, not dropped and the whole line accepted.
            _ = try c.decode([OnlyKnownKeys].self, forKey: .items)
        }

        struct OnlyKnownKeys: Decodable {
            struct Key: CodingKey {
                var stringValue: String
                var intValue: Int? { nil }
                init(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
            }

            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: Key.self)
                for key in c.allKeys where !["sku", "dispute_id", "outcome", "reason"].contains(key.stringValue) {
                    throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription:
                        "not a field of an inspection item (sku, dispute_id, outcome, reason); an outcome covers the whole line, every unit of its quantity")
                }
            }
        }
    }

    struct Answer: Encodable {
        var parcel: ParcelResponse.Body
        var receipts: [ReceiptRecord]?
        var inspection: [ItemInspection]?
        var acceptedAmounts: [String: [Money]]?

        enum CodingKeys: String, CodingKey {
            case parcel, receipts, inspection
            case acceptedAmounts = "accepted_amounts"
        }
    }

    func scanner(_ context: ReturndRequestContext) throws -> (AccessToken, String) {
        let token = try context.require(.scanner)
        guard let warehouse = token.scope else { throw APIError(.forbidden, "forbidden_scope", "scanner token \(token.id) is bound to no warehouse") }
        return (token, warehouse)
    }

    @Sendable func receipt(_ request: Request, context: ReturndRequestContext) async throws -> Response {
        let (token, warehouse) = try scanner(context)
        let body = try await request.decodeJSON(ReceiptBody.self)
        let now = runtime.clock()
        guard body.scannedAt <= now.addingTimeInterval(ClockSkew.allowed) else {
            throw APIError.badRequest("scanned_at \(body.scannedAt.formatted(.iso8601)) is in the future; check the scanner's clock")
        }
        // Resolved inside the write: a read before it cost more than the write itself.
        let scanned = try await runtime.store.recordScan(resolve: try ParcelCodeResolver(runtime: runtime).scanResolution(body.code, warehouseID: warehouse, scannedAt: body.scannedAt)) { parcel in
            WarehouseReceipt(parcelID: parcel.id, warehouseID: warehouse, code: body.code, scannedAt: body.scannedAt, receivedAt: now, scannerTokenID: token.id)
        }
        let parcel = switch scanned.outcome {
        case .misrouted(let parcel, _), .closed(let parcel): parcel
        case .arrived(let change): change.parcel
        }
        let meta: Logger.Metadata = ["parcel": "\(parcel.id)", "tracking": "\(parcel.trackingNumber)", "warehouse": "\(warehouse)", "dispute": "\(parcel.disputeIDs.joined(separator: ","))"]
        switch scanned.outcome {
        case .misrouted(_, let expected):
            context.logger.warning("parcel.misrouted", metadata: meta.merging(["expected_warehouse": "\(expected)"]) { a, _ in a })
            runtime.metrics.warehouseReadFlagged(reason: "misrouted")
            throw APIError(.conflict, "wrong_warehouse", "parcel \(parcel.id) is addressed to warehouse \(expected), not \(warehouse); the scan is recorded and flagged for an operator")
        case .closed:
            context.logger.warning("parcel.received_closed", metadata: meta.merging(["status": "\(parcel.status.rawValue)"]) { a, _ in a })
            runtime.metrics.warehouseReadFlagged(reason: parcel.status.rawValue)
            throw APIError(.conflict, "invalid_transition", "parcel \(parcel.id) \(parcel.closedReason ?? parcel.status.rawValue), so it cannot be received; the scan is recorded and flagged for an operator")
        case .arrived(let change):
            if change.changed { context.logger.notice("parcel.arrived", metadata: meta) }
            return try .json(Answer(parcel: parcelBody(change.parcel), receipts: scanned.receipts))
        }
    }

    @Sendable func inspection(_ request: Request, context: ReturndRequestContext) async throws -> Response {
        let (_, warehouse) = try scanner(context)
        let body = try await request.decodeJSON(InspectionBody.self, limit: maxBodyBytes, configured: true)
        let skus = Set(body.items.map(\.sku))
        let parcel = try await ParcelCodeResolver(runtime: runtime).resolve(body.code, for: .inspection(skus: skus), store: runtime.store).parcel
        guard parcel.warehouseID == warehouse else {
            throw APIError(.forbidden, "forbidden_scope", "parcel \(parcel.id) belongs to warehouse \(parcel.warehouseID); this scanner is at \(warehouse)")
        }
        let outcome: StatusChangeOutcome
        do {
            outcome = try await runtime.store.changeStatus(StatusChangeRequest(
                parcelID: parcel.id, status: .inspected, source: .scanner, occurredAt: runtime.clock(), location: warehouse, inspection: body.items))
        } catch let illegal as ParcelStateMachine.IllegalTransition {
            // The state machine's words name no parcel and no way on; the status is the write's own.
            var found = parcel
            found.status = illegal.from
            let why = found.closedReason.map { "\($0), so it cannot be inspected" }
                ?? "is \(illegal.from.rawValue): no warehouse has received it yet; record its receipt (POST /v1/warehouse/receipts) before its inspection"
            throw APIError(.conflict, "invalid_transition", "parcel \(parcel.id) \(why)")
        }
        let stored = try await runtime.store.inspection(parcelID: parcel.id)
        if !outcome.changed {
            // A scanner retrying the same verdict is answered as before; a different verdict is
            // refused. Compared item by item, each verdict's item found as when it was stored: a
            // sku in two disputes with the outcomes swapped, or another reason, is another verdict.
            let judged = (try? InspectionRules.judgedItems(body.items, parcel: outcome.parcel)) ?? []
            let sent = Set(zip(body.items, judged).map { ItemInspection(sku: $1.sku, disputeID: $1.disputeID, outcome: $0.outcome, reason: $0.reason) })
            let same = judged.count == body.items.count && sent == Set(stored)
            guard same else {
                throw APIError(.conflict, "already_inspected", "parcel \(parcel.id) was already inspected with other outcomes or reasons; GET /v1/parcels/\(parcel.id) shows them")
            }
        } else {
            context.logger.notice("parcel.inspected", metadata: [
                "parcel": "\(parcel.id)", "tracking": "\(parcel.trackingNumber)", "warehouse": "\(warehouse)",
                "accepted": "\(stored.filter { $0.outcome == .accepted }.count)", "rejected": "\(stored.filter { $0.outcome == .rejected }.count)",
            ])
        }
        return try .json(Answer(parcel: parcelBody(outcome.parcel), inspection: stored, acceptedAmounts: InspectionRules.acceptedAmounts(stored, parcel: outcome.parcel)))
    }

    func parcelBody(_ parcel: Parcel) throws -> ParcelResponse.Body {
        ParcelResponse(try runtime.labelContent(for: parcel), baseURL: runtime.snapshot.publicBaseURL, detailed: true, now: runtime.clock()).parcel
    }
}
