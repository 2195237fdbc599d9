import Disputes
import Foundation
import LogCapture
import Logging
import Prometheus
import ReturnsCore
import Store
import Synchronization
import Testing
import Transport

final class TestClock: Sendable {
    private let now = Mutex(Date())
    var date: Date { now.withLock { $0 } }
    func advance(seconds: Double) { now.withLock { $0.addTimeInterval(seconds) } }
}

/// A real SQLite store with parcels in it, and a notifier pointed at `url`.
struct NotifierHarness {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-disputes-\(UUID().uuidString)")
    let store: SQLReturnStore
    let transport = HTTPTransport()
    let clock = TestClock()
    let secret = Array("a-very-secret-webhook-key-0123456789".utf8)

    init() async throws {
        store = try SQLReturnStore.sqlite(path: directory.appendingPathComponent("returnd.sqlite").path)
        try await store.migrate()
    }

    /// `store`: another instance's store on the same file (this harness's by default).
    func notifier(url: String, secrets: [[UInt8]]? = nil, timeout: Duration = .seconds(5), pauseMax: Duration = .seconds(30),
                  logger: Logger? = nil, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                  store: SQLReturnStore? = nil) throws -> DisputeNotifierService {
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let clock = clock
        return DisputeNotifierService(
            store: store ?? self.store, transport: transport, signer: try WebhookSigner(secrets: secrets ?? [secret]),
            configuration: .init(webhookURL: url, requestTimeout: timeout, concurrency: 8, baseBackoff: .seconds(1), maxBackoff: .seconds(60),
                                 pauseMax: pauseMax, deadLetterAfter: .seconds(3600)),
            logger: logger ?? quiet, metrics: metrics, clock: { clock.date })
    }

    func cleanUp() {
        transport.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A parcel for `dispute`, moved along `statuses`; each move writes one event.
    @discardableResult
    func parcel(dispute: String, seller: String? = nil, through statuses: [ParcelStatus] = []) async throws -> Parcel {
        let request = ReturnRequest(
            disputeID: dispute, orderID: "O-\(dispute)", receivedAt: Date(), reason: "changed_mind",
            buyer: Buyer(id: "B-\(dispute)", name: "Léa", address: PostalAddress(lines: ["1 rue X"], city: "Paris", postalCode: "75001", country: "FR")),
            seller: Seller(id: seller ?? "S-\(dispute)", name: "Shop"),
            items: [RequestedItem(sku: "SKU-\(dispute)", title: "Lamp", quantity: 1, unitPrice: Money(amount: "19.90", currency: "EUR"), freeReturn: true)])
        var parcel = try await store.issueReturn(ReturnIssuance(
            request: request, idempotencyKey: nil, requestHash: "h", now: Date(), policy: ReturnPolicy(), carrierID: "fr_colissimo",
            warehouseID: "WH-FR-LYS", scheme: .upuS10(serviceIndicator: "CY", countryCode: "FR"), serialCounterKey: "s10", serialRange: 10_000_000...19_999_999)).parcel
        for status in statuses {
            let inspection = status == .inspected ? [ItemInspection(sku: "SKU-\(dispute)", outcome: .accepted)] : nil
            parcel = try await store.changeStatus(StatusChangeRequest(parcelID: parcel.id, status: status, source: .scanner, occurredAt: Date(), inspection: inspection)).parcel
        }
        return parcel
    }

    /// Runs passes until nothing more is delivered.
    func drain(_ notifier: DisputeNotifierService) async throws {
        for _ in 0..<100 where try await notifier.deliverDue() > 0 {}
    }

    /// The service answers `status` to a pass, and to another past the dead-letter age (an hour
    /// here): each dispute's first event is a dead letter. Returns the dead letters.
    func deadLetters(_ notifier: DisputeNotifierService, _ service: FakeDisputeService, status: Int) async throws -> [OutboxEntry] {
        service.mode = .fail(status: status)
        _ = try await notifier.deliverDue()
        clock.advance(seconds: 3601)
        _ = try await notifier.deliverDue()
        return try await store.outbox(state: .dead, limit: 10)
    }
}

@Suite("Dispute notifier against a fake dispute service", .serialized)
struct DisputeNotifierTests {
    @Test("every event arrives once, signed, in order per dispute, across many disputes")
    func deliversInOrder() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let service = FakeDisputeService(secret: h.secret)
        for i in 0..<20 { try await h.parcel(dispute: "D-\(i)", through: [.droppedOff, .inTransit, .arrivedAtWarehouse, .inspected]) }
        try await service.serve { url in
            try await h.drain(try h.notifier(url: url))
        }
        #expect(service.badSignatures == 0)
        #expect(service.accepted.count == 100)
        for i in 0..<20 {
            #expect(service.events(of: "D-\(i)") == ["return.label_issued", "return.dropped_off", "return.in_transit", "return.arrived_at_warehouse", "return.inspected"])
        }
        #expect(try await h.store.outboxStats().pending == 0)
    }

    @Test("the inspected event carries per-item outcomes and the accepted amount")
    func inspectedPayload() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let service = FakeDisputeService(secret: h.secret)
        try await h.parcel(dispute: "D-1", through: [.arrivedAtWarehouse, .inspected])
        try await service.serve { url in try await h.drain(try h.notifier(url: url)) }
        let inspected = try #require(service.accepted.last)
        #expect(inspected.type == "return.inspected")
        let event = try JSONDecoder.returnd.decode(DisputeEvent.self, from: Data(try #require(try await h.store.outbox(state: .delivered, limit: 10).last).payload.utf8))
        #expect(event.acceptedAmounts == [Money(amount: "19.90", currency: "EUR")])
        #expect(event.inspection?.first?.outcome == .accepted)
    }

    @Test("the service answering 500 leaves events pending with backoff; they arrive after it recovers")
    func serverErrors() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let service = FakeDisputeService(secret: h.secret)
        try await h.parcel(dispute: "D-1", through: [.droppedOff])
        try await service.serve { url in
            let notifier = try h.notifier(url: url)
            service.mode = .fail(status: 500)
            let deliveredWhileFailing = try await notifier.deliverDue()
            #expect(deliveredWhileFailing == 0)
            let pending = try await h.store.outbox(state: .pending, limit: 10)
            #expect(pending.first?.attempts == 1 && pending.first?.lastError == "HTTP 500")
            // Not due again before the backoff has passed.
            let attemptsBefore = service.attempts
            let deliveredBeforeBackoff = try await notifier.deliverDue()
            #expect(deliveredBeforeBackoff == 0)
            #expect(service.attempts == attemptsBefore)
            service.mode = .accept
            h.clock.advance(seconds: 2)
            try await h.drain(notifier)
        }
        #expect(service.events(of: "D-1") == ["return.label_issued", "return.dropped_off"])
    }

    @Test("429 with Retry-After holds the event and the whole notifier exactly that far ahead (past pause_max), up to max_backoff_seconds",
          arguments: [(asked: 30, held: 30), (asked: 86_400, held: 60)])
    func retryAfter(asked: Int, held: Double) async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let service = FakeDisputeService(secret: h.secret)
        try await h.parcel(dispute: "D-1")
        let paused = Mutex<Date?>(nil)
        try await service.serve { url in
            service.mode = .tooManyRequests(retryAfter: "\(asked)")
            // The harness's max_backoff_seconds is 60; pause_max here 5 s.
            let notifier = try h.notifier(url: url, pauseMax: .seconds(5))
            _ = try await notifier.deliverDue()
            paused.withLock { $0 = notifier.pausedUntil }
        }
        let next = try #require(try await h.store.outbox(state: .pending, limit: 1).first?.nextAttemptAt)
        #expect(abs(next.timeIntervalSince(h.clock.date) - held) < 1)
        let until = try #require(paused.withLock { $0 })
        #expect(abs(until.timeIntervalSince(h.clock.date) - held) < 1)
    }

    @Test("a Retry-After date with a combining character is ignored, the event backed off as without one: DateFormatter trapped on it, and the whole daemon with it")
    func retryAfterNotADate() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let service = FakeDisputeService(secret: h.secret)
        try await h.parcel(dispute: "D-1")
        try await service.serve { url in
            service.mode = .tooManyRequests(retryAfter: "Wed, 2\u{32B}1 Oct 2026 07:28:00 GMT")
            let notifier = try h.notifier(url: url)
            #expect(try await notifier.deliverDue() == 0)
            #expect(service.attempts == 1)
            // The notifier's own backoff (the harness's 1 s base, with jitter), not a held day.
            let pending = try #require(try await h.store.outbox(state: .pending, limit: 1).first)
            #expect(pending.lastError == "HTTP 429")
            let next = try #require(pending.nextAttemptAt).timeIntervalSince(h.clock.date)
            #expect(next > 0 && next < 5, "\(next)")
            #expect(try await h.store.endpointHolds(now: h.clock.date).isEmpty)
        }
    }

    @Test("the service's Retry-After holds for another instance and for a restarted notifier: nothing is sent until it ends")
    func retryAfterAcrossInstances() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let service = FakeDisputeService(secret: h.secret)
        for i in 0..<3 { try await h.parcel(dispute: "D-\(i)") }
        let other = try SQLReturnStore.sqlite(path: h.directory.appendingPathComponent("returnd.sqlite").path)
        try await other.migrate()
        try await service.serve { url in
            service.mode = .tooManyRequests(retryAfter: "30")
            #expect(try await h.notifier(url: url).deliverDue() == 0)
            let asked = service.attempts
            #expect(asked > 0)
            #expect(try await h.store.endpointHolds(now: h.clock.date).map(\.endpoint) == [EndpointHold.disputeService])
            service.mode = .accept
            // A new event is due at once, but the service asked everyone to wait: another
            // instance and a restarted one hold back.
            try await h.parcel(dispute: "D-new")
            h.clock.advance(seconds: 20)
            #expect(try await h.notifier(url: url, store: other).deliverDue() == 0)
            #expect(try await h.notifier(url: url).deliverDue() == 0)
            #expect(service.attempts == asked)
            h.clock.advance(seconds: 11)
            let fresh = try h.notifier(url: url, store: other)
            var delivered = 0
            for _ in 0..<5 { delivered += try await fresh.deliverDue() }
            #expect(delivered == 4)
        }
        try await other.close()
    }

    @Test("a service failing a whole pass pauses the notifier: a round of attempts, the rest given back unsent, nothing more until the pause ends")
    func failingServicePauses() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let service = FakeDisputeService(secret: h.secret)
        for i in 0..<40 { try await h.parcel(dispute: "D-\(i)") }
        let metrics = PrometheusCollectorRegistry()
        try await service.serve { url in
            let notifier = try h.notifier(url: url, metrics: metrics)
            #expect(Self.gauge(metrics, "returnd_dispute_service_paused") == 0)
            // Every outcome is served from the start, at 0, so rate() misses no first delivery.
            for outcome in ["delivered", "failed", "dead_letter"] {
                #expect(Self.gauge(metrics, #"returnd_dispute_deliveries_total{outcome="\#(outcome)"}"#) == 0)
            }
            service.mode = .fail(status: 503)
            #expect(try await notifier.deliverDue() == 0)
            // Concurrency 8: once 8 have failed and none was answered, no more go out.
            let attempts = service.attempts
            #expect((8..<16).contains(attempts))
            #expect(Self.gauge(metrics, #"returnd_dispute_deliveries_total{outcome="failed"}"#) == Double(attempts))
            let pending = try await h.store.outbox(state: .pending, limit: 100)
            #expect(pending.filter { $0.attempts == 1 }.count == attempts)
            // The rest were given back: claimable at once, with no attempt counted.
            let unsent = try await h.store.claimDueEvents(now: h.clock.date, limit: 100, leaseUntil: h.clock.date)
            #expect(unsent.count == 40 - attempts && unsent.allSatisfy { $0.attempts == 0 })
            // The first pause is the base backoff with jitter (1 s here); nothing is tried meanwhile.
            let until = try #require(notifier.pausedUntil)
            #expect((0.5...1.0).contains(until.timeIntervalSince(h.clock.date)))
            #expect(Self.gauge(metrics, "returnd_dispute_service_paused") == 1)
            #expect(try await notifier.deliverDue() == 0)
            #expect(service.attempts == attempts)
        }
    }

    @Test("after a pause one event probes the service: failing, the pause grows up to pause_max; delivered, full passes resume")
    func probesAfterPause() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let service = FakeDisputeService(secret: h.secret)
        for i in 0..<20 { try await h.parcel(dispute: "D-\(i)") }
        let metrics = PrometheusCollectorRegistry()
        let log = CapturedLog()
        try await service.serve { url in
            let notifier = try h.notifier(url: url, pauseMax: .seconds(4), logger: log.logger(), metrics: metrics)
            service.mode = .fail(status: 500)
            let failingSince = h.clock.date
            #expect(try await notifier.deliverDue() == 0)
            var pauses: [Double] = []
            for _ in 0..<6 {
                let until = try #require(notifier.pausedUntil)
                pauses.append(until.timeIntervalSince(h.clock.date))
                h.clock.advance(seconds: until.timeIntervalSince(h.clock.date) + 0.01)
                let before = service.attempts
                #expect(try await notifier.deliverDue() == 0)
                #expect(service.attempts == before + 1)
            }
            // 1, 2, 4 s, then held at pause_max (4 s), each with jitter between half and all.
            #expect(pauses.allSatisfy { $0 <= 4 })
            #expect(pauses.suffix(3).allSatisfy { $0 >= 2 })
            #expect(Self.gauge(metrics, "returnd_dispute_service_paused") == 1)
            #expect(notifier.failingSince != nil)
            service.mode = .accept
            h.clock.advance(seconds: 4.01)
            let probe = try await notifier.deliverDue()
            #expect(probe == 1)
            #expect(notifier.pausedUntil == nil && notifier.failingSince == nil && Self.gauge(metrics, "returnd_dispute_service_paused") == 0)
            // The operator reads one line per failed pass and one when it is back.
            let paused = log.lines("outbox.paused")
            #expect(paused.map { $0.metadata["failed_passes"] } == (1...7).map { "\($0)" })
            #expect(paused.allSatisfy { $0.level == .warning && $0.metadata["error"] == "HTTP 500" && $0.metadata["paused_until"] != nil })
            // The first pass claimed all 20: at least a round of 8 failed (others were on their way
            // when the eighth failure came), the rest were held back.
            let failed = Int(paused.first?.metadata["failed_in_pass"] ?? "") ?? 0, notTried = Int(paused.first?.metadata["not_tried_in_pass"] ?? "") ?? 0
            #expect(failed >= 8 && failed + notTried == 20, "failed \(failed), not tried \(notTried)")
            #expect(paused.dropFirst().allSatisfy { $0.metadata["failed_in_pass"] == "1" && $0.metadata["not_tried_in_pass"] == "0" })
            let resumed = try #require(log.lines("outbox.resumed").first)
            #expect(resumed.level == .notice && resumed.metadata["failed_passes"] == "7")
            #expect(resumed.metadata["failing_s"] == "\(Int(h.clock.date.timeIntervalSince(failingSince).rounded()))")
            h.clock.advance(seconds: 120)
            #expect(try await notifier.deliverDue() > 1)
            try await h.drain(notifier)
        }
        #expect(service.accepted.count == 20)
        #expect(try await h.store.outboxStats().pending == 0)
    }

    @Test("a service answering with a redirect pauses the notifier (every event would get it) and each event's error says where it points and which setting to change")
    func redirectPauses() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let service = FakeDisputeService(secret: h.secret)
        for i in 0..<20 { try await h.parcel(dispute: "D-\(i)") }
        try await service.serve { url in
            let notifier = try h.notifier(url: url)
            service.mode = .redirect(to: "https://disputes.example/v2/events")
            #expect(try await notifier.deliverDue() == 0)
            #expect((8..<16).contains(service.attempts))
            #expect(notifier.pausedUntil != nil)
            let tried = try await h.store.outbox(state: .pending, limit: 100).filter { $0.attempts == 1 }
            #expect(tried.count == service.attempts)
            #expect(tried.allSatisfy { $0.lastError == "HTTP 308 redirect to https://disputes.example/v2/events, not followed: the configured URL is out of date (disputes.webhook_url)" })
            #expect(service.accepted.isEmpty)
        }
    }

    @Test("a redirect to an address of one letter and 40,000 combining marks is cut in each event's error: a cut in characters kept all of it")
    func redirectToMarksIsCut() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let service = FakeDisputeService(secret: h.secret)
        try await h.parcel(dispute: "D-1")
        try await service.serve { url in
            service.mode = .redirect(to: "https://disputes.example/e" + String(repeating: "\u{301}", count: 40_000))
            #expect(try await h.notifier(url: url).deliverDue() == 0)
            let error = try #require(try await h.store.outbox(state: .pending, limit: 1).first?.lastError)
            // In bytes: the first character of the cut is the letter with all its marks kept.
            #expect(error.utf8.starts(with: "HTTP 308 redirect to https://disputes.example/e\u{301}\u{301}".utf8))
            #expect(error.unicodeScalars.count < 520, "\(error.utf8.count) bytes")
        }
    }

    @Test("a 2xx with a page larger than returnd reads is delivered: marked once, not sent again, the notifier not paused")
    func largeAnswerDelivered() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let service = FakeDisputeService(secret: h.secret)
        for i in 0..<3 { try await h.parcel(dispute: "D-\(i)") }
        try await service.serve { url in
            let notifier = try h.notifier(url: url)
            service.mode = .acceptWithPage(bytes: 1 << 20)
            #expect(try await notifier.deliverDue() == 3)
            #expect(notifier.pausedUntil == nil)
            h.clock.advance(seconds: 3600)
            #expect(try await notifier.deliverDue() == 0)
        }
        #expect(service.accepted.count == 3 && service.attempts == 3 && service.duplicates == 0)
        #expect(try await h.store.outboxStats().pending == 0)
    }

    @Test("the service refusing events themselves (4xx) is answering: every event is tried and the notifier is not paused")
    func eventRefusalsDoNotPause() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let service = FakeDisputeService(secret: h.secret)
        for i in 0..<20 { try await h.parcel(dispute: "D-\(i)") }
        try await service.serve { url in
            let notifier = try h.notifier(url: url)
            service.mode = .fail(status: 422)
            #expect(try await notifier.deliverDue() == 0)
            #expect(service.attempts == 20)
            #expect(notifier.pausedUntil == nil)
            // A new event goes out at the very next pass.
            service.mode = .accept
            try await h.parcel(dispute: "D-new")
            #expect(try await notifier.deliverDue() == 1)
            #expect(service.events(of: "D-new") == ["return.label_issued"])
        }
    }

    @Test("a hanging service costs one timeout, not a stuck notifier")
    func hanging() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let service = FakeDisputeService(secret: h.secret)
        try await h.parcel(dispute: "D-1")
        try await service.serve { url in
            service.mode = .hang
            let start = ContinuousClock.now
            let deliveredWhileHanging = try await h.notifier(url: url, timeout: .milliseconds(300)).deliverDue()
            #expect(deliveredWhileHanging == 0)
            #expect(ContinuousClock.now - start < .seconds(3))
        }
        #expect(try await h.store.outbox(state: .pending, limit: 1).first?.lastError == "timed out")
    }

    @Test("the service down entirely: events wait, and arrive once it is up")
    func serviceDown() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        try await h.parcel(dispute: "D-1", through: [.droppedOff])
        // Nothing listens on this port once the probe server has gone.
        let service = FakeDisputeService(secret: h.secret)
        let probe = Mutex("")
        try await service.serve { url in probe.withLock { $0 = url } }
        let deadURL = probe.withLock { $0 }
        #expect(try await h.notifier(url: deadURL).deliverDue() == 0)
        #expect(try await h.store.outboxStats().pending == 2)
        h.clock.advance(seconds: 5)
        try await service.serve { url in try await h.drain(try h.notifier(url: url)) }
        #expect(service.events(of: "D-1") == ["return.label_issued", "return.dropped_off"])
    }

    @Test("past the dead-letter age an event is dead, holds back its dispute only, and a retry delivers both in order")
    func deadLetters() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let service = FakeDisputeService(secret: h.secret)
        try await h.parcel(dispute: "D-1", through: [.droppedOff])
        let log = CapturedLog()
        try await service.serve { url in
            let notifier = try h.notifier(url: url, logger: log.logger())
            let dead = try await h.deadLetters(notifier, service, status: 503)
            #expect(dead.map(\.type) == ["return.label_issued"])
            // The service was down, not refusing the event: the log names the retry.
            #expect(log.lines("outbox.dead_letter").map { $0.metadata["action"] } == ["returnctl outbox retry \(dead[0].eventID)"])
            #expect(log.lines("outbox.delivery_failed").allSatisfy { $0.metadata["action"] == nil })
            // Another dispute is not held back (once the pause the 503 began has passed).
            service.mode = .accept
            try await h.parcel(dispute: "D-2")
            h.clock.advance(seconds: 31)
            try await h.drain(notifier)
            #expect(service.events(of: "D-2") == ["return.label_issued"])
            #expect(service.events(of: "D-1").isEmpty)
            let retried = try await h.store.retryEvent(id: dead[0].eventID, at: h.clock.date)
            #expect(retried)
            try await h.drain(notifier)
        }
        #expect(service.events(of: "D-1") == ["return.label_issued", "return.dropped_off"])
    }

    @Test("an event the service refuses for good holds back its dispute until an operator sets it aside; then the later events arrive, and it is never sent again")
    func setAsideUnblocksTheDispute() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let service = FakeDisputeService(secret: h.secret)
        try await h.parcel(dispute: "D-1", through: [.droppedOff])
        let log = CapturedLog()
        try await service.serve { url in
            let notifier = try h.notifier(url: url, logger: log.logger())
            let refused = try #require(try await h.deadLetters(notifier, service, status: 409).first)
            #expect(refused.type == "return.label_issued")
            // The log names the way out: a retry would be refused again.
            let setAside = "returnctl outbox set-aside \(refused.eventID) --reason TEXT, if the dispute service will never take it"
            #expect(log.lines("outbox.delivery_failed").map { $0.metadata["action"] } == [setAside])
            #expect(log.lines("outbox.dead_letter").map { $0.metadata["action"] } == [setAside])
            // Retried, it is refused again, and the dispute's drop-off still waits behind it.
            #expect(try await h.store.retryEvent(id: refused.eventID, at: h.clock.date))
            try await h.drain(notifier)
            #expect(service.events(of: "D-1").isEmpty)
            let attempts = service.attempts

            service.mode = .accept
            _ = try #require(try await h.store.setAsideEvent(id: refused.eventID, at: h.clock.date, reason: "the dispute service says the dispute is closed"))
            h.clock.advance(seconds: 3601)
            try await h.drain(notifier)
            #expect(service.events(of: "D-1") == ["return.dropped_off"])
            #expect(service.attempts == attempts + 1, "only the later event went out")
        }
        #expect(try await h.store.outboxEntry(id: try #require(try await h.store.outbox(state: .setAside, limit: 1).first).eventID)?.deliveredAt == nil)
    }

    @Test("during a secret rotation both secrets sign: a receiver with either accepts")
    func rotation() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let old = h.secret, new = Array("the-new-webhook-secret-abcdefghijkl".utf8)
        try await h.parcel(dispute: "D-1")
        try await h.parcel(dispute: "D-2")
        let oldReceiver = FakeDisputeService(secret: old)
        try await oldReceiver.serve { url in _ = try await h.notifier(url: url, secrets: [new, old]).deliverDue() }
        #expect(oldReceiver.accepted.count == 2 && oldReceiver.badSignatures == 0)
        try await h.parcel(dispute: "D-3")
        let newReceiver = FakeDisputeService(secret: new)
        try await newReceiver.serve { url in _ = try await h.notifier(url: url, secrets: [new]).deliverDue() }
        #expect(newReceiver.accepted.map(\.disputeID) == ["D-3"] && newReceiver.badSignatures == 0)
        let wrong = FakeDisputeService(secret: Array("someone-else-entirely-0123456789".utf8))
        try await h.parcel(dispute: "D-4")
        try await wrong.serve { url in _ = try await h.notifier(url: url).deliverDue() }
        #expect(wrong.accepted.isEmpty && wrong.badSignatures == 1)
    }

    /// A gauge's value as `/metrics` would show it.
    static func gauge(_ metrics: PrometheusCollectorRegistry, _ name: String) -> Double? {
        var buffer: [UInt8] = []
        metrics.emit(into: &buffer)
        let line = String(decoding: buffer, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test("a secret file holds one or two secrets of at least 16 bytes")
    func secretFile() throws {
        #expect(try WebhookSigner(secretFile: WebhookSigner.newSecretFile()).secrets.count == 1)
        #expect(throws: WebhookSigner.Invalid.self) { try WebhookSigner(secretFile: "short\n") }
        #expect(throws: WebhookSigner.Invalid.self) { try WebhookSigner(secretFile: "# none\n") }
    }
}

@Suite("Deadline timers")
struct ParcelDeadlineTests {
    @Test("a label past its deadline expires with a return.expired event; a dropped-off parcel does not")
    func expiry() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let idle = try await h.parcel(dispute: "D-1")
        let used = try await h.parcel(dispute: "D-2", through: [.droppedOff])
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let later = idle.dropOffBy.addingTimeInterval(60)
        let timers = ParcelDeadlineService(store: h.store, configuration: .init(), logger: logger, clock: { later })
        let result = try await timers.tick()
        #expect(result.expired == [idle.id])
        #expect(try await h.store.parcel(id: idle.id)?.status == .expired)
        #expect(try await h.store.parcel(id: idle.id)?.history.last?.source == .timer)
        #expect(try await h.store.parcel(id: used.id)?.status == .droppedOff)
        let events = try await h.store.outbox(state: .pending, limit: 10).filter { $0.parcelID == idle.id }.map(\.type)
        #expect(events == ["return.label_issued", "return.expired"])
        #expect(try await timers.tick().expired.isEmpty)
    }

    @Test("with the final check, a label past its deadline waits for a poll after it that succeeded, then expires saying when its carrier was asked; one whose carrier cannot be asked expires when the wait ends, saying why, as parcel.expired_unchecked")
    func expiryAfterFinalCheck() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let asked = try await h.parcel(dispute: "D-1")
        let down = try await h.parcel(dispute: "D-2")
        let deadline = asked.dropOffBy
        let clock = TestClock()
        clock.advance(seconds: deadline.timeIntervalSince(clock.date) + 60)
        let log = CapturedLog()
        let timers = ParcelDeadlineService(store: h.store, configuration: .init(expiryFinalCheckWait: .seconds(24 * 3600)), logger: log.logger(), clock: { clock.date })
        // Past the deadline, neither carrier asked since: nothing expires yet, both are counted waiting.
        let first = try await timers.tick()
        #expect(first.expired.isEmpty && first.labelsPastDeadline == 2)
        // A poll before the deadline is no final check.
        _ = try await h.store.recordPoll(PollRecord(parcelID: asked.id, outcome: .notFound, polledAt: deadline.addingTimeInterval(-1), nextPollAt: deadline))
        #expect(try await timers.tick().expired.isEmpty)
        let polled = deadline.addingTimeInterval(30)
        _ = try await h.store.recordPoll(PollRecord(parcelID: asked.id, outcome: .notFound, polledAt: polled, nextPollAt: polled.addingTimeInterval(3600)))
        _ = try await h.store.recordPoll(PollRecord(parcelID: down.id, outcome: .failed("HTTP 503"), polledAt: polled, nextPollAt: polled.addingTimeInterval(900)))
        let second = try await timers.tick()
        #expect(second.expired == [asked.id] && second.labelsPastDeadline == 1)
        let expiry = try #require(try await h.store.parcel(id: asked.id)?.history.last)
        #expect(expiry.status == .expired && expiry.detail == "not dropped off by the deadline; its carrier, asked at \(polled.formatted(.iso8601)), had no drop-off either")
        #expect(log.lines("parcel.expired").first?.metadata["carrier_asked_at"] == polled.formatted(.iso8601))
        // The carrier still failing a day after the deadline: the wait is over.
        clock.advance(seconds: 24 * 3600 - 120)
        #expect(try await timers.tick().expired.isEmpty)
        clock.advance(seconds: 120)
        let last = try await timers.tick()
        #expect(last.expired == [down.id] && last.labelsPastDeadline == 0)
        #expect(try await h.store.parcel(id: down.id)?.history.last?.detail
            == "not dropped off by the deadline; its carrier could not be asked in the 24 h after it (its last poll: HTTP 503)")
        #expect(log.lines("parcel.expired_unchecked").map { $0.metadata["parcel"] } == [down.id])
        #expect(try await h.store.outbox(state: .pending, limit: 10).filter { $0.type == "return.expired" }.count == 2)
    }

    @Test("a carrier-reported arrival with no scanner read is flagged after the configured time, a scanned one is not")
    func arrivalUnconfirmed() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let lost = try await h.parcel(dispute: "D-1")
        let found = try await h.parcel(dispute: "D-2")
        let arrival = Date().addingTimeInterval(-50 * 3600)
        for p in [lost, found] {
            _ = try await h.store.changeStatus(StatusChangeRequest(parcelID: p.id, status: .arrivedAtWarehouse, source: .carrier, occurredAt: arrival))
        }
        _ = try await h.store.recordReceipt(WarehouseReceipt(parcelID: found.id, warehouseID: found.warehouseID, code: found.trackingNumber, scannedAt: Date(), receivedAt: Date(), scannerTokenID: "tok"))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let timers = ParcelDeadlineService(store: h.store, configuration: .init(arrivalUnconfirmedAfter: .seconds(48 * 3600)), logger: logger)
        #expect(try await timers.tick().unconfirmed == [lost.id])
        let strict = ParcelDeadlineService(store: h.store, configuration: .init(arrivalUnconfirmedAfter: .seconds(60 * 3600)), logger: logger)
        #expect(try await strict.tick().unconfirmed.isEmpty)
    }

    /// A store that refuses the expiry writes (a disk full) while it still reads: the labels stay
    /// overdue, and a full batch of them was read and refused again at once, for ever, the pass
    /// never ending and the failure logged only at debug level.
    @Test("expiries the store refuses end the pass with one error line naming how many, and go at the next pass once it takes writes; one refused label holds back no other", .timeLimit(.minutes(1)))
    func expiriesRefusedByTheStore() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        var labels: [Parcel] = []
        for i in 0..<201 { labels.append(try await h.parcel(dispute: "D-\(i)")) }
        let after = try #require(labels.map(\.dropOffBy).max()).addingTimeInterval(60)
        let log = CapturedLog()
        let timers = ParcelDeadlineService(store: h.store, configuration: .init(), logger: log.logger(), clock: { after })
        let refuse = { (condition: String) in
            try await h.store.backend.write { db in
                _ = try db.execute("CREATE TRIGGER refuse_expiry BEFORE UPDATE OF status ON parcels WHEN NEW.status = 'expired' AND \(condition) BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
            }
        }
        try await refuse("1")
        #expect(try await timers.tick().expired.isEmpty)
        let failures = log.lines("timers.expiry_failed")
        #expect(failures.count == 1 && failures.first?.level == .error)
        // A whole batch refused ends the pass: the 201st is not tried.
        #expect(failures.first?.metadata["parcels"] == "200")
        #expect(failures.first.map { "\($0.metadata["error"] ?? "")" }?.contains("database or disk is full") == true)
        // Only one label refused: every other one expires, and the line names it.
        try await h.store.backend.write { db in _ = try db.execute("DROP TRIGGER refuse_expiry") }
        try await refuse("NEW.id = '\(labels[7].id)'")
        #expect(Set(try await timers.tick().expired) == Set(labels.map(\.id)).subtracting([labels[7].id]))
        #expect(log.lines("timers.expiry_failed").last?.metadata["parcels"] == "1")
        #expect(log.lines("timers.expiry_failed").last?.metadata["parcel"] == "\(labels[7].id)")
        try await h.store.backend.write { db in _ = try db.execute("DROP TRIGGER refuse_expiry") }
        #expect(try await timers.tick().expired == [labels[7].id])
        #expect(log.lines("timers.expiry_failed").count == 2)
    }

    /// At every pass (a minute) each lost parcel logged a warning again: thousands of lines a day.
    @Test("an unconfirmed arrival is logged when first found, then once a day while it stays unconfirmed, and not once a scanner read it; every pass still counts it")
    func arrivalUnconfirmedLoggedDaily() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let lost = try await h.parcel(dispute: "D-1")
        let late = try await h.parcel(dispute: "D-2")
        let clock = TestClock()
        for (p, hours) in [(lost, 50.0), (late, 47.5)] {
            _ = try await h.store.changeStatus(StatusChangeRequest(parcelID: p.id, status: .arrivedAtWarehouse, source: .carrier, occurredAt: clock.date.addingTimeInterval(-hours * 3600)))
        }
        let log = CapturedLog()
        let timers = ParcelDeadlineService(store: h.store, configuration: .init(arrivalUnconfirmedAfter: .seconds(48 * 3600)), logger: log.logger(), clock: { clock.date })
        let logged = { log.lines("parcel.arrival_unconfirmed").compactMap { $0.metadata["parcel"].map { "\($0)" } } }
        #expect(try await timers.tick().unconfirmed == [lost.id])
        #expect(logged() == [lost.id])
        clock.advance(seconds: 60)
        #expect(try await timers.tick().unconfirmed == [lost.id], "counted at every pass")
        #expect(logged() == [lost.id], "not logged again a minute later")
        // Half an hour on, the second parcel is overdue too: logged at once, the first not again.
        clock.advance(seconds: 1800)
        #expect(try await timers.tick().unconfirmed == [lost.id, late.id])
        #expect(logged() == [lost.id, late.id])
        clock.advance(seconds: 24 * 3600 - 1860)
        _ = try await timers.tick()
        #expect(logged() == [lost.id, late.id, lost.id], "the first again a day after it was logged")
        // A scanner finds the second: it is neither counted nor logged any more.
        _ = try await h.store.recordReceipt(WarehouseReceipt(parcelID: late.id, warehouseID: late.warehouseID, code: late.trackingNumber, scannedAt: clock.date, receivedAt: clock.date, scannerTokenID: "tok"))
        clock.advance(seconds: 1800)
        #expect(try await timers.tick().unconfirmed == [lost.id])
        #expect(logged() == [lost.id, late.id, lost.id])
        #expect(log.lines("parcel.arrival_unconfirmed").first?.metadata["repeats"] == "daily while no scanner reads it")
    }

    @Test("with a retention, a pass forgets the idempotency keys older than it, in batches, and counts them; without one, every key stays")
    func idempotencyKeyRetention() async throws {
        let h = try await NotifierHarness()
        defer { h.cleanUp() }
        let keys = ParcelDeadlineService.forgetBatch + 5
        let old = Date().addingTimeInterval(-40 * 86400)
        // A return each, with its key: all stored 40 days ago but the last, stored today.
        let request = { (i: Int) in
            ReturnRequest(
                disputeID: "D-\(i)", orderID: "O-1", receivedAt: Date(), reason: "changed_mind",
                buyer: Buyer(id: "B-1", name: "Léa", address: PostalAddress(lines: ["1 rue X"], city: "Paris", postalCode: "75001", country: "FR")),
                seller: Seller(id: "S-\(i)", name: "Shop"),
                items: [RequestedItem(sku: "SKU-\(i)", title: "Lamp", quantity: 1, unitPrice: Money(amount: "19.90", currency: "EUR"), freeReturn: true)])
        }
        for i in 0...keys {
            _ = try await h.store.issueReturn(ReturnIssuance(
                request: request(i), idempotencyKey: "key-\(i)", requestHash: "h\(i)", now: i == keys ? Date() : old, policy: ReturnPolicy(), carrierID: "fr_colissimo",
                warehouseID: "WH-FR-LYS", scheme: .upuS10(serviceIndicator: "CY", countryCode: "FR"), serialCounterKey: "s10", serialRange: 10_000_000...19_999_999))
        }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let forever = ParcelDeadlineService(store: h.store, configuration: .init(), logger: logger)
        #expect(try await forever.tick().forgottenIdempotencyKeys == 0)
        let registry = PrometheusCollectorRegistry()
        let month = ParcelDeadlineService(store: h.store, configuration: .init(idempotencyKeysKeptFor: .seconds(30 * 86400)), logger: logger, metrics: registry)
        #expect(try await month.tick().forgottenIdempotencyKeys == keys)
        #expect(try await month.tick().forgottenIdempotencyKeys == 0)
        let left = try await h.store.backend.read { db in try db.strings("SELECT key FROM idempotency_keys") }
        #expect(left == ["key-\(keys)"])
        var exposition = [UInt8]()
        registry.emit(into: &exposition)
        #expect(String(decoding: exposition, as: UTF8.self).contains("returnd_idempotency_keys_forgotten_total \(keys)"))
    }
}
