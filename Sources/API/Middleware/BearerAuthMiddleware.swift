import Hummingbird
import ReturnsCore
import Store

/// Resolves `Authorization: Bearer <token>` to a stored, unrevoked token. Routes then check the
/// role (and scope) they need; a request without a valid token never reaches them.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = ReturndRequestContext
    let store: any ReturnStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.count <= 512 else { throw APIError.unauthorized }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthorized }
        guard let token = try await store.activeToken(secretHash: AccessToken.hash(secret: String(parts[1]).trimmingCharacters(in: .whitespaces))) else {
            throw APIError.unauthorized
        }
        var context = context
        context.token = token
        context.logger[metadataKey: "token"] = "\(token.id)"
        return try await next(request, context)
    }
}
