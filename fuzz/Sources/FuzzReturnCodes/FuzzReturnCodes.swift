import ReturnsCore

// What a kiosk hands us: a scanned QR payload, a typed return code, tracking number or parcel id, any bytes at all.
private let signer = try! ReturnPayloadSigner(keys: [
    .init(id: "K1", secret: Array("fuzzing-key-one-0123456789abcdef".utf8)),
    .init(id: "K2", secret: Array("fuzzing-key-two-0123456789abcdef".utf8)),
])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReturnCodes(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let code = try? ReturnCode(parsing: text) {
        // A code that parses must parse again from its canonical and display forms to itself.
        precondition((try? ReturnCode(parsing: code.canonical)) == code, "canonical form does not round-trip: \(code)")
        precondition((try? ReturnCode(parsing: ReturnCode.display(code.canonical))) == code, "display form does not round-trip: \(code)")
    }
    if let payload = try? signer.verify(text) {
        // Only a payload we signed verifies (in any case); re-signing it must give the same text in capitals.
        let resigned = signer.sign(parcelID: payload.parcelID, trackingNumber: payload.trackingNumber, country: payload.country)
        precondition(payload.keyID != "K1" || resigned == ReturnPayload.canonical(text), "a payload verified that we did not sign: \(text)")
    }
    // What the kiosk and warehouse routes read: the text folded to ASCII (`TypedCode`). Each
    // scalar becomes one scalar, folding twice is folding once, and the folded text goes through
    // the same parsers.
    let folded = TypedCode.folded(text)
    precondition(folded.unicodeScalars.count == text.unicodeScalars.count, "folding changed the number of scalars: \(text)")
    precondition(TypedCode.folded(folded) == folded, "folding twice is not folding once: \(text)")
    _ = try? ReturnCode(parsing: folded)
    _ = TrackingNumberScheme.checkDigitSlip(TrackingNumberScheme.typed(folded))
    if let id = ParcelID.typed(folded) {
        // A typed id is an id, and reads as itself.
        precondition(ParcelID.isWellFormed(id) && ParcelID.typed(id) == id, "typed parcel id is not an id: \(text) -> \(id)")
    }
    _ = ReturnPayload.looksLikePayload(text)
    _ = try? ReturnPayloadSigner(keyFile: text)
    return 0
}
