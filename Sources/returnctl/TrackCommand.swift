import API
import ArgumentParser
import Foundation
import Logging
import ReturnsCore
import Store
import Tracking
import Transport

struct TrackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track", abstract: "Poll one parcel's carrier now and print its tracking events.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Tracking number, parcel id or return code.") var number: String

    struct Output: Encodable {
        var parcel: String
        var trackingNumber: String
        var carrier: String
        var outcome: String
        var status: ParcelStatus
        var newEvents: Int
        var events: [TrackingEventRecord]

        enum CodingKeys: String, CodingKey {
            case parcel, carrier, outcome, status, events
            case trackingNumber = "tracking_number", newEvents = "new_events"
        }
    }

    func run() async throws {
        let settings = try await options.load()
        let (parcel, report, now, events) = try await options.withRuntime(settings) { runtime in
            let store = runtime.store
            let parcel = try await findParcel(number, store)
            let transport = HTTPTransport()
            defer { transport.shutdown() }
            let report = await ReturndBootstrap.trackingPoller(settings, runtime: runtime, transport: transport).pollNow(parcel)
            return (parcel, report, try await store.parcel(id: parcel.id) ?? parcel, try await store.trackingEvents(parcelID: parcel.id))
        }
        if options.json {
            return try printJSON(Output(parcel: parcel.id, trackingNumber: parcel.trackingNumber, carrier: parcel.carrierID, outcome: report.outcome, status: now.status, newEvents: report.newEvents.count, events: events))
        }
        print("\(parcel.id) \(parcel.trackingNumber) \(parcel.carrierID): poll \(report.outcome), \(report.newEvents.count) new event(s), status \(now.status.rawValue)")
        printTable(["WHEN", "CODE", "STATUS", "DESCRIPTION", "WHERE"], events.map {
            [$0.occurredAt.formatted(.iso8601), $0.code, $0.status?.rawValue ?? "-", $0.description, $0.location ?? ""]
        })
        if report.outcome == "failed" { throw CommandFailure(message: "the poll failed; see the warning above") }
    }
}
