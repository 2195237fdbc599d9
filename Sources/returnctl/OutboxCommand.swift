import API
import ArgumentParser
import Foundation
import Store

struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "Dispute events waiting for delivery, delivered, dead, or set aside.",
        subcommands: [List.self, Show.self, Retry.self, Dead.self, SetAside.self])

    static func table(_ entries: [OutboxEntry]) {
        // DELIVERED, as `parcel show` has it: an auditor's question is when the dispute service heard.
        printTable(["EVENT", "TYPE", "DISPUTE", "PARCEL", "STATE", "ATTEMPTS", "CREATED", "DELIVERED", "LAST ERROR"], entries.map {
            [$0.eventID, $0.type, $0.disputeID, $0.parcelID, $0.state.rawValue, "\($0.attempts)", $0.createdAt.formatted(.iso8601),
             $0.deliveredAt?.formatted(.iso8601) ?? "-", $0.errorNote]
        })
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List events, oldest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "pending, delivered, dead or set_aside; all when absent.") var state: String?
        // Unconditional: `--limit -5` reads -5 as the value, so validate() names what is wrong
        // (otherwise argument-parser takes -5 for an option and says only "Missing value").
        @Option(parsing: .unconditional, help: "At most this many.") var limit = 100
        @Option(help: "Only this dispute's events: what returnd told the dispute service about it (through its parcels' rows; parcels written by a returnd before 2026-12-07 read the whole outbox).") var dispute: String?

        func validate() throws {
            if let state, OutboxEntry.State(rawValue: state) == nil { throw ValidationError("--state must be pending, delivered, dead or set_aside") }
            if limit < 1 { throw ValidationError("--limit must be 1 or more") }
        }

        func run() async throws {
            let wanted = state.flatMap(OutboxEntry.State.init(rawValue:))
            let (entries, stats) = try await options.withRuntime { runtime in
                let entries = if let dispute {
                    Array(try await runtime.store.outbox(disputeID: dispute).filter { wanted == nil || $0.state == wanted }.prefix(limit))
                } else {
                    try await runtime.store.outbox(state: wanted, limit: limit)
                }
                return (entries, try await runtime.store.outboxStats())
            }
            if options.json { return try printJSON(entries) }
            OutboxCommand.table(entries)
            print("\(stats.pending) pending, \(stats.dead) dead" + (stats.oldestPendingCreatedAt.map { ", oldest pending since \($0.formatted(.iso8601))" } ?? ""))
        }
    }

    struct Dead: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters: events given up on; each holds back its dispute's later events.")
        @OptionGroup var options: GlobalOptions
        // Unconditional: `--limit -5` reads -5 as the value, so validate() names what is wrong
        // (otherwise argument-parser takes -5 for an option and says only "Missing value").
        @Option(parsing: .unconditional, help: "At most this many, oldest first.") var limit = 1000

        func validate() throws {
            if limit < 1 { throw ValidationError("--limit must be 1 or more") }
        }

        func run() async throws {
            let (entries, stats) = try await options.withRuntime { runtime in
                (try await runtime.store.outbox(state: .dead, limit: limit), try await runtime.store.outboxStats())
            }
            if options.json { return try printJSON(entries) }
            OutboxCommand.table(entries)
            // The table may be cut short: say how many there are, and how to replay them all.
            let dead = stats.dead
            // A bare header would leave an operator wondering whether the command ran.
            print(dead > 0 ? "\(dead) dead; `returnctl outbox retry --all-dead` makes them all due again" : "no dead events: every event is delivered or still being tried (\(stats.pending) pending)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One event with its body.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The event id (evt_…).") var id: String

        func run() async throws {
            let entry = try await options.withRuntime { try await $0.store.outboxEntry(id: typedID(id, prefix: "evt_")) }
            guard let entry else { throw CommandFailure(message: "no event \(id)") }
            if options.json { return try printJSON(entry) }
            // Every time the event has, one per line: its table row left out when it was
            // delivered, how long it waited, and when a dead letter died or was replayed.
            var rows = [["event", entry.eventID], ["type", entry.type], ["dispute", entry.disputeID], ["parcel", entry.parcelID],
                        ["state", entry.state.rawValue], ["created", entry.createdAt.formatted(.iso8601)], ["attempts", "\(entry.attempts)"]]
            func row(_ name: String, _ date: Date?, _ note: String = "") {
                if let date { rows.append([name, date.formatted(.iso8601) + note]) }
            }
            row("delivered", entry.deliveredAt, entry.deliveredAt.map { " (\(Self.wait(from: entry.createdAt, to: $0)) after it was made)" } ?? "")
            if entry.state == .pending { row("next attempt", entry.nextAttemptAt) }
            row("dead since", entry.deadAt)
            row("retried", entry.retriedAt)
            row("set aside", entry.setAsideAt, entry.setAsideReason.map { ": \($0)" } ?? "")
            if let error = entry.lastError { rows.append(["last error", error]) }
            printTable(["FIELD", "VALUE"], rows)
            print("")
            print("BODY (the bytes sent and signed)")
            print(entry.payload.controlCharactersEscaped)
        }

        /// "19 s", "4 min 10 s", "3 h 2 min", "2 d 5 h": an operator's sense of a delay.
        static func wait(from start: Date, to end: Date) -> String {
            let s = max(0, Int(end.timeIntervalSince(start)))
            switch s {
            case ..<60: return "\(s) s"
            case ..<3_600: return "\(s / 60) min \(s % 60) s"
            case ..<86_400: return "\(s / 3_600) h \(s % 3_600 / 60) min"
            default: return "\(s / 86_400) d \(s % 86_400 / 3_600) h"
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver an undelivered (for example dead) event again, now; or every dead letter, after a long outage.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The event id (evt_…).") var id: String?
        @Flag(help: "Every dead letter instead of one event.") var allDead = false

        func validate() throws {
            if (id == nil) == !allDead { throw ValidationError("give one event id or --all-dead") }
        }

        func run() async throws {
            guard let id else {
                let count = try await options.withRuntime { try await $0.store.retryDeadEvents(at: Date()) }
                return print("\(count) dead events are due again; the running returnd delivers them in order per dispute")
            }
            let due = try await options.withRuntime { try await $0.store.retryEvent(id: typedID(id, prefix: "evt_"), at: Date()) }
            guard due else {
                throw CommandFailure(message: "no undelivered event \(id) (one set aside stays aside: its dispute's later events may have gone since)")
            }
            print("event \(id) is due again; the running returnd delivers it")
        }
    }

    /// For an event the dispute service refuses however often it is sent (a 4xx about the
    /// event: it backs off, then becomes a dead letter, and either way its dispute's later
    /// events wait behind it). Setting it aside lets them go; the event and the reason stay.
    struct SetAside: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-aside",
            abstract: "Stop sending an undelivered event the dispute service refuses for good, so its dispute's later events go; it is kept with your reason.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The event id (evt_…).") var id: String
        @Option(help: "Why, for whoever audits the dispute (kept with the event).") var reason: String

        func validate() throws {
            if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw ValidationError("--reason must say why the event is set aside") }
        }

        func run() async throws {
            let entry = try await options.withRuntime { try await $0.store.setAsideEvent(id: typedID(id, prefix: "evt_"), at: Date(), reason: reason) }
            guard let entry else {
                throw CommandFailure(message: "no undelivered event \(id): it is delivered, set aside already, or unknown (returnctl outbox show \(id))")
            }
            if options.json { return try printJSON(entry) }
            OutboxCommand.table([entry])
            print("event \(id) is set aside and will not be sent; the running returnd sends dispute \(entry.disputeID)'s later events")
        }
    }
}

extension OutboxEntry {
    /// The last error, and for an event set aside the operator's reason first.
    var errorNote: String {
        guard let reason = setAsideReason else { return lastError ?? "" }
        return "set aside: \(reason)" + (lastError.map { "; last error: \($0)" } ?? "")
    }
}
