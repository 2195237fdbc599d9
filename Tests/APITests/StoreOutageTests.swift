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
@Suite("A database that cannot be reached or cannot take writes")
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

    @Test("a full SQLite disk: writes get 503 store_unavailable with Retry-After, reads and readyz still answer, and writes resume once there is room")
    func diskFullIsServiceUnavailable() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let made = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(dispute: "D-1", seller: "S-1"))
            #expect(made.status == .created)
            let id = try #require(made.parcel["id"] as? String)
            // The page limit stands for the disk (SQLITE_FULL when a write needs one more page).
            let pages = try await h.store.backend.write { db in try db.int("PRAGMA page_count") ?? 0 }
            try await h.store.backend.write { db in _ = try db.rows("PRAGMA max_page_count = \(pages)") }
            var refused: TestResponse?
            for i in 2...200 where refused == nil {
                let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(dispute: "D-\(i)", seller: "S-\(i)"))
                if r.status != .created { refused = r }
            }
            let full = try #require(refused)
            #expect(full.status == .serviceUnavailable && full.errorCode == "store_unavailable")
            #expect(full.headers[.retryAfter] == "2")
            #expect(try await client.execute(uri: "/v1/parcels/\(id)", method: .get, headers: bearer(token)).status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            try await h.store.backend.write { db in _ = try db.rows("PRAGMA max_page_count = 1073741823") }
            let again = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(dispute: "D-again", seller: "S-again"))
            #expect(again.status == .created)
        }
    }
}
