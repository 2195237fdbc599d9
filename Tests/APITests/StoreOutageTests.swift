import API
import Carriers
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ReturnsCore
import Store
import Testing

/// The database restarting or failing over under a running daemon: clients are told to retry
/// (503 with Retry-After), never given a 500 that reads as our bug.
@Suite("A database that cannot be reached")
struct StoreOutageTests {
    @Test("requests get 503 store_unavailable with Retry-After; readyz fails, healthz still answers")
    func outageIsServiceUnavailable() async throws {
        // The application over a PostgreSQL store whose server is gone: port 1 refuses at once.
        let store = SQLReturnStore(backend: try PostgresBackend(url: "postgres://returnd:x@127.0.0.1:1/returnd?sslmode=disable&pool_size=1"))
        let catalog = try CarrierCatalog.load(directory: Repository.root.appendingPathComponent("carriers").path)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let runtime = ReturndRuntime(
            store: store, snapshot: .init(catalog: catalog, policy: ReturnPolicy(), signer: try ReturnPayloadSigner(keys: [.init(id: "K1", secret: Array(repeating: 9, count: 32))])),
            logger: logger, clock: { Date() })
        let app = Application(router: buildRouter(runtime: runtime, maxBodyBytes: 64 * 1024))
        try await app.test(.router) { client in
            // The bearer token is looked up in the store, so even authentication waits for it.
            let post = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer("any-token"), body: ByteBuffer(string: "{}"))
            #expect(post.status == .serviceUnavailable)
            #expect(post.errorCode == "store_unavailable")
            #expect(post.headers[.retryAfter] == "2")
            let scan = try await client.execute(uri: "/v1/parcels/P0123456789AB", method: .get, headers: bearer("any-token"))
            #expect(scan.status == .serviceUnavailable && scan.errorCode == "store_unavailable")
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable)
            let live = try await client.execute(uri: "/healthz", method: .get)
            #expect(live.status == .ok)
        }
        try await store.close()
    }
}
