@testable import API
import Carriers
import Disputes
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LogCapture
import Store
import Logging
import Synchronization
import Testing
import Tracking
import Transport

@Suite("GET /metrics")
struct MetricsRouteTests {
    @Test("Prometheus text with labels by country and format, requests by route and status, parcels by status, outbox backlog")
    func metrics() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let p = try await h.newParcel(client, token: token, country: "FR")
            _ = try await client.execute(uri: "/v1/parcels/\(p["id"] as! String)/label?format=zpl", method: .get, headers: bearer(token))
            _ = try await client.execute(uri: "/v1/parcels/\(p["id"] as! String)/label?format=zpl", method: .get, headers: bearer(token))
            _ = try await client.execute(uri: "/v1/parcels/P0000000000AB", method: .get, headers: bearer(token))
            try await h.counter().count()
            let r = try await client.execute(uri: "/metrics", method: .get)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = String(buffer: r.body)
            let lines = Set(text.split(separator: "\n").map(String.init))
            #expect(lines.contains(#"returnd_labels_issued_total{country="FR",format="zpl"} 2"#), "\(text)")
            #expect(lines.contains(#"returnd_parcels_created_total{country="FR"} 1"#))
            #expect(lines.contains(#"returnd_parcels{status="label_issued",country="FR"} 1.0"#) || lines.contains(#"returnd_parcels{status="label_issued",country="FR"} 1"#), "\(text)")
            #expect(lines.contains(where: { $0.hasPrefix("returnd_parcels_count_age_seconds 0") }), "\(text)")
            #expect(lines.contains(where: { $0.hasPrefix("returnd_outbox_pending 1") }))
            #expect(lines.contains(where: { $0.hasPrefix("returnd_outbox_dead_letters 0") }))
            #expect(lines.contains(#"returnd_http_requests_total{method="POST",route="/v1/returns",status="201"} 1"#))
            #expect(lines.contains(#"returnd_http_requests_total{method="GET",route="/v1/parcels/{id}",status="404"} 1"#) || lines.contains(#"returnd_http_requests_total{method="GET",route="/v1/parcels/:id",status="404"} 1"#), "\(text)")
            #expect(text.contains("returnd_label_render_seconds_bucket"))
            #expect(lines.contains(#"returnd_build_info{version="\#(ReturndVersion.release)",sqlite_schema="\#(StoreSchema.sqlite)",postgres_schema="\#(StoreSchema.postgres)"} 1.0"#), "\(text)")
            let storeBytes = lines.first { $0.hasPrefix("returnd_store_bytes ") }.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            #expect(storeBytes == Double(try await h.runtime.store.storeBytes()) && (storeBytes ?? 0) > 0, "\(text)")
            let freeBytes = lines.first { $0.hasPrefix("returnd_store_free_bytes ") }.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            let freeNow = try #require(try await h.runtime.store.storeFreeBytes())
            #expect(freeBytes.map { $0 > 0 && abs($0 - Double(freeNow)) < Double(64 << 20) } == true, "\(text)")
            // The serial range the label came from, as the store has it.
            let counters = try await h.runtime.store.serialCounters()
            #expect(!counters.isEmpty)
            for c in counters {
                let line = lines.first { $0.hasPrefix(#"returnd_tracking_numbers_left{counter="\#(c.key)"} "#) }
                #expect(line.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } } == Double(c.remaining), "\(text)")
            }
        }
    }

    @Test("methods no route serves (PROPFIND, MKCOL, PURGE: HTTP's parser takes about 35) are counted as one method, other, not a series each")
    func otherMethodsOneSeries() async throws {
        let h = try await TestHarness()
        try await h.run { client in
            for name in ["PROPFIND", "MKCOL", "PURGE", "PROPFIND"] {
                let r = try await client.execute(uri: "/v1/returns", method: HTTPRequest.Method(name)!)
                #expect(r.status.code >= 400 && r.status.code < 500, "\(name): \(r.status)")
            }
            _ = try await client.execute(uri: "/healthz", method: .get)
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            let requests = text.split(separator: "\n").filter { $0.hasPrefix("returnd_http_requests_total{") }
            #expect(!requests.contains { $0.contains("PROPFIND") || $0.contains("MKCOL") || $0.contains("PURGE") }, "\(requests)")
            let other: [Double] = requests.filter { $0.contains(#"method="other""#) }.compactMap { line in line.split(separator: " ").last.flatMap { Double($0) } }
            #expect(other.reduce(0, +) == 4, "\(requests)")
            #expect(requests.contains { $0.contains(#"method="GET",route="/healthz",status="200""#) }, "\(requests)")
        }
    }

    @Test("parcels by status are the last count's, with its age; the outbox is read at each scrape; nothing is counted per scrape")
    func parcelsFromTheLastCount() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            func scrape() async throws -> [String] {
                String(buffer: try await client.execute(uri: "/metrics", method: .get).body).split(separator: "\n").map(String.init)
            }
            func parcels(_ lines: [String], _ country: String) -> String? {
                lines.first { $0.hasPrefix(#"returnd_parcels{status="label_issued",country="\#(country)"}"#) }?.split(separator: " ").last.map(String.init)
            }
            _ = try await h.newParcel(client, token: token, country: "FR")
            // Not counted yet: no parcel gauges, the outbox already.
            var lines = try await scrape()
            #expect(!lines.contains { $0.hasPrefix("returnd_parcels{") || $0.hasPrefix("returnd_parcels_count_age") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("returnd_outbox_pending 1") })
            #expect(try await h.runtime.parcelStatusLine().contains("parcels not counted yet"))

            try await h.counter().count()
            _ = try await h.newParcel(client, token: token, dispute: "D-2", country: "ES")
            h.clock.advance(days: 1 / 24.0)
            lines = try await scrape()
            #expect(parcels(lines, "FR").flatMap(Double.init) == 1)
            #expect(parcels(lines, "ES") == nil, "counted only by the next count")
            #expect(lines.contains { $0.hasPrefix("returnd_parcels_count_age_seconds 3600") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("returnd_outbox_pending 2") }, "\(lines)")
            #expect(try await h.runtime.parcelStatusLine() == "serving; 1 labels waiting, 0 parcels moving; outbox 2 pending, 0 dead")

            try await h.counter().count()
            lines = try await scrape()
            #expect(parcels(lines, "FR").flatMap(Double.init) == 1 && parcels(lines, "ES").flatMap(Double.init) == 1, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("returnd_parcels_count_age_seconds 0") }, "\(lines)")
        }
    }

    @Test("the status line names a failing dispute service while events wait, and failing carriers, each with since when, while they are still tried")
    func statusLineNamesWhatIsFailing() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let id = try await h.newParcel(client, token: token, country: "FR")["id"] as! String
            let transport = HTTPTransport()
            defer { transport.shutdown() }
            // Port 1: nothing listens there, every request fails to connect.
            let notifier = DisputeNotifierService(
                store: h.runtime.store, transport: transport, signer: try WebhookSigner(secrets: [Array("a-very-secret-webhook-key-0123456789".utf8)]),
                configuration: .init(webhookURL: "http://127.0.0.1:1/events", requestTimeout: .seconds(2)), logger: Logger(label: "test"),
                clock: h.runtime.clock)
            var colissimo = h.runtime.snapshot.catalog.byID["fr_colissimo"]!
            colissimo.tracking.baseURL = "http://127.0.0.1:1/suivi/v2"
            let catalog = Mutex(CarrierCatalog(services: [colissimo]))
            let credentials = h.directory.appendingPathComponent("credentials")
            try FileManager.default.createDirectory(at: credentials, withIntermediateDirectories: true)
            try "an-okapi-key".write(to: credentials.appendingPathComponent("laposte_okapi_key"), atomically: true, encoding: .utf8)
            let poller = TrackingPollerService(
                store: h.runtime.store, transport: transport, catalog: { catalog.withLock { $0 } }, credentials: CarrierCredentials(directory: credentials.path),
                logger: Logger(label: "test"), clock: h.runtime.clock)
            h.runtime.disputeNotifier = notifier
            h.runtime.trackingPoller = poller
            #expect(try await h.runtime.parcelStatusLine() == "serving; parcels not counted yet; outbox 1 pending, 0 dead")

            #expect(try await notifier.deliverDue() == 0)
            let since = h.runtime.clock().formatted(.iso8601)
            #expect(try await h.runtime.parcelStatusLine() == "serving; parcels not counted yet; outbox 1 pending, 0 dead; dispute service failing since \(since)")
            let parcel = try #require(try await h.runtime.store.parcel(id: id))
            #expect(await poller.pollNow(parcel).outcome == "failed")
            #expect(try await h.runtime.parcelStatusLine()
                == "serving; parcels not counted yet; outbox 1 pending, 0 dead; dispute service failing since \(since); carriers failing: fr_colissimo since \(since)")
            // Nothing waiting for the dispute service: it is not being tried, so nothing is said of it.
            let event = try #require(try await h.runtime.store.outbox(state: .pending, limit: 1).first)
            try await h.runtime.store.markDelivered(seq: event.seq, at: h.runtime.clock())
            #expect(try await h.runtime.parcelStatusLine() == "serving; parcels not counted yet; outbox 0 pending, 0 dead; carriers failing: fr_colissimo since \(since)")
            // The failed parcel is retried after `retry_interval_minutes` (15): until then and a
            // grace for the retry to run, the carrier is still the last thing known of it...
            h.clock.advance(days: (15 * 60 + 299) / 86_400)
            #expect(try await h.runtime.parcelStatusLine() == "serving; parcels not counted yet; outbox 0 pending, 0 dead; carriers failing: fr_colissimo since \(since)")
            // ...after that nothing was asked of it (the parcel is no longer due anywhere here),
            // so it is not reported as failing for ever.
            h.clock.advance(days: 2.0 / 86_400)
            #expect(try await h.runtime.parcelStatusLine() == "serving; parcels not counted yet; outbox 0 pending, 0 dead")
            // A carrier held by its Retry-After (heard by any instance) is named until the hold
            // ends or an operator ends it.
            let until = h.runtime.clock().addingTimeInterval(3600)
            try await h.runtime.store.holdEndpoint(EndpointHold.carrier("fr_colissimo"), until: until, reason: "rate limited")
            #expect(try await h.runtime.parcelStatusLine()
                == "serving; parcels not counted yet; outbox 0 pending, 0 dead; carriers held: fr_colissimo until \(until.formatted(.iso8601))")
            #expect(try await h.runtime.store.liftEndpointHold(EndpointHold.carrier("fr_colissimo"), now: h.runtime.clock()) != nil)
            #expect(try await h.runtime.parcelStatusLine() == "serving; parcels not counted yet; outbox 0 pending, 0 dead")
            // A failure again names it again, from its first failure since the last success.
            #expect(await poller.pollNow(parcel).outcome == "failed")
            #expect(try await h.runtime.parcelStatusLine() == "serving; parcels not counted yet; outbox 0 pending, 0 dead; carriers failing: fr_colissimo since \(since)")
            // A carrier taken out of the carrier files (a reload) is not polled any more, so not listed.
            catalog.withLock { $0 = CarrierCatalog(services: []) }
            #expect(try await h.runtime.parcelStatusLine() == "serving; parcels not counted yet; outbox 0 pending, 0 dead")
        }
    }

    @Test("hold gauges: seconds left of each stored Retry-After hold, 0 for a carrier not held, a removed carrier only while held")
    func holdGauges() async throws {
        let h = try await TestHarness()
        try await h.run { client in
            func scrape() async throws -> [String: Double] {
                let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                return Dictionary(text.split(separator: "\n").filter { $0.contains("hold_remaining_seconds") && !$0.hasPrefix("#") }.compactMap { line in
                    line.split(separator: " ").last.flatMap { Double($0) }.map { (String(line.split(separator: " ").dropLast().joined(separator: " ")), $0) }
                }, uniquingKeysWith: { a, _ in a })
            }
            let colissimo = #"returnd_carrier_hold_remaining_seconds{carrier="fr_colissimo"}"#
            let gone = #"returnd_carrier_hold_remaining_seconds{carrier="gone_carrier"}"#
            let service = "returnd_dispute_service_hold_remaining_seconds"
            var gauges = try await scrape()
            // Every carrier of the files has its series from the start, at 0.
            #expect(gauges.keys.filter { $0.hasPrefix("returnd_carrier_hold") }.count == h.runtime.snapshot.catalog.services.count, "\(gauges)")
            #expect(gauges[colissimo] == 0 && gauges[service] == 0, "\(gauges)")

            let now = h.runtime.clock()
            try await h.runtime.store.holdEndpoint(EndpointHold.carrier("fr_colissimo"), until: now.addingTimeInterval(600), reason: "rate limited")
            try await h.runtime.store.holdEndpoint(EndpointHold.carrier("gone_carrier"), until: now.addingTimeInterval(60), reason: "rate limited")
            try await h.runtime.store.holdEndpoint(EndpointHold.disputeService, until: now.addingTimeInterval(30), reason: "503")
            gauges = try await scrape()
            #expect(gauges[colissimo] == 600 && gauges[gone] == 60 && gauges[service] == 30, "\(gauges)")

            h.clock.advance(days: 61.0 / 86_400)
            gauges = try await scrape()
            #expect(gauges[colissimo] == 539 && gauges[service] == 0, "\(gauges)")
            #expect(gauges[gone] == nil, "a carrier not in the files has no series once its hold is over: \(gauges)")

            #expect(try await h.runtime.store.liftEndpointHold(EndpointHold.carrier("fr_colissimo"), now: h.runtime.clock()) != nil)
            #expect(try await scrape()[colissimo] == 0)
        }
    }

    @Test("the counting service counts at start and again every interval until it is stopped")
    func countsEveryInterval() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let service = ParcelCountsService(runtime: h.runtime, interval: .milliseconds(20), logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                func counted(_ n: Int) async throws -> Bool {
                    for _ in 0..<500 {
                        if let counts = h.runtime.parcelCounts?.counts, counts.reduce(0, { $0 + $1.count }) == n { return true }
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    return false
                }
                #expect(try await counted(0))
                _ = try await h.newParcel(client, token: token, country: "FR")
                #expect(try await counted(1))
                group.cancelAll()
            }
        }
    }

    @Test("parcels at the warehouse unchanged past metrics.inspection_overdue_days are served per country, every served country at 0 otherwise, and named in the systemd status line")
    func inspectionOverdueGauge() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let late = try #require(try await h.newParcel(client, token: token, country: "FR")["id"] as? String)
            let recent = try #require(try await h.newParcel(client, token: token, dispute: "D-2", country: "ES")["id"] as? String)
            _ = try await h.newParcel(client, token: token, dispute: "D-3", seller: "S-3")
            let store = try #require(h.runtime.store as? SQLReturnStore)
            for (id, daysAgo) in [(late, 5.0), (recent, 1.0)] {
                _ = try await store.changeStatus(StatusChangeRequest(parcelID: id, status: .arrivedAtWarehouse, source: .scanner, occurredAt: h.runtime.clock()))
                // The row's last change, on the harness's clock (the store stamps it with the machine's).
                try await store.backend.write { db in try db.execute("UPDATE parcels SET updated_at = ? WHERE id = ?", [h.runtime.clock().addingTimeInterval(-daysAgo * 86400), id]) }
            }
            try await ParcelCountsService(runtime: h.runtime, interval: .seconds(60), inspectionOverdueAfter: .seconds(4 * 86400), logger: Logger(label: "test")).count()
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            let served = Dictionary(text.split(separator: "\n").filter { $0.hasPrefix("returnd_parcels_inspection_overdue{") }.map {
                (String($0.split(separator: " ")[0]), Double($0.split(separator: " ")[1]))
            }, uniquingKeysWith: { a, _ in a })
            let countries = Set(h.runtime.snapshot.catalog.services.map(\.country))
            #expect(served == Dictionary(uniqueKeysWithValues: countries.map { (#"returnd_parcels_inspection_overdue{country="\#($0)"}"#, $0 == "FR" ? 1.0 : 0) }), "\(served)")
            let line = try await h.runtime.parcelStatusLine()
            #expect(line.hasPrefix("serving; 1 labels waiting, 0 parcels moving, 1 at the warehouse past their inspection; outbox "), "\(line)")
        }
    }

    @Test("a count is stored; another instance takes one younger than its interval as it is, and counts again once it is older; a service never takes its own")
    func countsAreShared() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            func total() -> Int? { h.runtime.parcelCounts.map { $0.counts.reduce(0) { $0 + $1.count } } }
            let first = h.counter(), second = h.counter()
            _ = try await h.newParcel(client, token: token, country: "FR")
            try await first.count()
            let stored = try #require(try await h.runtime.store.parcelCountSnapshot())
            #expect(stored.counts == [ParcelCount(status: .labelIssued, country: "FR", count: 1)] && stored.countedAt == h.runtime.clock())

            _ = try await h.newParcel(client, token: token, dispute: "D-2", country: "ES")
            h.clock.advance(days: 59.0 / 86_400)
            try await second.count()
            #expect(total() == 1, "the first service's count, 59 s old, taken as it is")
            #expect(h.runtime.parcelCounts?.countedAt == stored.countedAt)
            #expect(try await h.runtime.store.parcelCountSnapshot() == stored, "nothing counted, nothing stored")

            h.clock.advance(days: 2.0 / 86_400)
            try await second.count()
            #expect(total() == 2, "61 s old: counted again")
            let again = try #require(try await h.runtime.store.parcelCountSnapshot())
            #expect(again.countedAt == h.runtime.clock() && again.countedBy != stored.countedBy)

            // Its own count, however young, is never taken for a new one.
            _ = try await h.newParcel(client, token: token, dispute: "D-3", country: "IT")
            try await second.count()
            #expect(total() == 3)
        }
    }

    @Test("a count taking over a tenth of the interval warns with the setting to raise; otherwise it logs at debug")
    func slowCountWarns() async throws {
        let h = try await TestHarness()
        defer { h.cleanUp() }
        let log = CapturedLog()
        // No count of a real store takes under a tenth of a nanosecond, and none takes six minutes.
        // (The slow one second, a second later: the first one's count is too old to share by then.)
        try await ParcelCountsService(runtime: h.runtime, interval: .seconds(3600), logger: log.logger()).count()
        h.clock.advance(days: 1.0 / 86_400)
        try await ParcelCountsService(runtime: h.runtime, interval: .nanoseconds(1), logger: log.logger()).count()
        let logged = log.all
        #expect(logged.map(\.level) == [.debug, .warning])
        #expect(logged.map(\.event) == ["parcels.counted", "parcels.count_slow"])
        #expect(logged.last?.metadata["hint"] == "raise metrics.parcel_counts_interval_seconds")
        #expect(logged.allSatisfy { $0.metadata["parcels"] == "0" && $0.metadata["duration_ms"] != nil })
    }
}

extension TestHarness {
    func counter() -> ParcelCountsService {
        ParcelCountsService(runtime: runtime, interval: .seconds(60), logger: Logger(label: "test"))
    }
}

extension ReturndRuntime {
    /// The systemd status line as `SystemdLifecycleService` sends it.
    func parcelStatusLine() async throws -> String {
        try await SystemdLifecycleService(notifier: SystemdNotifier(), runtime: self, watchdog: nil, logger: logger).statusLine()
    }
}
