import API
import Carriers
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ReturnsCore
import Store
import Synchronization

enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// A clock the tests move by hand.
final class TestClock: Sendable {
    private let now = Mutex(Date(timeIntervalSince1970: 1_795_000_000))
    var date: Date { now.withLock { $0 } }
    func advance(days: Double) { now.withLock { $0.addTimeInterval(days * 86_400) } }
}

/// The real application on a real SQLite file in a temporary directory, tested in process
/// through HummingbirdTesting.
struct TestHarness {
    let directory: URL
    let store: SQLReturnStore
    let runtime: ReturndRuntime
    let clock = TestClock()
    let signer = try! ReturnPayloadSigner(keys: [.init(id: "K1", secret: Array(repeating: 9, count: 32))])

    init(metrics: ReturndMetrics = ReturndMetrics()) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-api-\(UUID().uuidString)")
        store = try SQLReturnStore.sqlite(path: directory.appendingPathComponent("returnd.sqlite").path)
        try await store.migrate()
        let catalog = try CarrierCatalog.load(directory: Repository.root.appendingPathComponent("carriers").path)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let clock = clock
        runtime = ReturndRuntime(
            store: store, snapshot: .init(catalog: catalog, policy: ReturnPolicy(), signer: signer),
            logger: logger, metrics: metrics, clock: { clock.date })
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    func token(_ role: Role, scope: String? = nil) async throws -> String {
        let secret = AccessToken.newSecret()
        try await store.createToken(AccessToken(id: AccessToken.newID(), role: role, scope: scope, label: nil, createdAt: Date()), secretHash: AccessToken.hash(secret: secret))
        return secret
    }

    /// Tokens for the callers along a French parcel's way back: the marketplace, a Paris kiosk
    /// and the scanner of the Lyon warehouse the French carriers deliver to.
    func parties() async throws -> (market: String, kiosk: String, scanner: String) {
        (try await token(.marketplace), try await token(.kiosk, scope: "FR-PARIS-0042"), try await token(.scanner, scope: "WH-FR-LYS"))
    }

    var application: some ApplicationProtocol {
        // The configured limit as shipped (http.max_request_body_bytes).
        Application(router: buildRouter(runtime: runtime, maxBodyBytes: 1 << 20))
    }

    func run(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        defer { cleanUp() }
        try await application.test(.router, test)
    }

    /// A return request body as the marketplace sends it.
    func returnBody(
        dispute: String = "D-20261123-0042", order: String = "8190023345", buyer: String = "B-77", seller: String = "S-1203", country: String = "FR",
        skus: [String] = ["SKU7781-2"], receivedDaysAgo: Double = 5, freeReturn: Bool = true
    ) -> ByteBuffer {
        let received = clock.date.addingTimeInterval(-receivedDaysAgo * 86_400).formatted(.iso8601)
        let items = skus.map {
            #"{"sku": "\#($0)", "title": "USB-C cable 2 m", "quantity": 1, "unit_price": {"amount": "4.99", "currency": "EUR"}, "free_return": \#(freeReturn)}"#
        }.joined(separator: ",")
        return ByteBuffer(string: #"""
            {"dispute_id": "\#(dispute)", "order_id": "\#(order)", "received_at": "\#(received)", "reason": "not_as_described",
             "buyer": {"id": "\#(buyer)", "name": "Иван Петров", "email": "ivan@example.org",
                       "address": {"lines": ["ул. Ленина 12, кв. 4"], "city": "Москва", "postal_code": "125009", "country": "\#(country)"}},
             "seller": {"id": "\#(seller)", "name": "Shenzhen Gadget Store"},
             "items": [\#(items)]}
            """#)
    }
}

extension TestResponse {
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:] }
    var parcel: [String: Any] { json["parcel"] as? [String: Any] ?? [:] }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
}

func bearer(_ token: String, _ extra: HTTPFields = [:]) -> HTTPFields {
    var h = extra
    h[.authorization] = "Bearer \(token)"
    h[.contentType] = "application/json"
    return h
}
