import Crypto
import Foundation
import ReturnsCore

/// `Returnd-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, one `v1` per secret:
/// during a rotation both the new and the old secret sign, so the receiver may check either.
public struct WebhookSigner: Sendable {
    public let secrets: [[UInt8]]

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(secrets: [[UInt8]]) throws {
        guard (1...2).contains(secrets.count), secrets.allSatisfy({ $0.count >= 16 }) else {
            throw Invalid(description: "disputes.secret_file must hold one secret (or two during a rotation), each at least 16 bytes")
        }
        self.secrets = secrets
    }

    /// One secret per line, the current one first; `#` comments and blank lines ignored.
    public init(secretFile text: String) throws {
        try self.init(secrets: text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            .map { Array($0.utf8) })
    }

    public static func newSecretFile() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return "# returnd dispute webhook secret; add the new one as the first line to rotate, remove the old one later\n"
            + bytes.base64EncodedString() + "\n"
    }

    public func header(body: [UInt8], timestamp: Int) -> String {
        var message = Array("\(timestamp).".utf8)
        message.append(contentsOf: body)
        let macs = secrets.map { secret in
            HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret)).map { b in
                (b < 16 ? "0" : "") + String(b, radix: 16)
            }.joined()
        }
        return "t=\(timestamp)," + macs.map { "v1=\($0)" }.joined(separator: ",")
    }
}
