import Carriers
import Foundation
import Logging
import Prometheus
import ReturnsCore
import ServiceLifecycle
import Store
import Synchronization
import Transport

/// Follows every parcel that can still move through its carrier's tracking API: claims due
/// parcels (leased, so several instances never poll one parcel at once), polls each carrier
/// within its own rate limit (one schedule in the store for all instances together) and in
/// batches where the API allows, stores every new event once, moves the parcel, and schedules
/// the next poll. A failing carrier is backed off alone; a carrier's `Retry-After` holds for
/// every instance, and after a restart.
public final class TrackingPollerService: Service, Sendable {
    public struct Configuration: Sendable {
        public var schedule: PollSchedule
        public var batchLimit: Int
        public var lease: TimeInterval
        public var idleInterval: Duration
        public var requestTimeout: Duration
        public var concurrencyPerCarrier: Int

        public init(schedule: PollSchedule = PollSchedule(), batchLimit: Int = 500, lease: TimeInterval = 300,
                    idleInterval: Duration = .seconds(2), requestTimeout: Duration = .seconds(15), concurrencyPerCarrier: Int = 4) {
            self.schedule = schedule
            self.batchLimit = batchLimit
            self.lease = lease
            self.idleInterval = idleInterval
            self.requestTimeout = requestTimeout
            self.concurrencyPerCarrier = concurrencyPerCarrier
        }
    }

    /// What one poll of one parcel came to, for `returnctl track` and the logs.
    public struct Report: Sendable {
        public var parcelID: String
        public var trackingNumber: String
        public var carrierID: String
        public var outcome: String
        public var newEvents: [TrackingEventRecord]
        public var statusChanges: [ParcelStatus]
    }

    let store: any ReturnStore
    let transport: HTTPTransport
    let catalog: @Sendable () -> CarrierCatalog
    let credentials: CarrierCredentials
    let configuration: Configuration
    let logger: Logger
    let clock: @Sendable () -> Date
    private let health = Mutex<[String: EndpointHealth]>([:])
    private let histograms = Mutex<[String: DurationHistogram]>([:])
    /// Carriers whose poll counters are registered (at 0 until their first poll).
    private let countedCarriers = Mutex<Set<String>>([])
    /// What `returnd_carrier_polls_total{outcome}` counts.
    static let pollOutcomes = ["events", "same_answer", "not_found", "failed"]
    let tokens: OAuthTokenCache
    let metrics: PrometheusCollectorRegistry

    public init(store: any ReturnStore, transport: HTTPTransport, catalog: @escaping @Sendable () -> CarrierCatalog, credentials: CarrierCredentials,
                configuration: Configuration = Configuration(), logger: Logger, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.metrics = metrics
        self.store = store
        self.transport = transport
        self.catalog = catalog
        self.credentials = credentials
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        tokens = OAuthTokenCache(transport: transport, credentials: credentials, timeout: configuration.requestTimeout)
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            registerPollCounters()
            var polled = 0
            do { polled = try await pollDue().count } catch where Task.isCancelled {
                // Stopped mid-pass: not a failure; the claimed parcels' leases run out.
            } catch { logger.error("tracking.pass_failed", metadata: ["error": "\(error)"]) }
            if polled == 0 {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.configuration.idleInterval) }
            }
        }
    }

    /// One pass: every due parcel, carriers in parallel, each within its limits.
    @discardableResult
    public func pollDue() async throws -> [Report] {
        let now = clock()
        let targets = try await store.claimPollTargets(now: now, limit: configuration.batchLimit, leaseUntil: now.addingTimeInterval(configuration.lease))
        guard !targets.isEmpty else { return [] }
        let byCarrier = Dictionary(grouping: targets, by: \.carrierID)
        let current = catalog()
        return await withTaskGroup(of: [Report].self) { group in
            for (carrierID, list) in byCarrier {
                group.addTask { await self.poll(carrierID: carrierID, targets: list, catalog: current) }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
    }

    /// Polls one parcel now, whatever its schedule (`returnctl track`).
    public func pollNow(_ parcel: Parcel) async -> Report {
        let target = PollTarget(parcelID: parcel.id, carrierID: parcel.carrierID, trackingNumber: parcel.trackingNumber, status: parcel.status, unchangedPolls: 0, failures: 0,
                                dropOffBy: parcel.status == .labelIssued ? parcel.dropOffBy : nil)
        // An operator waits for a time within the carrier's rate limit, but not for a whole pass's.
        return await poll(carrierID: parcel.carrierID, targets: [target], catalog: catalog(), horizon: 10).first
            ?? Report(parcelID: parcel.id, trackingNumber: parcel.trackingNumber, carrierID: parcel.carrierID, outcome: "not polled", newEvents: [], statusChanges: [])
    }

    /// Every carrier's poll counters from the start, at 0, and a carrier added by a reload at the
    /// next pass: a counter that first appears at its first increment loses that increment to
    /// `rate()`, and an alert on failed polls cannot tell "none yet" from "no such series".
    func registerPollCounters() {
        let ids = Set(catalog().services.map(\.id))
        let new = countedCarriers.withLock { counted in
            defer { counted.formUnion(ids) }
            return ids.subtracting(counted)
        }
        for id in new {
            for outcome in Self.pollOutcomes { pollCounter(id, outcome).increment(by: Int64(0)) }
        }
    }

    func pollCounter(_ carrierID: String, _ outcome: String) -> Counter {
        metrics.makeCounter(descriptor: .init(metricName: "returnd_carrier_polls", unitName: "total", helpText: "Tracking polls by carrier and outcome"), labels: [("carrier", carrierID), ("outcome", outcome)])
    }

    /// The carrier's latency histogram, looked up in the registry once (not per request).
    func requestHistogram(_ carrierID: String) -> DurationHistogram {
        histograms.withLock { h in
            if let existing = h[carrierID] { return existing }
            let fresh = metrics.makeDurationHistogram(
                descriptor: .init(metricName: "returnd_carrier_request", unitName: "seconds", helpText: "Carrier tracking API latency"),
                labels: [("carrier", carrierID)], buckets: Self.latencyBuckets)
            h[carrierID] = fresh
            return fresh
        }
    }

    /// Carriers whose last request failed, with the first failure since their last success,
    /// by carrier id: for the status line. Only while that is news: a carrier with parcels to
    /// poll is tried again once its pause ends and once the failed parcels' retry interval has
    /// passed. If neither brought a request (its parcels were all scanned meanwhile, or it left
    /// the catalog), returnd no longer knows it to be failing, and saying so for days would
    /// send the operator after a carrier that may have been fine for hours.
    public func failingCarriers(at now: Date) -> [(carrierID: String, since: Date)] {
        let current = catalog()
        return health.withLock { h in
            h.compactMap { id, health -> (carrierID: String, since: Date)? in
                guard current.byID[id] != nil, let since = health.failingSince, let last = health.lastFailure else { return nil }
                let triedAgainBy = max(last.pausedUntil, last.at.addingTimeInterval(configuration.schedule.retryInterval)).addingTimeInterval(Self.retryGrace)
                return now <= triedAgainBy ? (id, since) : nil
            }
        }.sorted { $0.carrierID < $1.carrierID }
    }

    /// Time for a due parcel to be claimed and its request to run out (claim passes behind a
    /// backlog, the carrier's rate limit, `requestTimeout`) before a carrier counts as untried.
    static let retryGrace: TimeInterval = 300

    func health(_ carrierID: String) -> EndpointHealth {
        health.withLock { h in
            if let existing = h[carrierID] { return existing }
            let fresh = EndpointHealth()
            h[carrierID] = fresh
            return fresh
        }
    }

    /// Gives claimed parcels back unpolled, in one transaction: one each had cost a commit and a
    /// sync per parcel, 0.6 s of the writer for a pass of 500 while a carrier was paused.
    func release(_ targets: [PollTarget], until: Date) async {
        do { try await store.releasePollTargets(parcelIDs: targets.map(\.parcelID), nextPollAt: until) } catch {
            // Their lease runs out instead, and they are claimed again then.
            logger.error("tracking.record_failed", metadata: ["parcels": "\(targets.count)", "error": "\(error)"])
        }
    }

    /// `horizon`: the latest request time to reserve, in seconds from now (`slotHorizon` unless told).
    func poll(carrierID: String, targets: [PollTarget], catalog: CarrierCatalog, horizon: TimeInterval? = nil) async -> [Report] {
        let now = clock()
        guard let service = catalog.byID[carrierID], let adapter = TrackingAdapters.adapter(for: service) else {
            logger.error("carrier.unknown", metadata: ["carrier": "\(carrierID)"])
            await release(targets, until: now.addingTimeInterval(3600))
            return []
        }
        let health = health(carrierID)
        if let until = health.isPaused(at: now) {
            await release(targets, until: until)
            return []
        }
        var chunks = stride(from: 0, to: targets.count, by: adapter.maxBatch).map { Array(targets[$0..<min($0 + adapter.maxBatch, targets.count)]) }
        // The carrier's rate limit is for our key, whichever instance sends: each pass reserves
        // its requests' times from the store's one schedule per carrier (one write a pass), and
        // only times its claims outlast, so no request goes after another instance may have
        // taken the parcel over. Chunks without a time go back until the carrier has room.
        let endpoint = EndpointHold.carrier(carrierID)
        let slots: RequestSlots
        do {
            slots = try await store.reserveRequestSlots(
                endpoint: endpoint, count: chunks.count,
                limit: RateLimit(requestsPerSecond: service.tracking.requestsPerSecond, burst: service.tracking.burst),
                now: now, notAfter: now.addingTimeInterval(horizon ?? slotHorizon))
        } catch {
            logger.error("tracking.record_failed", metadata: ["carrier": "\(carrierID)", "parcels": "\(targets.count)", "error": "\(error)"])
            // Their lease runs out and they are claimed again.
            return []
        }
        if slots.times.count < chunks.count {
            await release(chunks[slots.times.count...].flatMap { $0 }, until: Date(microsecondsSince1970: slots.nextAt))
            chunks.removeSubrange(slots.times.count...)
            if chunks.isEmpty { return [] }
        }
        let start = (date: now.microsecondsSince1970, instant: ContinuousClock.now)
        // A secret that is a file (an API key, a login) is read once per pass, not per request.
        let fileAuth = Result { try OAuthTokenCache.fileAuth(for: service, credentials: credentials) }
        // `concurrencyPerCarrier` workers each send a request, parse the answer, hand it to the
        // store loop and send the next: the bound is on requests in flight at the carrier, not
        // on commits. The store loop writes what has arrived in batches, one transaction each,
        // beside the next requests. Holding a request's slot through its own commit (an fsync)
        // had kept the carrier connections idle for half of every poll, and a task per chunk
        // cost a hand-off through the pass's loop per poll.
        let work = WorkList(Array(zip(chunks, slots.times)))
        let answers = AnswerQueue<Answer>()
        return await withTaskGroup(of: [Report].self) { group in
            group.addTask {
                var reports: [Report] = []
                while var batch = await answers.next(max: Self.storeBatch) {
                    // Answers arrive about as fast as commits end, a dozen per commit. A few ms
                    // more gathers many: each commit writes every page it touched to the WAL, so
                    // small batches wrote pages of the schedule and its index once per answer.
                    if batch.count < Self.storeBatch / 4, !answers.isFinished {
                        // Cancelled (shutdown): no wait, what has come is stored at once.
                        do { try await Task.sleep(for: Self.storeGather) } catch {}
                        batch += answers.take(max: Self.storeBatch - batch.count)
                    }
                    reports += await self.storeAnswers(batch, service: service)
                }
                return reports
            }
            // Requests sent, so that a pass cut short (a pause, shutdown) gives its unused times back.
            let sent = await withTaskGroup(of: Int.self) { workers in
                for _ in 0..<min(configuration.concurrencyPerCarrier, chunks.count) {
                    workers.addTask {
                        var sent = 0
                        while let (chunk, slot) = work.next() {
                            // The slot's time, on the monotonic clock from the pass's start.
                            let at = start.instant + .microseconds(slot - start.date)
                            let fetched = await self.fetch(chunk, service: service, adapter: adapter, at: at, health: health, fileAuth: fileAuth)
                            if case .paused = fetched {} else { sent += 1 }
                            answers.push(Self.outcomes(chunk, fetched))
                        }
                        return sent
                    }
                }
                return await workers.reduce(0, +)
            }
            answers.finish()
            let reports = await group.reduce(into: []) { $0 += $1 }
            // Workers take chunks in order, so those sent had the first times, give or take the
            // ones in flight when the pause came.
            if sent < slots.times.count {
                do { try await store.releaseRequestSlots(endpoint: endpoint, slots, used: sent) } catch {
                    logger.error("tracking.record_failed", metadata: ["carrier": "\(carrierID)", "error": "\(error)"])
                }
            }
            return reports
        }
    }

    /// How far ahead a pass reserves request times: the claims' lease, less room for the last
    /// request to time out, and never less than half the lease.
    var slotHorizon: TimeInterval {
        max(configuration.lease / 2, configuration.lease - 2 * configuration.requestTimeout.inSeconds)
    }

    /// One parcel's answer, waiting to be stored: its target, what was found, the metrics label,
    /// and the answer's digest (`PollRecord.answerDigest`).
    typealias Answer = (target: PollTarget, outcome: PollRecord.Outcome, label: String, answerDigest: String?)

    /// Answers stored in one transaction at most.
    static let storeBatch = 256

    /// How long the store loop waits for more answers when few have arrived.
    static let storeGather = Duration.milliseconds(5)

    /// A chunk's answer from the carrier, before anything is stored.
    enum ChunkFetch: Sendable {
        case results([String: TrackingResult], answerDigest: String)
        /// Every parcel of the chunk last stored an answer of these very bytes: not read again.
        case sameAnswer(String)
        case failed(String)
        /// Not sent: the carrier was paused meanwhile, or returnd is shutting down. The targets
        /// were handed back unpolled, and the request's time is given back to the schedule.
        case paused
    }

    func fetch(_ chunk: [PollTarget], service: CarrierService, adapter: any TrackingAdapter, at slot: ContinuousClock.Instant, health: EndpointHealth,
               fileAuth: Result<TrackingAuth?, any Error>) async -> ChunkFetch {
        let numbers = chunk.map(\.trackingNumber)
        // Built only when a failure is logged: most polls succeed.
        func meta() -> Logger.Metadata { ["carrier": "\(service.id)", "tracking": "\(numbers.joined(separator: ","))"] }
        if let until = health.isPaused(at: clock()) {
            await release(chunk, until: until)
            return .paused
        }
        do {
            if slot > .now {
                // A pass may hold times for minutes ahead (a slow carrier, another instance's
                // pass before ours): on shutdown the requests not yet sent are given back, due
                // at once, for whichever instance runs next, instead of holding the stop.
                do { try await cancelWhenGracefulShutdown { try await Task.sleep(until: slot, clock: .continuous) } } catch {
                    await release(chunk, until: clock())
                    return .paused
                }
                // Paused while this request waited for its time.
                if let until = health.isPaused(at: clock()) {
                    await release(chunk, until: until)
                    return .paused
                }
            }
            let auth: TrackingAuth
            if let fromFile = try fileAuth.get() { auth = fromFile } else { auth = try await tokens.auth(for: service) }
            let request = adapter.makeRequest(for: numbers, service: service, auth: auth)
            let response = try await transport.send(OutboundRequest(
                method: request.method, url: request.url, headers: request.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                body: request.body, timeout: configuration.requestTimeout, maxResponseBytes: 4 << 20))
            requestHistogram(service.id).recordNanoseconds(Int64(response.totalTime * 1e9))
            // Most polls bring back the bytes of the last answer: reading them again (the JSON
            // or XML, the events, their digest) was a tenth of a quiet poll's CPU.
            let answerDigest = Self.answerDigest(status: response.status, numbers: numbers, body: response.body)
            if chunk.allSatisfy({ $0.answerDigest == answerDigest }) {
                health.succeeded()
                return .sameAnswer(answerDigest)
            }
            do throws(TrackingResponseError) {
                // Said as a redirect, not as the "malformed response" its HTML body would make.
                if let note = response.redirectNote {
                    throw TrackingResponseError.carrierError(status: response.status, message: "\(note) (tracking.base_url in \(service.sourceFile), or carriers.endpoints.\(service.id) in the configuration)")
                }
                let parsed = try adapter.parseResponse(status: response.status, body: response.body, numbers: numbers, service: service)
                let (results, dropped, cut) = TrackingAnswerBounds.apply(parsed)
                if dropped + cut > 0 {
                    logger.warning("carrier.answer_trimmed", metadata: meta().merging([
                        "events_dropped": "\(dropped)", "texts_cut": "\(cut)",
                        "hint": "past returnd's bounds: the newest \(TrackingAnswerBounds.eventsPerNumber) events per number kept, long texts cut",
                    ]) { a, _ in a })
                }
                // The carrier answered, but not for these numbers: each fails alone (its error is
                // kept with its poll), and says so here, where a failed request says it too.
                for number in numbers {
                    if case .failed(let message) = results[number] {
                        logger.warning("carrier.number_failed", metadata: ["carrier": "\(service.id)", "tracking": "\(number)", "error": "\(message)"])
                    }
                }
                health.succeeded()
                return .results(results, answerDigest: answerDigest)
            } catch {
                if error == .unauthorized { await tokens.invalidate(service.id) }
                let retryAfter = response.retryAfter(now: clock()).map { Double($0.components.seconds) }
                let asked = error == .rateLimited ? (retryAfter ?? 60) : retryAfter
                var local = asked
                if let asked {
                    // The carrier asked every client with our key to wait: the hold goes in the
                    // store, so other instances, and this one after a restart, hold off too, and
                    // `returnctl carriers resume` can end it for all. This instance then backs
                    // off as for any failure, and the stored hold keeps it waiting.
                    do {
                        try await store.holdEndpoint(EndpointHold.carrier(service.id), until: clock().addingTimeInterval(asked), reason: "\(error)")
                        local = nil
                    } catch {
                        logger.error("tracking.record_failed", metadata: meta().merging(["error": "\(error)"]) { a, _ in a })
                    }
                }
                let until = max(health.failed(at: clock(), retryAfter: local), clock().addingTimeInterval(asked ?? 0))
                logger.warning("carrier.poll_failed", metadata: meta().merging(["error": "\(error)", "paused_until": "\(until.formatted(.iso8601))"]) { a, _ in a })
                return .failed("\(error)")
            }
        } catch {
            let until = health.failed(at: clock(), retryAfter: nil)
            logger.warning("carrier.poll_failed", metadata: meta().merging(["error": "\(error)", "paused_until": "\(until.formatted(.iso8601))"]) { a, _ in a })
            return .failed("\(error)")
        }
    }

    /// The answer as it came, for `PollTarget.answerDigest`: the status, the numbers asked for
    /// (the same bytes for another set of numbers are another answer) and the body.
    static func answerDigest(status: Int, numbers: [String], body: [UInt8]) -> String {
        var bytes = Array("\(status)\u{1F}\(numbers.joined(separator: "\u{1E}"))\u{1F}".utf8)
        bytes.append(contentsOf: body)
        return SHA256Hex.digest(bytes)
    }

    /// What the answer says for each parcel of the chunk, with its label for the metrics.
    static func outcomes(_ chunk: [PollTarget], _ fetched: ChunkFetch) -> [Answer] {
        switch fetched {
        case .paused:
            return []
        case .failed(let failure):
            return chunk.map { ($0, .failed(failure), "failed", nil) }
        case .sameAnswer(let digest):
            return chunk.map { ($0, .sameAnswer, "same_answer", digest) }
        case .results(let results, let digest):
            return chunk.map { target in
                switch results[target.trackingNumber] ?? .notFound {
                case .events(let events):
                    let records = events.map { TrackingEventRecord(code: $0.code, description: $0.description, occurredAt: $0.occurredAt, location: $0.location, status: $0.kind.parcelStatus) }
                    return (target, .events(records), "events", digest)
                case .notFound:
                    return (target, .notFound, "not_found", nil)
                case .failed(let message):
                    return (target, .failed(message), "failed", nil)
                }
            }
        }
    }

    static let latencyBuckets: [Duration] = [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(15)]

    /// Stores a batch of answers in one transaction (`recordPolls`: a record that fails is
    /// reported alone) and reports each.
    func storeAnswers(_ batch: [Answer], service: CarrierService) async -> [Report] {
        let now = clock()
        let records = batch.map { t, outcome, _, answerDigest in
            var failed = false
            if case .failed = outcome { failed = true }
            let quiet = configuration.schedule.interval(status: t.status, unchangedPolls: t.unchangedPolls, changedNow: false, failed: failed)
            // News moves the parcel on: the base interval of the status it most likely has now.
            let news = configuration.schedule.interval(status: t.status == .labelIssued ? .droppedOff : t.status, unchangedPolls: 0, changedNow: true, failed: false)
            var next = now.addingTimeInterval(quiet)
            // An unused label is asked about once more at its deadline, not up to an interval
            // after it: the expiry waits for that answer (a box handed over at a counter that
            // did not scan it must not expire unseen). Within the store's millisecond of it,
            // this poll is that one.
            if let deadline = t.dropOffBy, deadline.timeIntervalSince(now) >= 0.001, deadline < next { next = deadline }
            return PollRecord(parcelID: t.parcelID, outcome: outcome, polledAt: now, nextPollAt: next,
                              nextPollAfterNews: now.addingTimeInterval(news), knownDigest: t.eventsDigest, knownStatus: t.status,
                              answerDigest: answerDigest)
        }
        let results = await store.recordPolls(records)
        var counts: [String: Int] = [:]
        var reports: [Report] = []
        reports.reserveCapacity(batch.count)
        for ((t, _, label, _), result) in zip(batch, results) {
            counts[label, default: 0] += 1
            switch result {
            case .success(let outcome):
                for status in outcome.statusChanges {
                    logger.info("parcel.carrier_status", metadata: ["parcel": "\(t.parcelID)", "tracking": "\(t.trackingNumber)", "carrier": "\(service.id)", "status": "\(status.rawValue)"])
                }
                for e in outcome.staleEvents {
                    logger.warning("tracking.event_before_issue", metadata: [
                        "parcel": "\(t.parcelID)", "tracking": "\(t.trackingNumber)", "carrier": "\(service.id)", "code": "\(e.code)",
                        "occurred_at": "\(e.occurredAt.formatted(.iso8601))", "hint": "stored, status unchanged: the carrier used this number before",
                    ])
                }
                for e in outcome.aheadEvents {
                    logger.warning("tracking.event_after_poll", metadata: [
                        "parcel": "\(t.parcelID)", "tracking": "\(t.trackingNumber)", "carrier": "\(service.id)", "code": "\(e.code)",
                        "occurred_at": "\(e.occurredAt.formatted(.iso8601))",
                        "hint": "the parcel moved, dated at the poll's time: the carrier's clock or time zone is off",
                    ])
                }
                for e in outcome.closedEvents {
                    logger.warning("tracking.event_after_close", metadata: [
                        "parcel": "\(t.parcelID)", "tracking": "\(t.trackingNumber)", "carrier": "\(service.id)", "code": "\(e.code)",
                        "occurred_at": "\(e.occurredAt.formatted(.iso8601))", "status": "\(outcome.status.rawValue)",
                        "hint": "stored, status unchanged: the return closed while this poll was out; see returnctl parcel show",
                    ])
                }
                for e in outcome.newEvents where !service.tracking.statusMap.keys.contains(e.code) && e.status == nil {
                    logger.notice("carrier.unknown_code", metadata: ["carrier": "\(service.id)", "code": "\(e.code)", "hint": "add it to tracking.status_map in \(service.sourceFile)"])
                }
                reports.append(Report(parcelID: t.parcelID, trackingNumber: t.trackingNumber, carrierID: service.id, outcome: label, newEvents: outcome.newEvents, statusChanges: outcome.statusChanges))
            case .failure(let error):
                logger.error("tracking.record_failed", metadata: ["parcel": "\(t.parcelID)", "error": "\(error)"])
                reports.append(Report(parcelID: t.parcelID, trackingNumber: t.trackingNumber, carrierID: service.id, outcome: "failed", newEvents: [], statusChanges: []))
            }
        }
        for (label, n) in counts {
            pollCounter(service.id, label).increment(by: Int64(n))
        }
        return reports
    }
}
