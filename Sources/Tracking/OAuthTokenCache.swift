import Carriers
import Foundation
import Transport

/// Auth for each carrier: API keys and logins from the credential files, OAuth2 bearer tokens
/// fetched with client credentials, cached, and refreshed a minute before they expire.
actor OAuthTokenCache {
    let transport: HTTPTransport
    let credentials: CarrierCredentials
    let timeout: Duration
    private var cached: [String: (token: String, expires: Date)] = [:]
    /// One fetch per carrier at a time: concurrent polls wait for the same token.
    private var inFlight: [String: Task<(token: String, expires: Date), any Error>] = [:]

    init(transport: HTTPTransport, credentials: CarrierCredentials, timeout: Duration) {
        self.transport = transport
        self.credentials = credentials
        self.timeout = timeout
    }

    func invalidate(_ carrierID: String) { cached[carrierID] = nil }

    /// The auth of a carrier whose secret is the credential file itself (an API key, a login):
    /// nil for OAuth2, whose token `auth(for:)` fetches and caches.
    nonisolated static func fileAuth(for service: CarrierService, credentials: CarrierCredentials) throws -> TrackingAuth? {
        let t = service.tracking
        switch t.authStyle {
        case .none: return TrackingAuth.none // spelled out: `.none` alone would be Optional's nil
        case .apiKeyHeader: return .apiKey(header: t.authHeader ?? "X-Api-Key", value: try credentials.read(t.credential ?? ""))
        case .basic:
            let (user, password) = try credentials.pair(t.credential ?? "")
            return .basic(user: user, password: password)
        case .soapLogin:
            let (login, password) = try credentials.pair(t.credential ?? "")
            return .soapLogin(login: login, password: password)
        case .oauth2ClientCredentials: return nil
        }
    }

    func auth(for service: CarrierService) async throws -> TrackingAuth {
        if let auth = try Self.fileAuth(for: service, credentials: credentials) { return auth }
        let t = service.tracking
        if let hit = cached[service.id], hit.expires.timeIntervalSinceNow > 60 { return .bearer(hit.token) }
        if let pending = inFlight[service.id] { return .bearer(try await pending.value.token) }
        let (id, secret) = try credentials.pair(t.credential ?? "")
        let request = OAuthClientCredentials.makeRequest(tokenURL: t.tokenURL ?? "", clientID: id, clientSecret: secret)
        let (transport, timeout) = (transport, timeout)
        let fetch = Task {
            let response = try await transport.send(OutboundRequest(
                method: request.method, url: request.url, headers: request.headers.map { ($0.key, $0.value) }, body: request.body, timeout: timeout))
            if let note = response.redirectNote {
                throw TrackingResponseError.carrierError(
                    status: response.status, message: "token endpoint \(note) (tracking.auth.token_url in \(service.sourceFile), or carriers.token_endpoints.\(service.id) in the configuration)")
            }
            let (token, expiresIn) = try OAuthClientCredentials.parseResponse(status: response.status, body: response.body)
            return (token: token, expires: Date().addingTimeInterval(TimeInterval(expiresIn)))
        }
        inFlight[service.id] = fetch
        defer { inFlight[service.id] = nil }
        let fresh = try await fetch.value
        cached[service.id] = fresh
        return .bearer(fresh.token)
    }
}
