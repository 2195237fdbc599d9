import Foundation
import Hummingbird
import ReturnsCore
import Store

/// Drop-off kiosks: scan a QR or type a return code, print the label, hand the parcel over.
/// A kiosk token is bound to a service point whose id starts with its country.
struct KioskController {
    let runtime: ReturndRuntime

    func addRoutes(to group: RouterGroup<ReturndRequestContext>) {
        group.post("kiosk/scans", use: scan)
        group.post("kiosk/dropoffs", use: dropOff)
    }

    /// A tracking number shared by a labelled parcel and the packages reusing its label names
    /// the first of them not yet handed over: that is what a kiosk is shown and takes.
    func resolve(_ request: Request, _ context: ReturndRequestContext) async throws -> (AccessToken, Parcel) {
        let token = try context.require(.kiosk)
        let body = try await request.decodeJSON(CodeBody.self)
        let parcel = try await ParcelCodeResolver(runtime: runtime).resolve(body.code, for: .dropOff, store: runtime.store).parcel
        guard let country = token.kioskCountry, country == parcel.country else {
            throw APIError(.forbidden, "forbidden_scope", "parcel \(parcel.id) is a return from \(parcel.country); this kiosk (\(token.scope ?? "-")) serves \(token.kioskCountry ?? "no country")")
        }
        // Said at the scan, in words for the counter: the scan answered a label to print, and only
        // the drop-off was refused, in the state machine's words. Past its deadline a label is
        // void here at once, though the timers expire it only after asking its carrier.
        if let why = parcel.closedReason(at: runtime.clock()) {
            throw APIError(.conflict, "invalid_transition", "return \(parcel.id) \(why): there is no label to print or parcel to take")
        }
        // Its box is at the warehouse: a box handed over under its label now is another one (a
        // label printed twice), which the kiosk must not take as this return.
        if parcel.status == .arrivedAtWarehouse || parcel.status == .inspected {
            let when = parcel.history.last { $0.status == .arrivedAtWarehouse }.map { " on \($0.occurredAt.formatted(.iso8601))" } ?? ""
            throw APIError(.conflict, "already_received", "return \(parcel.id) was received at warehouse \(parcel.warehouseID)\(when): its label was used, so a box handed over with it now is not this return")
        }
        return (token, parcel)
    }

    @Sendable func scan(_ request: Request, context: ReturndRequestContext) async throws -> Response {
        let (token, parcel) = try await resolve(request, context)
        context.logger.info("kiosk.scanned", metadata: ["parcel": "\(parcel.id)", "tracking": "\(parcel.trackingNumber)", "service_point": "\(token.scope ?? "-")"])
        return try .json(ParcelResponse(try runtime.labelContent(for: parcel), baseURL: runtime.snapshot.publicBaseURL, detailed: false, now: runtime.clock()))
    }

    @Sendable func dropOff(_ request: Request, context: ReturndRequestContext) async throws -> Response {
        let (token, parcel) = try await resolve(request, context)
        let outcome = try await runtime.store.changeStatus(StatusChangeRequest(
            parcelID: parcel.id, status: .droppedOff, source: .kiosk, occurredAt: runtime.clock(), location: token.scope))
        if outcome.changed {
            context.logger.info("parcel.dropped_off", metadata: [
                "parcel": "\(parcel.id)", "tracking": "\(parcel.trackingNumber)", "service_point": "\(token.scope ?? "-")",
                "dispute": "\(parcel.disputeIDs.joined(separator: ","))",
            ])
        }
        return try .json(ParcelResponse(try runtime.labelContent(for: outcome.parcel), baseURL: runtime.snapshot.publicBaseURL, detailed: false, now: runtime.clock()))
    }
}
