import API
import ArgumentParser
import Carriers
import Foundation
import ReturnsCore
import Store

struct CarriersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "carriers", abstract: "Carrier services from carriers/*.yaml.", subcommands: [Check.self, Clock.self, Resume.self])

    /// The carrier files of `directory`, or of the configured carriers.directory; each problem
    /// printed as file: field: message.
    static func load(_ options: GlobalOptions, directory: String?) async throws -> (CarrierCatalog, String) {
        // Files checked where no returnd is configured (their own repository, a workstation):
        // every setting at its default, so no endpoint is overridden. A file named by --config
        // or $RETURND_CONFIG must still be there.
        let unconfigured = directory != nil && options.config == GlobalOptions.defaultConfig
            && ProcessInfo.processInfo.environment["RETURND_CONFIG"] == nil && !FileManager.default.fileExists(atPath: options.config)
        let settings = unconfigured ? try ReturndConfiguration.defaults() : try await options.load()
        let dir = directory ?? settings.carriersDirectory
        do { return (try ReturndBootstrap.loadCarriers(settings, directory: dir), dir) } catch {
            for e in error.errors { FileHandle.standardError.write(Data("\(e)\n".utf8)) }
            throw CommandFailure(message: "\(error.errors.count) problem(s) in \(dir)")
        }
    }

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
            /// `tracking.time_zones_by_region`: the zones of event sites by region code.
            var timeZonesByRegion: [RegionZone]
            /// `label.time_zone` and `label.time_zones_by_postal_code`: the clocks deadlines print on.
            var labelTimeZone: String
            /// A list, not an object keyed by prefix: keys stay field names (the smoke test's rule).
            var labelTimeZonesByPostalCode: [PostalCodeZone]
        }

        struct PostalCodeZone: Encodable {
            var prefix, timeZone: String
        }

        struct RegionZone: Encodable {
            var region, timeZone: String
        }

        func run() async throws {
            let (catalog, _) = try await CarriersCommand.load(options, directory: directory)
            let rows = catalog.services.map {
                Row(id: $0.id, country: $0.country, carrier: $0.carrierName, service: $0.serviceName, handover: $0.handover.rawValue,
                    scheme: $0.scheme.name, labelSize: $0.label.size.rawValue, apiFamily: $0.tracking.apiFamily, warehouse: $0.warehouse.id,
                    serialsFirst: $0.serialRange.lowerBound, serialsLast: $0.serialRange.upperBound, dpi: $0.label.dpi,
                    timeZone: $0.tracking.timeZone?.identifier,
                    timeZonesByRegion: $0.tracking.zonesByRegion.sorted { $0.key < $1.key }.map { RegionZone(region: $0.key, timeZone: $0.value.identifier) },
                    labelTimeZone: $0.label.timeZone.identifier,
                    labelTimeZonesByPostalCode: $0.label.zonesByPostalCode.sorted { $0.key < $1.key }.map { PostalCodeZone(prefix: $0.key, timeZone: $0.value.identifier) })
            }
            if options.json { return try printJSON(rows) }
            // LABEL CLOCK: the zone deadlines print on, and how many postal code prefixes have their own.
            // TIMES IN: the zone an event time without an offset is read in ("(api default)": the family's own),
            // and how many regions of event sites have their own.
            printTable(["ID", "CC", "CARRIER", "HANDOVER", "SCHEME", "LABEL", "LABEL CLOCK", "TRACKING API", "TIMES IN", "WAREHOUSE"], rows.map {
                let byCode = $0.labelTimeZonesByPostalCode.isEmpty ? "" : " +\($0.labelTimeZonesByPostalCode.count) by postal code"
                let byRegion = $0.timeZonesByRegion.isEmpty ? "" : " +\($0.timeZonesByRegion.count) by region"
                return [$0.id, $0.country, $0.carrier, $0.handover, $0.scheme, "\($0.labelSize)@\($0.dpi)", $0.labelTimeZone + byCode,
                        $0.apiFamily, ($0.timeZone ?? "(api default)") + byRegion, $0.warehouse]
            })
            print("\(rows.count) carrier services in \(Set(rows.map(\.country)).count) countries: OK")
        }
    }

    struct Clock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The clock a carrier's label prints its deadlines on for a buyer's postal code, and the line of the carrier file that chose it.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Read this directory instead of the configured carriers.directory.") var directory: String?
        @Argument(help: "The carrier id (as in returnctl carriers check).") var carrier: String
        @Argument(help: "The buyer's postal code, as on the return (spaces and dashes are skipped).") var postalCode: String

        struct Output: Encodable {
            var carrier, postalCode, timeZone, clockName: String
            /// The listed prefix that chose the zone; nil when `label.time_zone` did.
            var prefix: String?
        }

        func run() async throws {
            let (catalog, dir) = try await CarriersCommand.load(options, directory: directory)
            guard let service = catalog.byID[carrier] else {
                throw CommandFailure(message: "no carrier \(carrier) in \(dir); ids: \(catalog.services.map(\.id).joined(separator: ", "))")
            }
            let clock = service.label.clock(forPostalCode: postalCode)
            let out = Output(carrier: carrier, postalCode: postalCode, timeZone: clock.zone.identifier, clockName: clock.name,
                             prefix: service.label.prefix(matching: postalCode))
            if options.json { return try printJSON(out) }
            let why = out.prefix.map { "label.time_zones_by_postal_code \"\($0)\"" } ?? "label.time_zone (no prefix of it is listed)"
            print("\(carrier) \(postalCode.controlCharactersEscaped): \(out.timeZone) (\(out.clockName)), by \(why)")
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
