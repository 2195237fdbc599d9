import Foundation
import Hummingbird
import Labels
import ReturnsCore
import Store

/// `GET /v1/parcels/{id}` and its label.
struct ParcelController {
    let runtime: ReturndRuntime

    func addRoutes(to group: RouterGroup<ReturndRequestContext>) {
        group.get("parcels/:id", use: show)
        group.get("parcels/:id/label", use: label)
    }

    @Sendable func show(_ request: Request, context: ReturndRequestContext) async throws -> Response {
        _ = try context.require(.marketplace, .operator)
        let parcel = try await load(context)
        var response = ParcelResponse(try runtime.labelContent(for: parcel), baseURL: runtime.snapshot.publicBaseURL, detailed: true, now: runtime.clock())
        // Every read of a box is stored, and a box left under a fixed scanner is read all day:
        // the answer lists the latest reads and counts them all, so that it stays bounded.
        let reads = try await runtime.store.latestReceipts(parcelID: parcel.id, limit: ParcelResponse.receiptsListed)
        response.parcel.receipts = reads.receipts
        response.parcel.receiptCount = reads.total
        response.parcel.inspection = try await runtime.store.inspection(parcelID: parcel.id)
        response.parcel.trackingEvents = try await runtime.store.trackingEvents(parcelID: parcel.id).map {
            TrackingEventBody(event: $0, beforeIssue: $0.isBeforeIssue(of: parcel), afterClose: $0.isAfterClose(of: parcel))
        }
        if parcel.packagesUnderLabel > 0 {
            response.parcel.packagesUnderLabel = try await runtime.store.packages(reusingLabelOf: parcel.id).map(\.id)
        }
        return try .json(response)
    }

    @Sendable func label(_ request: Request, context: ReturndRequestContext) async throws -> Response {
        let token = try context.require(.marketplace, .kiosk)
        let formatName = try request.queryParameter("format") ?? "pdf"
        guard let format = LabelFormat(rawValue: formatName) else {
            throw APIError.badRequest("query parameter format must be one of pdf, png, svg, zpl, not \(formatName.quotedInMessage(max: 20))")
        }
        let parcel = try await load(context)
        if token.role == .kiosk && token.kioskCountry != parcel.country {
            throw APIError(.forbidden, "forbidden_scope", "kiosk \(token.scope ?? "-") serves \(token.kioskCountry ?? "no country"), parcel \(parcel.id) is for \(parcel.country)")
        }
        if let labelled = parcel.labelOf {
            throw APIError(.conflict, "label_reused", "parcel \(parcel.id) has no label of its own: its order's free label was used, so it goes back under the label of parcel \(labelled), tracking number \(parcel.trackingNumber) written on the package by hand")
        }
        // Before the ETag: a kiosk revalidating a cached label must learn that it died, also
        // when its deadline passed and the timers have yet to expire it.
        if let why = parcel.closedReason(at: runtime.clock()) {
            throw APIError(.gone, "label_void", "return \(parcel.id) \(why): its label is void, so there is nothing to print")
        }
        // Labels are immutable per parcel version: a kiosk retrying on a flaky line revalidates
        // cheaply. The tag is weak: the label drawn again (by another instance, after a restart,
        // or a PDF with its creation date) is the same label, not always the same bytes.
        let tag = "\(parcel.id)-v\(parcel.labelVersion)-\(format.rawValue)"
        let etag = "W/\"\(tag)\""
        if Self.ifNoneMatch(request.headers[.ifNoneMatch], matches: tag) {
            return Response(status: .notModified, headers: [.eTag: etag])
        }
        let content = try runtime.labelContent(for: parcel)
        let started = ContinuousClock.now
        let rendered = try runtime.renderer.render(content, format: format)
        runtime.metrics.labelRendered(country: parcel.country, format: format.rawValue, duration: ContinuousClock.now - started)
        let headers: HTTPFields = [
            .contentType: format.contentType,
            .eTag: etag,
            .contentDisposition: "inline; filename=\"return-\(parcel.trackingNumber).\(format.rawValue)\"",
        ]
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: rendered.bytes)))
    }

    /// RFC 9110's weak comparison for `If-None-Match`: any tag of the list, weak or strong (as
    /// a kiosk kept it before the tags were weak), with the same opaque value, or `*`.
    static func ifNoneMatch(_ header: String?, matches tag: String) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { item in
            var t = item.trimmingCharacters(in: .whitespaces)[...]
            if t == "*" { return true }
            if t.hasPrefix("W/") { t = t.dropFirst(2) }
            return t.count >= 2 && t.hasPrefix("\"") && t.hasSuffix("\"") && t.dropFirst().dropLast() == tag[...]
        }
    }

    func load(_ context: ReturndRequestContext) async throws -> Parcel {
        let id = context.parameters.get("id") ?? ""
        guard ParcelID.isWellFormed(id), let parcel = try await runtime.store.parcel(id: id) else {
            throw APIError.notFound("parcel \(id.quotedInMessage())")
        }
        return parcel
    }
}
