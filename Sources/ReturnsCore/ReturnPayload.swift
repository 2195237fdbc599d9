import Crypto
import Foundation

/// What the label's QR code carries: `RT1:<key id>:<parcel id>:<tracking number>:<country>:<signature>`.
/// Upper-case letters, digits and colons only, so the QR uses its dense alphanumeric mode.
/// The signature is the first 15 bytes of HMAC-SHA256 over everything before it, in Crockford
/// base 32; the key id lets keys rotate while old labels stay valid.
public struct ReturnPayload: Hashable, Sendable {
    public static let version = "RT1"

    public var keyID: String
    public var parcelID: String
    public var trackingNumber: String
    public var country: String

    public init(keyID: String, parcelID: String, trackingNumber: String, country: String) {
        self.keyID = keyID
        self.parcelID = parcelID
        self.trackingNumber = trackingNumber
        self.country = country
    }

    var signedPart: String { [Self.version, keyID, parcelID, trackingNumber, country].joined(separator: ":") }

    /// `RT1:` in any case: a keyboard-wedge scanner with Caps Lock on types what it reads in
    /// lower case.
    public static func looksLikePayload(_ s: String) -> Bool { s.utf8.prefix(4).map(\.asciiUppercased).elementsEqual("RT1:".utf8) }

    /// The payload in capitals, as it is signed: every part of one is upper-case ASCII, digits or
    /// colons (key ids, Crockford symbols, the tracking number, the country), so a read in lower
    /// case loses nothing. Only ASCII letters change.
    public static func canonical(_ s: String) -> String { s.asciiUppercased }
}

public enum ReturnPayloadError: Error, Equatable, Sendable {
    case malformed
    case unknownKey(String)
    case badSignature
}

/// The HMAC keys for QR payloads. The first key signs; every key verifies.
public struct ReturnPayloadSigner: Sendable {
    public struct Key: Sendable {
        public var id: String
        /// Raw bytes: swift-crypto's SymmetricKey is not Sendable; a key is made per use.
        public var secret: [UInt8]

        public init(id: String, secret: [UInt8]) {
            self.id = id
            self.secret = secret
        }
    }

    public let keys: [Key]

    public init(keys: [Key]) throws(ReturnPayloadError) {
        guard !keys.isEmpty, keys.allSatisfy({ Self.isValidKeyID($0.id) && $0.secret.count >= 16 }) else { throw .malformed }
        self.keys = keys
    }

    public static func isValidKeyID(_ id: String) -> Bool {
        (1...8).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber) }
    }

    /// Reads a key file: one `KEYID base64-secret` per line, `#` comments; the first key signs.
    public init(keyFile contents: String) throws(ReturnPayloadError) {
        var keys: [Key] = []
        for raw in contents.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2, let secret = Data(base64Encoded: String(parts[1])), secret.count >= 16 else {
                throw .malformed
            }
            keys.append(Key(id: String(parts[0]), secret: Array(secret)))
        }
        try self.init(keys: keys)
    }

    /// A fresh key file with one random 256-bit key.
    public static func newKeyFile(keyID: String = "K1") -> String {
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
        return "# returnd QR signing keys: the first line signs, every line verifies\n\(keyID) \(secret)\n"
    }

    public func sign(parcelID: String, trackingNumber: String, country: String) -> String {
        let key = keys[0]
        let payload = ReturnPayload(keyID: key.id, parcelID: parcelID, trackingNumber: trackingNumber, country: country)
        return payload.signedPart + ":" + Self.signature(payload.signedPart, key.secret)
    }

    /// In any case (`ReturnPayload.canonical`): until 2026-12-05 a payload read in lower case was
    /// looked up as a tracking number and answered 404, and the kiosk showed no parcel.
    public func verify(_ text: String) throws(ReturnPayloadError) -> ReturnPayload {
        let parts = ReturnPayload.canonical(text).split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == ReturnPayload.version,
            parts.allSatisfy({ !$0.isEmpty && $0.count <= 40 })
        else { throw .malformed }
        let payload = ReturnPayload(keyID: parts[1], parcelID: parts[2], trackingNumber: parts[3], country: parts[4])
        guard let key = keys.first(where: { $0.id == payload.keyID }) else { throw .unknownKey(payload.keyID) }
        let expected = Array(Self.signature(payload.signedPart, key.secret).utf8)
        let given = Array(parts[5].utf8)
        // Constant time: a forger learns nothing from how long the comparison took.
        guard expected.count == given.count,
            zip(expected, given).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0
        else { throw .badSignature }
        return payload
    }

    static func signature(_ message: String, _ key: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: key))
        return CrockfordBase32.encode(bytes: Array(mac).prefix(15))
    }
}
