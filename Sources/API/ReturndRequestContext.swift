import Hummingbird
import ReturnsCore

/// The request context: Hummingbird's core storage plus the caller's token once authenticated.
public struct ReturndRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var token: AccessToken?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        token = nil
    }

    /// The caller's token, if its role is one of `roles`; 401 without a token, 403 otherwise.
    public func require(_ roles: Role...) throws(APIError) -> AccessToken {
        guard let token else { throw .unauthorized }
        guard roles.contains(token.role) else {
            throw APIError(.forbidden, "forbidden_role", "role \(token.role.rawValue) may not call this route (allowed: \(roles.map(\.rawValue).joined(separator: ", ")))")
        }
        return token
    }
}
