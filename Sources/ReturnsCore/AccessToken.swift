import Crypto
import Foundation

/// Who may call which route (DESIGN.md, "Who talks to it").
public enum Role: String, Codable, Sendable, CaseIterable {
    case marketplace, kiosk, scanner, `operator`

    /// Kiosks are bound to a service point, scanners to a warehouse; the others act everywhere.
    public var needsScope: Bool { self == .kiosk || self == .scanner }
}

/// A stored token: only the SHA-256 of the secret is kept, so a leaked database leaks no token.
public struct AccessToken: Codable, Hashable, Sendable {
    public var id: String
    public var role: Role
    /// Service point id for a kiosk (`FR-...`: its first two letters are the country), warehouse id for a scanner.
    public var scope: String?
    public var label: String?
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: String, role: Role, scope: String?, label: String?, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.role = role
        self.scope = scope
        self.label = label
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    /// The country a kiosk scope serves: service point ids start with the ISO country code.
    public var kioskCountry: String? {
        guard role == .kiosk, let scope, scope.count >= 3, scope.dropFirst(2).first == "-" else { return nil }
        return String(scope.prefix(2))
    }

    /// A new secret, shown once: `rtd_` and 43 base64url characters (256 random bits).
    public static func newSecret() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return "rtd_" + bytes.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func hash(secret: String) -> String {
        SHA256Hex.digest(secret.utf8)
    }

    public static func newID() -> String { "tok_" + CrockfordBase32.encode(UInt64.random(in: 0..<(1 << 50)), digits: 10) }
}
