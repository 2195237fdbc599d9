import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization

/// The marketplace's dispute service as the outside world would run it, on 127.0.0.1: it
/// checks `Returnd-Signature` against its secret, de-duplicates on `Idempotency-Key`, and
/// records what it accepted. Its behaviour can be switched to fail in the ways a real one does.
final class FakeDisputeService: Sendable {
    enum Mode: Sendable {
        case accept
        case fail(status: Int)
        /// 429 with this `Retry-After`, as the service writes it.
        case tooManyRequests(retryAfter: String)
        case hang
        case redirect(to: String)
        /// Accepts, and answers with a page of this many bytes (the updated dispute, say).
        case acceptWithPage(bytes: Int)
    }

    struct Received: Sendable {
        var eventID: String
        var disputeID: String
        var type: String
        var body: [String: any Sendable]
    }

    private struct State {
        var mode: Mode = .accept
        var accepted: [Received] = []
        var seenKeys: Set<String> = []
        var attempts = 0
        var badSignatures = 0
        var duplicates = 0
    }

    private let state = Mutex(State())
    let secret: [UInt8]

    init(secret: [UInt8]) { self.secret = secret }

    var mode: Mode {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }
    var accepted: [Received] { state.withLock { $0.accepted } }
    var attempts: Int { state.withLock { $0.attempts } }
    var badSignatures: Int { state.withLock { $0.badSignatures } }
    var duplicates: Int { state.withLock { $0.duplicates } }

    func events(of dispute: String) -> [String] { accepted.filter { $0.disputeID == dispute }.map(\.type) }

    /// `t=<unix>,v1=<hex>[,v1=<hex>]`: valid when one v1 is HMAC-SHA256(secret, "<t>.<body>").
    func signatureIsValid(_ header: String?, body: [UInt8]) -> Bool {
        guard let header else { return false }
        var t: String?
        var candidates: [String] = []
        for part in header.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { return false }
            if kv[0] == "t" { t = kv[1] } else if kv[0] == "v1" { candidates.append(kv[1]) }
        }
        guard let t else { return false }
        let expected = HMAC<SHA256>.authenticationCode(for: Array("\(t).".utf8) + body, using: SymmetricKey(data: secret))
            .map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        return candidates.contains(expected)
    }

    func handle(_ request: Request) async throws -> Response {
        let body = Array(try await request.body.collect(upTo: 1 << 20).readableBytesView)
        state.withLock { $0.attempts += 1 }
        switch mode {
        case .hang:
            try await Task.sleep(for: .seconds(5))
            return Response(status: .ok)
        case .fail(let status):
            return Response(status: .init(code: status))
        case .redirect(let location):
            return Response(status: .permanentRedirect, headers: [.location: location])
        case .tooManyRequests(let text):
            return Response(status: .tooManyRequests, headers: [.retryAfter: text])
        case .accept, .acceptWithPage:
            break
        }
        guard signatureIsValid(request.headers[HTTPField.Name("Returnd-Signature")!], body: body) else {
            state.withLock { $0.badSignatures += 1 }
            return Response(status: .unauthorized)
        }
        let json = (try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:]
        let key = request.headers[HTTPField.Name("Idempotency-Key")!] ?? ""
        guard key == json["id"] as? String else { return Response(status: .badRequest) }
        state.withLock { s in
            if s.seenKeys.insert(key).inserted {
                s.accepted.append(Received(eventID: key, disputeID: json["dispute_id"] as? String ?? "", type: json["type"] as? String ?? "", body: json.mapValues { "\($0)" }))
            } else {
                s.duplicates += 1
            }
        }
        if case .acceptWithPage(let bytes) = mode {
            return Response(status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: "x"), count: bytes)))
        }
        return Response(status: .ok)
    }

    /// Runs the service on a free port for the duration of `body`.
    func serve(_ body: @Sendable (_ url: String) async throws -> Void) async throws {
        let router = Router()
        router.post("events") { request, _ in try await self.handle(request) }
        try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)/events")
        }
    }
}
