import API
import ArgumentParser
import Foundation
import ReturnsCore
import Store

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Parcels by status and country, outbox backlog, carrier health, tracking numbers left.")
    @OptionGroup var options: GlobalOptions
    @Flag(help: "Count every parcel now (seconds per million) instead of taking the daemon's last count.")
    var countNow = false

    struct Output: Encodable {
        var parcels: [ParcelCount]
        /// When `parcels` was counted: the daemon's last count, or now.
        var parcelsCountedAt: Date
        var outbox: OutboxStats
        /// The last error of the oldest pending event, the one holding its dispute back: the
        /// dispute service's trouble in its own words (connection refused, HTTP 500, a redirect).
        var oldestPendingError: String?
        var carriers: [CarrierHealthSummary]
        /// Endpoints that asked every instance to wait (`Retry-After`), still in force.
        var holds: [EndpointHold]
        var serials: [SerialCounterUsage]
        /// Unused labels past their deadline, not expired yet: the timers wait for their carrier's word.
        var labelsPastDeadline: LabelsPastDeadline
        /// The bytes the store takes on disk.
        var storeBytes: Int
        /// Bytes free where a SQLite store is (nil on PostgreSQL).
        var storeFreeBytes: Int?
    }

    func run() async throws {
        let settings = try await options.load()
        let interval = settings.parcelCountsInterval.inSeconds
        let now = Date()
        let (stored, output) = try await options.withRuntime(settings) { runtime in
            let store = runtime.store
            // The daemon counts every `metrics.parcel_counts_interval_seconds` and stores the
            // count; reading every parcel here took 2.3 s a million. A count older than two
            // intervals (no daemon running) is not shown as current: then this command counts.
            let stored = countNow ? nil : try await store.parcelCountSnapshot().flatMap { abs(now.timeIntervalSince($0.countedAt)) <= 2 * interval ? $0 : nil }
            let parcels: [ParcelCount]
            if let stored { parcels = stored.counts } else {
                parcels = try await store.parcelCounts(inspectionOverdueBefore: now.addingTimeInterval(-settings.inspectionOverdueAfter.inSeconds))
            }
            let outbox = try await store.outboxStats()
            let oldestError = outbox.pending > 0 ? try await store.outbox(state: .pending, limit: 1).first?.lastError : nil
            return (stored, Output(parcels: parcels, parcelsCountedAt: stored?.countedAt ?? now, outbox: outbox, oldestPendingError: oldestError,
                                   carriers: try await store.carrierHealth(), holds: try await store.endpointHolds(now: now), serials: try await store.serialCounters(),
                                   labelsPastDeadline: try await store.labelsPastDeadline(now: now), storeBytes: try await store.storeBytes(), storeFreeBytes: try await store.storeFreeBytes()))
        }
        if options.json { return try printJSON(output) }
        let countries = Set(output.parcels.map(\.country)).sorted()
        print("PARCELS" + (stored.map { "  counted \(max(0, Int(now.timeIntervalSince($0.countedAt))))s ago by returnd (--count-now to count now)" } ?? ""))
        printTable(["STATUS", "TOTAL"] + countries, ParcelStatus.allCases.map { status in
            let row = output.parcels.filter { $0.status == status }
            return [status.rawValue, "\(row.reduce(0) { $0 + $1.count })"] + countries.map { c in "\(row.first { $0.country == c }?.count ?? 0)" }
        })
        let overdue = output.parcels.filter { $0.overdue > 0 }
        if !overdue.isEmpty {
            let days = settings.inspectionOverdueAfter.inSeconds / 86400
            let shown = days == days.rounded() ? "\(Int(days))" : String(format: "%.2f", days)
            print("\(overdue.reduce(0) { $0 + $1.overdue }) at the warehouse over \(shown) days, not inspected (" + overdue.map { "\($0.country) \($0.overdue)" }.joined(separator: ", ")
                  + "): returnctl parcel list --status arrived_at_warehouse --unchanged-days \(shown)")
        }
        print("\nOUTBOX  \(output.outbox.pending) pending, \(output.outbox.dead) dead" + (output.outbox.oldestPendingCreatedAt.map {
            ", oldest pending \(Int(Date().timeIntervalSince($0)))s old"
        } ?? "") + (output.oldestPendingError.map { " (its last try: \($0.controlCharactersEscaped))" } ?? "") + (output.holds.first { $0.endpoint == EndpointHold.disputeService }.map {
            "; the dispute service asked to wait until \($0.until.formatted(.iso8601)) (\(($0.reason ?? "Retry-After").controlCharactersEscaped))"
        } ?? ""))
        print("\nCARRIERS")
        let held = Dictionary(output.holds.compactMap { h in h.carrierID.map { ($0, h) } }, uniquingKeysWith: { a, _ in a })
        // A carrier that asked to wait has no requests from any instance until then; it is
        // listed even with no parcel left to follow.
        let quiet = held.keys.filter { id in !output.carriers.contains { $0.carrierID == id } }
            .map { CarrierHealthSummary(carrierID: $0, followed: 0, failing: 0, lastPolledAt: nil, lastError: held[$0]?.reason) }
        printTable(["CARRIER", "FOLLOWED", "FAILING", "LAST POLL", "HELD UNTIL", "LAST ERROR"], (output.carriers + quiet).sorted { $0.carrierID < $1.carrierID }.map {
            [$0.carrierID, "\($0.followed)", "\($0.failing)", $0.lastPolledAt?.formatted(.iso8601) ?? "-", held[$0.carrierID]?.until.formatted(.iso8601) ?? "-", $0.lastError ?? ""]
        })
        if output.labelsPastDeadline.count > 0, let oldest = output.labelsPastDeadline.oldestDeadline {
            // Seconds after a deadline this is the timers' next pass; for longer, a carrier that cannot be asked.
            let why = settings.deadlines.expiryFinalCheckWait.map {
                "not expired until their carrier is asked (oldest deadline \(oldest.formatted(.iso8601)), by \(oldest.addingTimeInterval($0.inSeconds).formatted(.iso8601)) at the latest)"
            } ?? "expired at the timers' next pass (oldest deadline \(oldest.formatted(.iso8601)))"
            print("\nLABELS PAST THEIR DEADLINE  \(output.labelsPastDeadline.count), \(why)")
        }
        print("\nTRACKING NUMBERS LEFT")
        printTable(["COUNTER", "LEFT"], output.serials.map { [$0.key, "\($0.remaining)"] })
        // Nothing is deleted: a store grows by about 10 KB a return for good (README, "Disk per return").
        func size(_ bytes: Int) -> String { ByteCountFormatter.string(fromByteCount: Int64(bytes), countStyle: .binary) }
        let kind = settings.databaseURL.contains("://") ? "PostgreSQL" : "SQLite"
        var free = ""
        if let bytes = output.storeFreeBytes {
            free = ", \(size(bytes)) free there" + (bytes < 128 << 20 ? ": low, the WAL is kept small; writes fail at 0" : "")
        }
        print("\nSTORE  \(size(output.storeBytes)) on disk (\(kind); about 10 KB a return, kept for good)\(free)")
    }
}

struct ParcelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parcel", abstract: "Parcels: a list by status and age, or one parcel's details or history.", subcommands: [List.self, Show.self, History.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parcels by status, country, carrier or warehouse, least recently changed first.",
            discussion: """
                Finds parcels stuck in a status, for example those in transit that nothing moved for ten days:
                  returnctl parcel list --status in_transit --unchanged-days 10
                and the boxes that need an operator, held by a warehouse (the ReturndWarehouseReadsFlagged alert) \
                or taken by a carrier after their return expired (tracking.event_after_close in the log):
                  returnctl parcel list --flagged
                and the boxes their carrier delivered to the warehouse that no scanner there has read \
                (the ReturndParcelsArrivalUnconfirmed alert, parcel.arrival_unconfirmed in the log):
                  returnctl parcel list --unscanned --unchanged-days 2
                CHANGED is when returnd last changed the parcel (its status, or items joining it). \
                Reads every parcel (0.2 to 1.3 s a million on SQLite here), except with --dispute (an index) or --unscanned (the timer's \
                watch list of carrier arrivals): an operator's read.
                """)
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only this status: \(ParcelStatus.allCases.map(\.rawValue).joined(separator: ", ")).") var status: String?
        @Option(help: "Only this country (ISO code: GB for the UK).") var country: String?
        @Option(help: "Only this carrier id (as in returnctl status).") var carrier: String?
        @Option(help: "Only parcels going back to this warehouse id.") var warehouse: String?
        // Unconditional: `--limit -5` reads -5 as the value, so validate() names what is wrong
        // (otherwise argument-parser takes -5 for an option and says only "Missing value").
        @Option(parsing: .unconditional, help: "Only parcels returnd has not changed for this many days (fractions allowed).") var unchangedDays: Double?
        @Option(parsing: .unconditional, help: "Show at most this many (1 to 10000); the count of all that match is printed.") var limit = 50
        @Flag(help: "Only boxes that returnd could not move on: read at the wrong warehouse and not received at their own since, read after they expired, or reported by their carrier after they expired.") var flagged = false
        @Option(help: "Only parcels holding an item of this dispute (the marketplace's dispute id).") var dispute: String?
        @Flag(help: "Only parcels their carrier reported delivered to the warehouse that no scanner there has read: the boxes to find and scan.") var unscanned = false

        func validate() throws {
            if let status, ParcelStatus(rawValue: status) == nil {
                throw ValidationError("--status must be one of \(ParcelStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let unchangedDays, !(0...36_500).contains(unchangedDays) { throw ValidationError("--unchanged-days must be 0 to 36500") }
            if !(1...10_000).contains(limit) { throw ValidationError("--limit must be 1 to 10000") }
        }

        func run() async throws {
            let filter = ParcelFilter(
                status: status.flatMap(ParcelStatus.init(rawValue:)), country: country?.asciiUppercased, carrierID: carrier, warehouseID: warehouse,
                changedBefore: unchangedDays.map { Date().addingTimeInterval(-$0 * 86_400) }, flaggedReads: flagged,
                disputeID: dispute?.trimmingCharacters(in: .whitespaces), unscannedArrivals: unscanned)
            let page = try await options.withRuntime { try await $0.store.parcels(filter, limit: limit) }
            if options.json { return try printJSON(page) }
            printTable(["PARCEL", "TRACKING", "CC", "CARRIER", "STATUS", "WAREHOUSE", "CHANGED", "CREATED"], page.parcels.map {
                [$0.id, $0.trackingNumber + ($0.labelOf == nil ? "" : " (by hand)"), $0.country, $0.carrierID, $0.status.rawValue, $0.warehouseID,
                 $0.changedAt.formatted(.iso8601), $0.createdAt.formatted(.iso8601)]
            })
            print("\(page.parcels.count) of \(page.matching) matching, least recently changed first")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A parcel by id, tracking number or return code.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Parcel id, tracking number or return code.") var parcel: String
        @Option(help: "The latest this many warehouse reads (a box left under a fixed scanner is read all day); 0 lists every one.")
        var receipts = 50

        struct Output: Encodable {
            var parcel: Parcel
            var trackingEvents: [TrackingEventRecord]
            /// The latest `--receipts`, oldest first; `receiptCount` counts them all.
            var receipts: [ReceiptRecord]
            var receiptCount: Int
            var inspection: [ItemInspection]
            /// The packages going back under this parcel's used label (their own ids).
            var packagesUnderLabel: [String]
            /// What the dispute service was sent about this parcel, and whether it took it.
            var disputeEvents: [OutboxEntry]
        }

        /// Why a label past its deadline has not expired yet, for the operator asked about it.
        static func deadlineNote(_ p: Parcel, wait: Duration?, now: Date = Date()) -> String {
            guard p.status == .labelIssued, p.dropOffBy < now else { return "" }
            // The rest of an order under a used label is not polled: nothing to wait for.
            guard let wait, p.labelOf == nil else { return " (passed: expires at the timers' next pass)" }
            let latest = p.dropOffBy.addingTimeInterval(wait.inSeconds).formatted(.iso8601)
            return " (passed: expires once its carrier, asked after it, has no drop-off; at \(latest) at the latest)"
        }

        func validate() throws {
            guard receipts >= 0 else { throw ValidationError("--receipts must be 0 (every read) or more") }
        }

        func run() async throws {
            let config = try await options.load()
            try await options.withRuntime(config) { runtime in
                let store = runtime.store
                let p = try await findParcel(parcel, store)
                let under = p.packagesUnderLabel > 0 ? try await store.packages(reusingLabelOf: p.id) : []
                let reads = try await store.latestReceipts(parcelID: p.id, limit: receipts == 0 ? Int.max : receipts)
                var out = Output(parcel: p, trackingEvents: try await store.trackingEvents(parcelID: p.id),
                                 receipts: reads.receipts, receiptCount: reads.total, inspection: try await store.inspection(parcelID: p.id),
                                 packagesUnderLabel: under.map(\.id), disputeEvents: [])
                // The parcel is shown before its dispute events are read: for a parcel an older
                // returnd wrote to, that read scans the whole outbox, seconds on a store of
                // production's size (README, "Dispute updates").
                if !options.json {
                    printParcel(out, under: under, expiryWait: config.deadlines.expiryFinalCheckWait)
                    print("\nDISPUTE EVENTS (oldest first; `returnctl outbox show EVENT` for the body)")
                    fflush(nil)  // every stream: `stdout` itself is shared mutable state to Swift 6
                }
                out.disputeEvents = try await store.outbox(parcelID: p.id)
                if options.json { return try printJSON(out) }
                printTable(["EVENT", "DISPUTE", "TYPE", "CREATED", "STATE", "DELIVERED", "ATTEMPTS", "LAST ERROR"], out.disputeEvents.map {
                    [$0.eventID, $0.disputeID, $0.type, $0.createdAt.formatted(.iso8601), $0.state.rawValue, $0.deliveredAt?.formatted(.iso8601) ?? "-", "\($0.attempts)", $0.errorNote]
                })
            }
        }

        /// Every section but the dispute events.
        func printParcel(_ out: Output, under: [Parcel], expiryWait: Duration?) {
            let p = out.parcel
            printTable(["FIELD", "VALUE"], [
                ["parcel", p.id], ["tracking", p.trackingNumber], ["carrier", p.carrierID], ["country", p.country],
                ["status", p.status.rawValue], ["return code", ReturnCode.display(p.returnCode)], ["seller", "\(p.seller.name) (\(p.seller.id))"],
                ["buyer", p.buyer.id], ["warehouse", p.warehouseID], ["disputes", p.disputeIDs.joined(separator: ", ")],
                ["drop off by", p.dropOffBy.formatted(.iso8601) + Self.deadlineNote(p, wait: expiryWait)], ["label version", "\(p.labelVersion), issued \(p.labelIssuedAt.formatted(.iso8601))"],
                ["label", p.labelOf.map { "none of its own: goes back under the used label of parcel \($0), number written by hand" } ?? "its own"],
            ])
            // Why --flagged listed it: the carrier has a box under a dead label.
            if let late = out.trackingEvents.last(where: { $0.isAfterClose(of: p) }) {
                print("\nits carrier reported it after it was \(p.status.rawValue) (\("\(late.code) \(late.description)".controlCharactersEscaped), \(late.occurredAt.formatted(.iso8601))): kept, but its status and its dispute were left as they were (returnctl parcel history; docs/OPEN-QUESTIONS.md)")
            }
            print("\nITEMS")
            printTable(["DISPUTE", "SKU", "QTY", "PRICE", "TITLE"], p.items.map { [$0.disputeID, $0.sku, "\($0.quantity)", "\($0.unitPrice.amount) \($0.unitPrice.currency)", $0.title] })
            if !out.receipts.isEmpty {
                print("\nRECEIPTS")
                if out.receiptCount > out.receipts.count {
                    print("\(out.receiptCount - out.receipts.count) earlier reads not shown (--receipts 0 lists them all)")
                }
                printTable(["WAREHOUSE", "SCANNED", "MISROUTED"], out.receipts.map { [$0.warehouseID, $0.scannedAt.formatted(.iso8601), $0.misrouted ? "yes" : "no"] })
                if p.status.isClosed {
                    print("read after the parcel was \(p.status.rawValue): kept, but its status and its dispute were left as they were (docs/OPEN-QUESTIONS.md)")
                }
            }
            if !under.isEmpty {
                print("\nPACKAGES UNDER THIS LABEL (the rest of an order, the number written by hand)")
                printTable(["PARCEL", "STATUS", "RETURN CODE", "DISPUTES"], under.map { [$0.id, $0.status.rawValue, ReturnCode.display($0.returnCode), $0.disputeIDs.joined(separator: ", ")] })
            }
            if !out.inspection.isEmpty {
                print("\nINSPECTION")
                printTable(["SKU", "OUTCOME", "REASON"], out.inspection.map { [$0.sku, $0.outcome.rawValue, $0.reason ?? ""] })
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Status changes and carrier events of a parcel, oldest first.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "Parcel id, tracking number or return code.") var parcel: String

        struct Entry: Encodable {
            var at: Date
            var kind: String
            var what: String
            var source: String
            var detail: String
        }

        func run() async throws {
            let (p, trackingEvents) = try await options.withRuntime { runtime in
                let p = try await findParcel(parcel, runtime.store)
                return (p, try await runtime.store.trackingEvents(parcelID: p.id))
            }
            let changes = p.history.map { Entry(at: $0.occurredAt, kind: "status", what: $0.status.rawValue, source: $0.source.rawValue, detail: $0.detail ?? "") }
            // Such events were stored but moved nothing (a number the carrier used before; news
            // after the return closed).
            let events = trackingEvents.map {
                let note = $0.isBeforeIssue(of: p) ? " (dated before this parcel was issued: moved nothing)"
                    : $0.isAfterClose(of: p) ? " (came after the return was \(p.status.rawValue): moved nothing)" : ""
                return Entry(at: $0.occurredAt, kind: "carrier", what: $0.code, source: p.carrierID,
                             detail: [$0.description, $0.location].compactMap { $0 }.joined(separator: " @ ") + note)
            }
            let timeline = (changes + events).sorted { $0.at < $1.at }
            if options.json { return try printJSON(timeline) }
            printTable(["WHEN", "KIND", "WHAT", "SOURCE", "DETAIL"], timeline.map { [$0.at.formatted(.iso8601), $0.kind, $0.what, $0.source, $0.detail] })
        }
    }
}
