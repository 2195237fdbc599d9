import Foundation
import Hummingbird
import ReturnsCore
import Store

/// Finds the parcel behind what a kiosk or scanner read: a signed QR payload (signature
/// checked), a typed return code (check symbol checked), or the tracking barcode.
struct ParcelCodeResolver {
    let runtime: ReturndRuntime

    struct Resolved {
        var parcel: Parcel
        var via: String
    }

    func resolve(_ raw: String) async throws -> Resolved {
        let code = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !code.isEmpty, code.count <= 200 else { throw APIError.badRequest("code must be 1 to 200 characters") }
        let store = runtime.store
        if ReturnPayload.looksLikePayload(code) {
            let payload: ReturnPayload
            do { payload = try runtime.snapshot.signer.verify(code) } catch {
                let why = switch error {
                case .malformed: "it is truncated or damaged"
                case .unknownKey(let k): "it was signed with key \(k), which this returnd does not know"
                case .badSignature: "its signature does not match: the code was altered or forged"
                }
                throw APIError(.unprocessableContent, "invalid_qr_code", "this QR code is refused: \(why)")
            }
            guard let parcel = try await store.parcel(id: payload.parcelID), parcel.trackingNumber == payload.trackingNumber else {
                throw APIError.notFound("parcel \(payload.parcelID)")
            }
            return Resolved(parcel: parcel, via: "qr")
        }
        if let parcel = try await store.parcel(trackingNumber: code.uppercased()) {
            return Resolved(parcel: parcel, via: "tracking_number")
        }
        let symbols = code.filter { $0 != "-" && $0 != " " }
        if symbols.count == 9 {
            let returnCode: ReturnCode
            do { returnCode = try ReturnCode(parsing: code) } catch {
                let why = switch error {
                case .checkMismatch: "its last character does not match: a character was mistyped"
                case .invalidSymbol(let c): "\(c) is not used in return codes"
                case .wrongLength: "a return code has 9 characters"
                }
                throw APIError(.unprocessableContent, "invalid_return_code", "return code \(code) is refused: \(why)")
            }
            guard let parcel = try await store.parcel(returnCode: returnCode.canonical) else {
                throw APIError.notFound("return code \(returnCode)")
            }
            return Resolved(parcel: parcel, via: "return_code")
        }
        throw APIError.notFound("a parcel for code \(code)")
    }
}

struct CodeBody: Decodable {
    var code: String
}

extension Request {
    /// Decodes a small JSON body into `T`, answering 400 with the field at fault.
    func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int = 64 * 1024) async throws -> T {
        let buffer = try await body.collect(upTo: limit)
        do { return try JSONDecoder.returnd.decode(T.self, from: Data(buffer.readableBytesView)) } catch let error as DecodingError {
            throw APIError.badRequest(error.readable)
        }
    }
}
