import Foundation
import HTTPTypes
import Hummingbird
import ReturnsCore

/// `POST /v1/returns`: the marketplace asks for a free return.
struct ReturnController {
    let runtime: ReturndRuntime
    let maxBodyBytes: Int

    func addRoutes(to group: RouterGroup<ReturndRequestContext>) {
        group.post("returns", use: create)
    }

    @Sendable func create(_ request: Request, context: ReturndRequestContext) async throws -> Response {
        _ = try context.require(.marketplace)
        let key = try idempotencyKey(request)
        let body = try await request.collectBody(upTo: maxBodyBytes, configured: true)
        let bytes = Array(body.readableBytesView)
        let returnRequest = try Request.decodeBody(ReturnRequest.self, from: Data(bytes))
        // Only a key's request is stored and compared: without one, nothing to fingerprint.
        let outcome = try await ReturnIssuer(runtime: runtime).issue(
            returnRequest, idempotencyKey: key, requestHash: key == nil ? "" : try returnRequest.fingerprint(),
            bodyHash: key == nil ? nil : SHA256Hex.digest(bytes), logger: context.logger)
        let content = try runtime.labelContent(for: outcome.parcel)
        let response = ParcelResponse(content, baseURL: runtime.snapshot.publicBaseURL, detailed: false, now: runtime.clock())
        var headers: HTTPFields = [.location: "/v1/parcels/\(outcome.parcel.id)"]
        headers[ReturndHeaders.returnOutcome] = outcome.kind.rawValue
        return try .json(response, status: [.created, .reusedLabel].contains(outcome.kind) ? .created : .ok, headers: headers)
    }

    func idempotencyKey(_ request: Request) throws(APIError) -> String? {
        guard let key = request.headers[ReturndHeaders.idempotencyKey] else { return nil }
        guard (1...200).contains(key.count), key.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) else {
            throw .badRequest("Idempotency-Key must be 1 to 200 visible ASCII characters")
        }
        return key
    }
}

enum ReturndHeaders {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    /// `created`, `joined` or `replayed`: what a 2xx of `POST /v1/returns` did.
    static let returnOutcome = HTTPField.Name("Returnd-Outcome")!
    /// On every answer: the id of the request's log lines (`request_id=`, `hb.request.id=`).
    static let requestID = HTTPField.Name("Returnd-Request-Id")!
}
