import ReturnsCore
import Testing

@Suite("Signed QR payloads")
struct ReturnPayloadTests {
    let signer = try! ReturnPayloadSigner(keys: [.init(id: "K2", secret: Array(repeating: 1, count: 32)), .init(id: "K1", secret: Array(repeating: 2, count: 32))])

    @Test("a signed payload verifies and carries parcel, tracking number and country")
    func roundTrip() throws {
        let text = signer.sign(parcelID: "P0123456789AB", trackingNumber: "RR123456785CN", country: "FR")
        #expect(text.hasPrefix("RT1:K2:P0123456789AB:RR123456785CN:FR:"))
        let payload = try signer.verify(text)
        #expect(payload == ReturnPayload(keyID: "K2", parcelID: "P0123456789AB", trackingNumber: "RR123456785CN", country: "FR"))
    }

    @Test("the payload uses only QR alphanumeric characters")
    func alphanumeric() {
        let text = signer.sign(parcelID: "P0123456789AB", trackingNumber: "9400111206206406260787", country: "US")
        #expect(text.allSatisfy { "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains($0) })
    }

    @Test("a payload changed anywhere is refused as forged")
    func forgeries() throws {
        let text = signer.sign(parcelID: "P0123456789AB", trackingNumber: "RR123456785CN", country: "FR")
        #expect(throws: ReturnPayloadError.badSignature) { try signer.verify(text.replacingOccurrences(of: ":FR:", with: ":US:")) }
        #expect(throws: ReturnPayloadError.badSignature) { try signer.verify(text.replacingOccurrences(of: "P0123456789AB", with: "P0123456789AC")) }
        #expect(throws: ReturnPayloadError.malformed) { try signer.verify(String(text.dropLast(30))) }
        #expect(throws: ReturnPayloadError.unknownKey("K9")) { try signer.verify(text.replacingOccurrences(of: "RT1:K2", with: "RT1:K9")) }
        #expect(throws: ReturnPayloadError.malformed) { try signer.verify("hello") }
    }

    @Test("a payload read in lower case or in mixed case (a scanner with Caps Lock on) verifies as the same payload; altered, it is still refused as forged")
    func anyCase() throws {
        let text = signer.sign(parcelID: "P0123456789AB", trackingNumber: "RR123456785CN", country: "FR")
        let payload = try signer.verify(text)
        for read in [text.lowercased(), String(text.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.lowercased()) : $0.element })] {
            #expect(ReturnPayload.looksLikePayload(read))
            #expect(try signer.verify(read) == payload)
        }
        #expect(throws: ReturnPayloadError.badSignature) { try signer.verify(text.lowercased().replacingOccurrences(of: ":fr:", with: ":us:")) }
        // Only ASCII letters are read as capitals: a letter outside ASCII is not taken for one.
        #expect(!ReturnPayload.looksLikePayload("ʀt1:"))
        #expect(throws: ReturnPayloadError.badSignature) { try signer.verify(text.replacingOccurrences(of: "RR123", with: "ʀR123")) }
    }

    @Test("after rotation a label signed with the old key still verifies")
    func rotation() throws {
        let old = try ReturnPayloadSigner(keys: [.init(id: "K1", secret: Array(repeating: 2, count: 32))])
        let text = old.sign(parcelID: "P0123456789AB", trackingNumber: "RR123456785CN", country: "FR")
        #expect(try signer.verify(text).keyID == "K1")
    }

    @Test("a key file gives its first key the signing role and refuses short secrets")
    func keyFile() throws {
        let file = ReturnPayloadSigner.newKeyFile(keyID: "K7")
        #expect(try ReturnPayloadSigner(keyFile: file).keys.first?.id == "K7")
        #expect(throws: ReturnPayloadError.malformed) { try ReturnPayloadSigner(keyFile: "K1 c2hvcnQ=\n") }
        #expect(throws: ReturnPayloadError.malformed) { try ReturnPayloadSigner(keyFile: "# nothing\n") }
    }
}
