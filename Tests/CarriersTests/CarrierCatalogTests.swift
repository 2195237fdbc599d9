import Carriers
import Foundation
import ReturnsCore
import Testing

private let carriersDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("carriers").path

/// A carrier file every field of which is valid; tests change one thing in it.
let validFile = """
    id: xx_test
    country: FR
    carrier: Test Post
    service: Test Return
    drop_off: {networks: [post_office], description: Offices}
    handover: label
    tracking_number: {scheme: upu_s10, service_indicator: CY, country_code: FR, serial_range: {first: 1, last: 100}}
    label: {size: 4x6in, dpi: 203}
    tracking:
      api_family: dhl_unified
      base_url: https://example.org/track
      auth: {style: none}
      rate_limit: {requests_per_second: 1, burst: 1}
      status_map: {transit: transit, delivered: delivered}
    warehouse: {id: WH-1, name: W, address: {lines: [a], city: c, postal_code: "1", country: FR}}
    """

@Suite("Carrier files")
struct CarrierCatalogTests {
    /// Foundation's words were "The operation could not be completed. The file doesn't exist.",
    /// after "carriers: -:", which read as a riddle at 3 a.m.
    @Test("a carriers folder that is missing, a file, or relative is named in plain words: where it is, what is wrong, which setting")
    func unreadableFolderInPlainWords() throws {
        func problem(_ directory: String) -> String? {
            do { _ = try CarrierCatalog.load(directory: directory); return nil } catch { return error.description }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("carriers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(problem(dir.path) == "\(dir.path): no such folder (carriers.directory)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        #expect(problem(dir.path) == "\(dir.path): no carrier files (*.yaml)")
        let file = dir.appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: file)
        #expect(problem(file.path) == "\(file.path): is a file, not a folder of carrier files (carriers.directory)")
        let relative = "no-such-carriers-\(UUID().uuidString)"
        #expect(problem(relative) == "\(relative) (\(FileManager.default.currentDirectoryPath)/\(relative)): no such folder (carriers.directory)")
    }

    @Test("the repository's carrier files load and cover all 17 countries")
    func repositoryFilesCoverEveryCountry() throws {
        let catalog = try CarrierCatalog.load(directory: carriersDirectory)
        #expect(Set(catalog.services.map(\.country)) == ServedCountries.all)
        #expect(ServedCountries.all.count == 17)
        for country in ServedCountries.all { #expect(catalog.service(forCountry: country) != nil, "\(country)") }
    }

    @Test("Russia is barcode-only, every other country needs a printed label")
    func handover() throws {
        let catalog = try CarrierCatalog.load(directory: carriersDirectory)
        for s in catalog.services { #expect((s.handover == .barcodeOnly) == (s.country == "RU"), "\(s.id)") }
    }

    @Test("each service's scheme makes numbers its own validator accepts, over the whole serial range")
    func schemesAndRanges() throws {
        let catalog = try CarrierCatalog.load(directory: carriersDirectory)
        for s in catalog.services {
            for serial in [s.serialRange.lowerBound, s.serialRange.upperBound] {
                #expect(s.scheme.isValid(s.scheme.trackingNumber(serial: serial, date: Date())), "\(s.id)")
            }
        }
        #expect(catalog.byID["us_usps"]?.scheme.usesGS1_128 == true)
    }

    @Test("a bad field is reported with the file and the field's full path", arguments: [
        ("label: {size: 4x6in, dpi: 203}", "label: {size: 5x7in, dpi: 203}", "label.size"),
        ("dpi: 203", "dpi: 201", "label.dpi"),
        ("country: FR\n", "country: ZZ\n", "country"),
        ("service_indicator: CY", "service_indicator: C1", "tracking_number.scheme"),
        ("first: 1, last: 100", "first: 100, last: 1", "tracking_number.serial_range.last"),
        ("base_url: https://example.org/track", "base_url: ftp://x", "tracking.base_url"),
        ("requests_per_second: 1", "requests_per_second: 0", "tracking.rate_limit.requests_per_second"),
        ("burst: 1}", "burst: 9223372036854775807}", "tracking.rate_limit.burst"),
        ("handover: label", "handover: pigeon", "handover"),
        ("auth: {style: none}", "auth: {style: api_key_header, credential: k}", "tracking.auth.header"),
        ("id: xx_test", "id: XX-Test", "id"),
        ("    carrier: Test Post\n", "", "carrier"),
        ("api_family: dhl_unified", "api_family: carrier_pigeon", "tracking.api_family"),
        ("delivered: delivered}", "delivered: teleported}", "tracking.status_map.delivered"),
        ("{transit: transit, delivered: delivered}", "{transit: transit}", "tracking.status_map"),
        ("base_url: https://example.org/track", "base_url: https://example.org/track\n  time_zone: Europe/Kyev", "tracking.time_zone"),
        // A fixed offset would stay put when the country's clocks change: only IANA names.
        ("base_url: https://example.org/track", "base_url: https://example.org/track\n  time_zone: GMT+2", "tracking.time_zone"),
        ("base_url: https://example.org/track", "base_url: https://example.org/track\n  time_zone: Etc/GMT-2", "tracking.time_zone"),
        ("label: {size: 4x6in, dpi: 203}", "label: {size: 4x6in, dpi: 203, time_zone: Mexico}", "label.time_zone"),
        ("label: {size: 4x6in, dpi: 203}", "label: {size: 4x6in, dpi: 203, time_zone: UTC, time_zones_by_postal_code: {\"9\": Pacific/Nowhere}}", "label.time_zones_by_postal_code.9"),
        ("label: {size: 4x6in, dpi: 203}", "label: {size: 4x6in, dpi: 203, time_zone: UTC, time_zones_by_postal_code: {\"9\": GMT+2}}", "label.time_zones_by_postal_code.9"),
        // Prefixes are written as a postal code is read: capitals and digits, nothing else.
        ("label: {size: 4x6in, dpi: 203}", "label: {size: 4x6in, dpi: 203, time_zone: UTC, time_zones_by_postal_code: {\"v6b\": America/Vancouver}}", "label.time_zones_by_postal_code"),
        ("label: {size: 4x6in, dpi: 203}", "label: {size: 4x6in, dpi: 203, time_zone: UTC, time_zones_by_postal_code: {\"967 99\": Pacific/Pago_Pago}}", "label.time_zones_by_postal_code"),
        ("label: {size: 4x6in, dpi: 203}", "label: {size: 4x6in, dpi: 203, time_zone: UTC, time_zones_by_postal_code: [America/Denver]}", "label.time_zones_by_postal_code"),
        // Without it, a postal code the list does not name would have no clock to print.
        ("label: {size: 4x6in, dpi: 203}", "label: {size: 4x6in, dpi: 203, time_zones_by_postal_code: {\"9\": America/Denver}}", "label.time_zone"),
        ("base_url: https://example.org/track", "base_url: https://example.org/track\n  time_zones_by_region: {AM: America/Manaos}", "tracking.time_zones_by_region.AM"),
        ("base_url: https://example.org/track", "base_url: https://example.org/track\n  time_zones_by_region: {am: America/Manaus}", "tracking.time_zones_by_region"),
        ("base_url: https://example.org/track", "base_url: https://example.org/track\n  time_zones_by_region: [America/Manaus]", "tracking.time_zones_by_region"),
        // The return address every label prints: a buyer's address's rules (visible, no controls, lengths).
        ("lines: [a]", "lines: [\"  \"]", "warehouse.address.lines[0]"),
        ("lines: [a]", "lines: [a, \"b\\u001B[2J\"]", "warehouse.address.lines[1]"),
        ("lines: [a]", "lines: [a, b, c, d, e, f, g]", "warehouse.address.lines"),
        ("city: c", "city: \"\\u200B\"", "warehouse.address.city"),
        ("postal_code: \"1\"", "postal_code: \"123456789012345678901\"", "warehouse.address.postal_code"),
        ("name: W", "name: \"W\\r\\nX\"", "warehouse.name"),
    ])
    func errorsNameFileAndField(original: String, replacement: String, field: String) throws {
        let text = validFile.replacingOccurrences(of: original.trimmingCharacters(in: .init(charactersIn: " ")), with: replacement.trimmingCharacters(in: .init(charactersIn: " ")))
        #expect(text != validFile, "the test did not change the file")
        #expect {
            try CarrierCatalog.parse(files: [("carriers/xx_test.yaml", text)])
        } throws: { error in
            let e = (error as! CarrierCatalogErrors).errors
            return e.count == 1 && e[0].file == "carriers/xx_test.yaml" && e[0].field == field
        }
    }

    @Test("tracking.time_zone names the zone of a carrier's offset-less times; without it the adapter's own applies")
    func timeZoneField() throws {
        let zoned = validFile.replacingOccurrences(of: "base_url: https://example.org/track", with: "base_url: https://example.org/track\n  time_zone: America/Santiago")
        let withZone = try CarrierCatalog.parse(files: [("carriers/xx_test.yaml", zoned)]).services[0]
        #expect(withZone.tracking.timeZone?.identifier == "America/Santiago")
        #expect(withZone.tracking.zone(or: .gmt).identifier == "America/Santiago")
        let without = try CarrierCatalog.parse(files: [("carriers/xx_test.yaml", validFile)]).services[0]
        #expect(without.tracking.timeZone == nil)
        #expect(without.tracking.zone(or: TimeZone(identifier: "Europe/Moscow")!).identifier == "Europe/Moscow")
    }

    @Test("every repository carrier names its country's zone for offset-less times, except where one country spans several")
    func repositoryZones() throws {
        let catalog = try CarrierCatalog.load(directory: carriersDirectory)
        for s in catalog.services where !["US", "CA"].contains(s.country) {
            #expect(s.tracking.timeZone != nil, "\(s.id)")
        }
        // Every label prints its deadlines on a named clock, never UTC by default.
        for s in catalog.services { #expect(s.label.timeZone.identifier.contains("/"), "\(s.id)") }
    }

    @Test("a country no one serves is refused listing the served ones, for the service and its warehouse; UK is named as GB")
    func countryNotServed() {
        func message(_ original: String, _ replacement: String) -> String? {
            do { _ = try CarrierCatalog.parse(files: [("carriers/xx_test.yaml", validFile.replacingOccurrences(of: original, with: replacement))]) } catch {
                return error.errors.first?.message
            }
            return nil
        }
        #expect(message("country: FR\n", "country: ZZ\n") == "ZZ is not one of the served countries: \(ServedCountries.listed)")
        #expect(message("postal_code: \"1\", country: FR", "postal_code: \"1\", country: UK")
            == "UK is not one of the served countries (the United Kingdom is GB in ISO 3166-1: write GB): \(ServedCountries.listed)")
        #expect(ServedCountries.listed.hasPrefix("AU, BE, BR"))
    }

    @Test("a field returnd does not read is refused with the field it most looks like; event codes under status_map are free", arguments: [
        ("label: {size: 4x6in, dpi: 203}", "label: {size: 4x6in, dpi: 203, colour: red}", "label.colour", "unknown field"),
        ("auth: {style: none}", "auth: {style: none, credentail: k}", "tracking.auth.credentail", "unknown field (did you mean tracking.auth.credential?)"),
        ("handover: label", "handover: label\nhandvoer: label", "handvoer", "unknown field (did you mean handover?)"),
        ("label: {size: 4x6in, dpi: 203}", "label: {size: 4x6in, dpi: 203}\nlabels: {size: 4x6in}", "labels", "unknown field (did you mean label?)"),
    ])
    func unknownFieldsRefused(original: String, replacement: String, field: String, message: String) throws {
        let text = validFile.replacingOccurrences(of: original, with: replacement)
        #expect(text != validFile, "the test did not change the file")
        #expect {
            try CarrierCatalog.parse(files: [("carriers/xx_test.yaml", text)])
        } throws: { error in
            let e = (error as! CarrierCatalogErrors).errors
            return e.count == 1 && e[0].field == field && e[0].message == message
        }
        let codes = validFile.replacingOccurrences(of: "{transit: transit, delivered: delivered}", with: "{transit: transit, delivered: delivered, XYZ-9: info}")
        #expect(try CarrierCatalog.parse(files: [("carriers/xx_test.yaml", codes)]).byID["xx_test"]?.tracking.statusMap["XYZ-9"] == .info)
    }

    @Test("invalid YAML is reported for its file")
    func invalidYAML() {
        #expect {
            try CarrierCatalog.parse(files: [("carriers/broken.yaml", "id: [unclosed")])
        } throws: { ($0 as! CarrierCatalogErrors).errors.first?.file == "carriers/broken.yaml" }
    }

    @Test("two files sharing a numbering with overlapping serial ranges are refused")
    func overlappingRanges() {
        let second = validFile.replacingOccurrences(of: "id: xx_test", with: "id: xx_other")
        #expect {
            try CarrierCatalog.parse(files: [("a.yaml", validFile), ("b.yaml", second)])
        } throws: { ($0 as! CarrierCatalogErrors).errors.contains { $0.file == "b.yaml" && $0.field == "tracking_number.serial_range" } }
    }

    @Test("an endpoint override replaces the tracking base URL; an unknown id is an error")
    func endpointOverrides() throws {
        let catalog = try CarrierCatalog.parse(files: [("a.yaml", validFile)], endpointOverrides: ["xx_test": "http://127.0.0.1:9999"])
        #expect(catalog.byID["xx_test"]?.tracking.baseURL == "http://127.0.0.1:9999")
        #expect(throws: CarrierCatalogErrors.self) {
            try CarrierCatalog.parse(files: [("a.yaml", validFile)], endpointOverrides: ["nope": "http://127.0.0.1:1"])
        }
    }

    @Test("label sizes in dots: 4x6 in at 203 dpi is 812x1218")
    func labelDots() {
        let spec = CarrierService.LabelSpec(size: .fourBySixInches, dpi: 203)
        #expect(spec.widthDots == 812 && spec.heightDots == 1218)
    }
}
