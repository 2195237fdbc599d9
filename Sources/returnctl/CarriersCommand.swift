import API
import ArgumentParser
import Carriers
import Foundation
import ReturnsCore
import Store

struct CarriersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "carriers", abstract: "Carrier services from carriers/*.yaml.", subcommands: [Check.self, Resume.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate every carrier file; print each problem as file: field: message. Exit 1 if any.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Check this directory instead of the configured carriers.directory.") var directory: String?

        struct Row: Encodable {
            var id, country, carrier, service, handover, scheme, labelSize, apiFamily, warehouse: String
            var serialsFirst, serialsLast, dpi: Int
            /// `tracking.time_zone`, or nil where the file names none (the API family's own).
            var timeZone: String?
        }

        func run() async throws {
            let settings = try await options.load()
            let dir = directory ?? settings.carriersDirectory
            let catalog: CarrierCatalog
            do { catalog = try ReturndBootstrap.loadCarriers(settings, directory: dir) } catch {
                for e in error.errors { FileHandle.standardError.write(Data("\(e)\n".utf8)) }
                throw CommandFailure(message: "\(error.errors.count) problem(s) in \(dir)")
            }
            let rows = catalog.services.map {
                Row(id: $0.id, country: $0.country, carrier: $0.carrierName, service: $0.serviceName, handover: $0.handover.rawValue,
                    scheme: $0.scheme.name, labelSize: $0.label.size.rawValue, apiFamily: $0.tracking.apiFamily, warehouse: $0.warehouse.id,
                    serialsFirst: $0.serialRange.lowerBound, serialsLast: $0.serialRange.upperBound, dpi: $0.label.dpi,
                    timeZone: $0.tracking.timeZone?.identifier)
            }
            if options.json { return try printJSON(rows) }
            // TIMES IN: the zone an event time without an offset is read in ("(api default)": the family's own).
            printTable(["ID", "CC", "CARRIER", "HANDOVER", "SCHEME", "LABEL", "TRACKING API", "TIMES IN", "WAREHOUSE"], rows.map {
                [$0.id, $0.country, $0.carrier, $0.handover, $0.scheme, "\($0.labelSize)@\($0.dpi)", $0.apiFamily, $0.timeZone ?? "(api default)", $0.warehouse]
            })
            print("\(rows.count) carrier services in \(Set(rows.map(\.country)).count) countries: OK")
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a carrier's hold (its Retry-After, in returnctl status) for every instance: polling resumes within a pass or two.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The carrier id (as in returnctl status).") var carrier: String

        func run() async throws {
            let (lifted, known) = try await options.withRuntime { runtime in
                (try await runtime.store.liftEndpointHold(EndpointHold.carrier(carrier), now: Date()), runtime.snapshot.catalog.services.map(\.id))
            }
            guard let lifted else {
                // A typo would otherwise read as "not held" while the carrier stays held.
                if !known.contains(carrier) { throw CommandFailure(message: "no carrier \(carrier) in carriers/; ids: \(known.joined(separator: ", "))") }
                throw CommandFailure(message: "carrier \(carrier) is not held")
            }
            print("\(carrier): hold until \(lifted.until.formatted(.iso8601)) ended (\((lifted.reason ?? "Retry-After").controlCharactersEscaped))")
        }
    }
}
