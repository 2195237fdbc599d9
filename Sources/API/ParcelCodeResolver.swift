import Foundation
import Hummingbird
import ReturnsCore
import Store

/// Finds the parcel behind what a kiosk or scanner read: a signed QR payload (signature
/// checked), a typed return code (check symbol checked), the tracking barcode, or the parcel id.
/// The lookups run on a `ParcelFinder`: in one read, or inside the write that records a
/// warehouse scan.
struct ParcelCodeResolver: Sendable {
    let signer: ReturnPayloadSigner

    init(runtime: ReturndRuntime) {
        signer = runtime.snapshot.signer
    }

    struct Resolved: Sendable {
        var parcel: Parcel
        var via: String
    }

    /// What the reader is doing: a tracking number can name a labelled parcel and the packages
    /// reusing its label, and each step is given the package it waits for (`SharedTrackingNumber`).
    enum Step: Sendable {
        case dropOff
        case receipt(warehouseID: String, scannedAt: Date)
        case inspection(skus: Set<String>)
    }

    /// The code's shape is checked before any lookup: a bad request never reaches the store. Its
    /// full-width letters, Unicode spaces and dashes are then read as ASCII (`TypedCode`).
    static func trimmed(_ raw: String) throws -> String {
        let code = withoutSymbologyIdentifier(raw.trimmingCharacters(in: .whitespacesAndNewlines))
        guard !code.isEmpty, code.unicodeScalars.count <= 200 else { throw APIError.badRequest("code must be 1 to 200 characters") }
        return TypedCode.folded(code)
    }

    /// A scanner set to send AIM symbology identifiers puts `]`, a letter and a modifier before
    /// what it read (`]C0` for Code 128, `]Q1` for QR). None of our codes starts with `]`, so
    /// the prefix is dropped rather than the read refused as unknown.
    static func withoutSymbologyIdentifier(_ code: String) -> String {
        let b = Array(code.utf8.prefix(3))
        guard b.count == 3, b[0] == UInt8(ascii: "]"), (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b[1].asciiUppercased),
              (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[2]) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b[2].asciiUppercased)
        else { return code }
        return String(code.dropFirst(3)).trimmingCharacters(in: .whitespaces)
    }

    func resolve(_ raw: String, for step: Step, store: any ReturnStore) async throws -> Resolved {
        let code = try Self.trimmed(raw)
        return try await store.findParcel { finder in try self.resolve(code: code, for: step, in: finder) }
    }

    /// For `ReturnStore.recordScan`: an `APIError` (unknown, forged or mistyped code) is the
    /// refusal to answer with; any other error is the store's and is thrown.
    func scanResolution(_ raw: String, warehouseID: String, scannedAt: Date) throws -> @Sendable (any ParcelFinder) throws -> ScanResolution {
        let code = try Self.trimmed(raw)
        let step = Step.receipt(warehouseID: warehouseID, scannedAt: scannedAt)
        return { finder in
            do {
                let parcel = try self.resolve(code: code, for: step, in: finder).parcel
                // A scanner whose clock was reset (to 1970, after a flat battery) would date the
                // arrival the dispute service is told of before its label existed. The skew
                // allowed is `ClockSkew.allowed`, as for a scan time in the future.
                guard scannedAt >= parcel.createdAt.addingTimeInterval(-ClockSkew.allowed) else {
                    throw APIError.badRequest("scanned_at \(scannedAt.formatted(.iso8601)) is before parcel \(parcel.id) was issued (\(parcel.createdAt.formatted(.iso8601))); check the scanner's clock")
                }
                return .found(parcel)
            } catch let refusal as APIError { return .refused(refusal) }
        }
    }

    func resolve(code: String, for step: Step, in finder: any ParcelFinder) throws -> Resolved {
        if ReturnPayload.looksLikePayload(code) {
            let payload: ReturnPayload
            do { payload = try signer.verify(code) } catch {
                let why = switch error {
                case .malformed: "it is truncated or damaged"
                case .unknownKey(let k): "it was signed with key \(k), which this returnd does not know"
                case .badSignature: "its signature does not match: the code was altered or forged"
                }
                throw APIError(.unprocessableContent, "invalid_qr_code", "this QR code is refused: \(why)")
            }
            guard let parcel = try finder.parcel(id: payload.parcelID), parcel.trackingNumber == payload.trackingNumber else {
                throw APIError.notFound("parcel \(payload.parcelID)")
            }
            return Resolved(parcel: parcel, via: "qr")
        }
        let number = TrackingNumberScheme.typed(code)
        if let labelled = try finder.parcel(trackingNumber: number) {
            return Resolved(parcel: try package(under: labelled, for: step, in: finder), via: "tracking_number")
        }
        // The parcel id, printed small on the label and in every answer, typed when neither
        // barcode reads: it names the parcel (or the package under a used label) exactly.
        if let id = ParcelID.typed(code), let parcel = try finder.parcel(id: id) {
            return Resolved(parcel: parcel, via: "parcel_id")
        }
        if let slip = TrackingNumberScheme.checkDigitSlip(number) {
            throw APIError(.unprocessableContent, "invalid_tracking_number", "tracking number \(code) is refused: \(slip): a digit was mistyped or misread")
        }
        let symbols = code.filter { $0 != "-" && $0 != " " }
        if symbols.count == 9 {
            let returnCode: ReturnCode
            do { returnCode = try ReturnCode(parsing: code) } catch {
                throw APIError(.unprocessableContent, "invalid_return_code", "return code \(code) is refused: \(error.reason)")
            }
            guard let parcel = try finder.parcel(returnCode: returnCode.canonical) else {
                throw APIError.notFound("return code \(returnCode)")
            }
            return Resolved(parcel: parcel, via: "return_code")
        }
        throw APIError.notFound("no parcel has the code \(code) (a QR payload, return code, tracking number or parcel id)")
    }
}

extension ParcelCodeResolver {
    /// The package a read of `labelled`'s tracking number stands for at this step.
    func package(under labelled: Parcel, for step: Step, in finder: any ParcelFinder) throws -> Parcel {
        guard labelled.packagesUnderLabel > 0 else { return labelled }
        let reusing = try finder.packages(reusingLabelOf: labelled.id)
        guard !reusing.isEmpty else { return labelled }
        let packages = [labelled] + reusing
        let picked: Parcel? = switch step {
        case .dropOff: SharedTrackingNumber.pick(packages, for: .dropOff)
        case .inspection(let skus): SharedTrackingNumber.pick(packages, for: .inspection(skus: skus))
        case .receipt(let warehouseID, let scannedAt):
            if let again = try finder.package(among: packages.map(\.id), readAt: warehouseID, scannedAt: scannedAt) {
                packages.first { $0.id == again }
            } else {
                SharedTrackingNumber.pick(packages, for: .receipt(received: try finder.receivedPackages(among: packages.map(\.id), at: warehouseID)))
            }
        }
        return picked ?? labelled
    }
}

struct CodeBody: Decodable {
    var code: String
}
