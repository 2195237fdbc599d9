import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization

/// Carriers' tracking APIs as the outside world runs them, on 127.0.0.1: La Poste Suivi v2
/// (batch, X-Okapi-Key) and USPS v3 behind OAuth2. Each tracking number sits at a stage of its
/// life that the test moves; the server can be switched to fail the ways real ones do.
final class FakeCarrier: Sendable {
    enum Mode: Sendable {
        case normal
        case status(Int, retryAfter: Int?)
        case slow
        case truncated
        /// 301 to another address, with the HTML body servers send along.
        case redirect(to: String)
        /// A broken API: the number's acceptance, then `events` transit scans a second apart,
        /// each labelled with `labelLength` letters.
        case flood(events: Int, labelLength: Int)
    }

    private struct State {
        var stages: [String: Int] = [:]
        var laPosteMode: Mode = .normal
        var requests: [(path: String, at: ContinuousClock.Instant)] = []
        var tokensIssued = 0
        var tokenLifetime = 3600
        var uspsDelay: Duration?
        var uspsInFlight = 0
        var uspsMostInFlight = 0
        var laPosteRequestID: String?
        var tokenRedirect: String?
    }

    private let state = Mutex(State())
    static let okapiKey = "okapi-test-key"
    /// The events' times: 3, 2 and 1 minutes before the fake started, so before the test's
    /// polls (an event dated after its poll is recorded at the poll's time) and within the day
    /// before their parcels' issue that an event may be dated and still move one. Fixed at the
    /// start, so the same stage answers the same bytes.
    private let eventTimes = (1...3).reversed().map { Date().addingTimeInterval(-Double($0) * 60) }

    /// `time` as La Poste writes it, in Paris winter time.
    private func laPosteStamp(_ time: Date) -> String {
        time.addingTimeInterval(3600).formatted(.iso8601).replacingOccurrences(of: "Z", with: "+01:00")
    }

    /// A La Poste number at this stage answers an event without its date.
    static let undatedStage = -1

    func setStage(_ number: String, _ stage: Int) { state.withLock { $0.stages[number] = stage } }
    var laPosteMode: Mode {
        get { state.withLock { $0.laPosteMode } }
        set { state.withLock { $0.laPosteMode = newValue } }
    }
    var tokenLifetime: Int {
        get { state.withLock { $0.tokenLifetime } }
        set { state.withLock { $0.tokenLifetime = newValue } }
    }
    var tokensIssued: Int { state.withLock { $0.tokensIssued } }
    /// Set: the token endpoint answers 301 to this address.
    var tokenRedirect: String? {
        get { state.withLock { $0.tokenRedirect } }
        set { state.withLock { $0.tokenRedirect = newValue } }
    }
    /// Set: La Poste's answers carry this request id, as some carriers' answers carry one that
    /// changes on every call (the events stay the same).
    var laPosteRequestID: String? {
        get { state.withLock { $0.laPosteRequestID } }
        set { state.withLock { $0.laPosteRequestID = newValue } }
    }
    /// USPS answers after this long (requests then overlap at the carrier).
    var uspsDelay: Duration? {
        get { state.withLock { $0.uspsDelay } }
        set { state.withLock { $0.uspsDelay = newValue } }
    }
    /// The most USPS tracking requests the carrier had open at once.
    var uspsMostInFlight: Int { state.withLock { $0.uspsMostInFlight } }
    func requests(_ prefix: String) -> [ContinuousClock.Instant] { state.withLock { $0.requests.filter { $0.path.hasPrefix(prefix) }.map(\.at) } }

    private func note(_ path: String) { state.withLock { $0.requests.append((path, .now)) } }

    /// The La Poste events a number has at its stage: 1 taken in, 2 in transit, 3 delivered.
    func laPosteEvents(_ stage: Int) -> String {
        let all = [
            #"{"code": "PC1", "label": "Votre colis est pris en charge", "date": "\#(laPosteStamp(eventTimes[0]))"}"#,
            #"{"code": "ET1", "label": "Votre colis est en cours d'acheminement", "date": "\#(laPosteStamp(eventTimes[1]))"}"#,
            #"{"code": "DI1", "label": "Votre colis est livré", "date": "\#(laPosteStamp(eventTimes[2]))"}"#,
        ]
        return "[" + all.prefix(stage).reversed().joined(separator: ",") + "]"
    }

    func laPoste(_ request: Request, ids: String) async throws -> Response {
        note("/suivi")
        guard request.headers[HTTPField.Name("X-Okapi-Key")!] == Self.okapiKey else { return Response(status: .unauthorized) }
        switch laPosteMode {
        case .status(let code, let retryAfter):
            var headers: HTTPFields = [:]
            if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
            return Response(status: .init(code: code), headers: headers)
        case .slow:
            try await Task.sleep(for: .seconds(3))
        case .truncated:
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"returnCode": 200, "shipment": {"idShip": "CY1", "event": [{"code": "PC1", "la"#)))
        case .redirect(let location):
            return Response(status: .movedPermanently, headers: [.location: location, .contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "<html><body>Moved</body></html>")))
        case .flood(let count, let length):
            let label = String(repeating: "é", count: length)
            let scans = (0..<count).map { i in
                #"{"code": "ET1", "label": "\#(label)", "date": "\#(laPosteStamp(eventTimes[0].addingTimeInterval(Double(i + 1))))"}"#
            }
            let accepted = #"{"code": "PC1", "label": "Votre colis est pris en charge", "date": "\#(laPosteStamp(eventTimes[0]))"}"#
            let body = #"{"returnCode": 200, "shipment": {"idShip": "\#(ids)", "event": [\#((scans.reversed() + [accepted]).joined(separator: ","))]}}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        case .normal:
            break
        }
        let numbers = ids.split(separator: ",").map(String.init)
        let requestID = laPosteRequestID.map { #""requestId": "\#($0)", "# } ?? ""
        let entries = numbers.map { n -> String in
            let stage = state.withLock { $0.stages[n] ?? 0 }
            // Stage -1: an event without its date, which returnd cannot read.
            if stage == Self.undatedStage {
                return #"{"returnCode": 200, "shipment": {"idShip": "\#(n)", "event": [{"code": "PC1", "label": "Votre colis est pris en charge"}]}}"#
            }
            return stage == 0
                ? #"{"returnCode": 104, "idShip": "\#(n)", "returnMessage": "Numéro inconnu"}"#
                : #"{"returnCode": 200, \#(requestID)"shipment": {"idShip": "\#(n)", "event": \#(laPosteEvents(stage))}}"#
        }
        let body = numbers.count == 1 ? entries[0] : "[" + entries.joined(separator: ",") + "]"
        return Response(status: numbers.count == 1 ? .ok : .init(code: 207), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    func usps(_ request: Request, number: String) async throws -> Response {
        note("/tracking")
        let delay = state.withLock { s -> Duration? in
            s.uspsInFlight += 1
            s.uspsMostInFlight = max(s.uspsMostInFlight, s.uspsInFlight)
            return s.uspsDelay
        }
        defer { state.withLock { $0.uspsInFlight -= 1 } }
        if let delay { try await Task.sleep(for: delay) }
        let current = state.withLock { "token-\($0.tokensIssued)" }
        guard request.headers[.authorization] == "Bearer \(current)" else { return Response(status: .unauthorized) }
        let stage = state.withLock { $0.stages[number] ?? 0 }
        guard stage > 0 else { return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: #"{"error": {"code": "404", "message": "Not Found"}}"#))) }
        let events = [
            #"{"eventType": "USPS in possession of item", "eventTimestamp": "\#(eventTimes[0].formatted(.iso8601))", "eventCode": "03"}"#,
            #"{"eventType": "Departed USPS Regional Facility", "eventTimestamp": "\#(eventTimes[1].formatted(.iso8601))", "eventCode": "L1"}"#,
            #"{"eventType": "Delivered", "eventTimestamp": "\#(eventTimes[2].formatted(.iso8601))", "eventCode": "01"}"#,
        ].prefix(stage)
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"trackingNumber": "\#(number)", "trackingEvents": [\#(events.joined(separator: ","))]}"#)))
    }

    func token(_ request: Request) async throws -> Response {
        note("/oauth")
        if let location = tokenRedirect { return Response(status: .movedPermanently, headers: [.location: location]) }
        let form = String(buffer: try await request.body.collect(upTo: 4096))
        guard form.contains("grant_type=client_credentials"), form.contains("client_id=usps-id"), form.contains("client_secret=usps-secret") else {
            return Response(status: .unauthorized)
        }
        let (n, lifetime) = state.withLock { s in
            s.tokensIssued += 1
            return (s.tokensIssued, s.tokenLifetime)
        }
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"access_token": "token-\#(n)", "token_type": "Bearer", "expires_in": \#(lifetime)}"#)))
    }

    func serve(_ body: @Sendable (_ base: String) async throws -> Void) async throws {
        let router = Router()
        router.get("suivi/v2/idships/:ids") { request, context in try await self.laPoste(request, ids: context.parameters.get("ids") ?? "") }
        router.get("tracking/v3/tracking/:number") { request, context in try await self.usps(request, number: context.parameters.get("number") ?? "") }
        router.post("oauth2/v3/token") { request, _ in try await self.token(request) }
        try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)")
        }
    }
}
