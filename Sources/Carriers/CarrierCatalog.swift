import Foundation
import ReturnsCore
import Yams

/// A problem in a carrier file: which file, which field, what is wrong.
public struct CarrierFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var field: String
    public var message: String

    public init(file: String, field: String, message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    /// `field` "-" is a problem of the whole file or folder: "carriers: -: …" read as a riddle.
    public var description: String { field == "-" ? "\(file): \(message)" : "\(file): \(field): \(message)" }
}

public struct CarrierCatalogErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [CarrierFileError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Every carrier service from `carriers/*.yaml`, validated together.
public struct CarrierCatalog: Sendable {
    public let services: [CarrierService]
    public let byID: [String: CarrierService]

    public init(services: [CarrierService]) {
        self.services = services.sorted { $0.id < $1.id }
        self.byID = Dictionary(services.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The service that issues new labels for a buyer in `country` (the first by id).
    public func service(forCountry country: String) -> CarrierService? {
        services.first { $0.country == country }
    }

    public func services(inCountry country: String) -> [CarrierService] {
        services.filter { $0.country == country }
    }

    public var warehouses: [String: Warehouse] {
        Dictionary(services.map { ($0.warehouse.id, $0.warehouse) }, uniquingKeysWith: { a, _ in a })
    }

    /// Loads and validates every `*.yaml` file of `directory`; all problems are reported at once.
    /// `endpointOverrides` replaces a service's tracking base URL (staging and tests).
    public static func load(directory: String, endpointOverrides: [String: String] = [:], tokenEndpointOverrides: [String: String] = [:]) throws(CarrierCatalogErrors) -> CarrierCatalog {
        let url = URL(fileURLWithPath: directory)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: url.path)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        } catch {
            throw CarrierCatalogErrors(errors: [CarrierFileError(file: TextFile.shown(directory), field: "-", message: folderProblem(url.path))])
        }
        var files: [(String, String)] = []
        var errors: [CarrierFileError] = []
        for name in names {
            let path = url.appendingPathComponent(name).path
            do { files.append((path, try TextFile.read(path))) } catch {
                errors.append(CarrierFileError(file: path, field: "-", message: error.reason))
            }
        }
        if files.isEmpty && errors.isEmpty {
            errors.append(CarrierFileError(file: TextFile.shown(directory), field: "-", message: "no carrier files (*.yaml)"))
        }
        do {
            return try parse(files: files, endpointOverrides: endpointOverrides, tokenEndpointOverrides: tokenEndpointOverrides, priorErrors: errors)
        } catch { throw error }
    }

    /// Why the folder cannot be listed, in plain words. Foundation said "The operation could not
    /// be completed. The file doesn't exist." for a missing folder, and worse for a file.
    static func folderProblem(_ path: String) -> String {
        guard let dir = opendir(path) else {
            let code = errno
            switch code {
            case ENOENT: return "no such folder (carriers.directory)"
            case ENOTDIR: return "is a file, not a folder of carrier files (carriers.directory)"
            default: return "cannot be read: \(String(cString: strerror(code))) (this process runs as uid \(getuid()))"
            }
        }
        closedir(dir)
        return "cannot be read"
    }

    /// Parses file contents already read: `(path, text)` pairs.
    public static func parse(
        files: [(path: String, text: String)], endpointOverrides: [String: String] = [:],
        tokenEndpointOverrides: [String: String] = [:], priorErrors: [CarrierFileError] = []
    ) throws(CarrierCatalogErrors) -> CarrierCatalog {
        var errors = priorErrors
        var services: [CarrierService] = []
        for (path, text) in files {
            do { services.append(try CarrierFileParser.parse(text, file: path)) } catch let e as CarrierFileError {
                errors.append(e)
            } catch {
                errors.append(CarrierFileError(file: path, field: "-", message: "\(error)"))
            }
        }
        // Rules across files.
        var seenIDs: [String: String] = [:]
        var warehouses: [String: (Warehouse, String)] = [:]
        var counters: [String: (ClosedRange<Int>, String)] = [:]
        for s in services {
            if let other = seenIDs[s.id] {
                errors.append(CarrierFileError(file: s.sourceFile, field: "id", message: "\(s.id) is also the id in \(other)"))
            }
            seenIDs[s.id] = s.sourceFile
            if let (w, other) = warehouses[s.warehouse.id], w != s.warehouse {
                errors.append(CarrierFileError(file: s.sourceFile, field: "warehouse", message: "warehouse \(w.id) is described differently in \(other)"))
            }
            warehouses[s.warehouse.id] = (s.warehouse, s.sourceFile)
            if let (range, other) = counters[s.serialCounterKey], range.overlaps(s.serialRange) {
                errors.append(CarrierFileError(
                    file: s.sourceFile, field: "tracking_number.serial_range",
                    message: "overlaps the range of \(other) for the same numbering; a number could be issued twice"))
            }
            counters[s.serialCounterKey] = (s.serialRange, s.sourceFile)
        }
        guard errors.isEmpty else { throw CarrierCatalogErrors(errors: errors) }
        return try CarrierCatalog(services: services).applying(endpointOverrides: endpointOverrides, tokenEndpointOverrides: tokenEndpointOverrides)
    }

    /// The same services with the configuration's endpoints (`carriers.endpoints.<id>`,
    /// `carriers.token_endpoints.<id>`) in place of the files' URLs, for staging and tests.
    public func applying(endpointOverrides: [String: String], tokenEndpointOverrides: [String: String]) throws(CarrierCatalogErrors) -> CarrierCatalog {
        guard !endpointOverrides.isEmpty || !tokenEndpointOverrides.isEmpty else { return self }
        var services = self.services
        var errors: [CarrierFileError] = []
        for (id, url) in endpointOverrides.sorted(by: { $0.key < $1.key }) {
            guard let i = services.firstIndex(where: { $0.id == id }) else {
                errors.append(CarrierFileError(file: "configuration", field: "carriers.endpoints.\(id)", message: "no carrier service has this id"))
                continue
            }
            guard CarrierFileParser.isHTTPURL(url) else {
                errors.append(CarrierFileError(file: "configuration", field: "carriers.endpoints.\(id)", message: "must be an http(s) URL"))
                continue
            }
            services[i].tracking.baseURL = url
        }
        for (id, url) in tokenEndpointOverrides.sorted(by: { $0.key < $1.key }) {
            guard let i = services.firstIndex(where: { $0.id == id }), CarrierFileParser.isHTTPURL(url) else {
                errors.append(CarrierFileError(file: "configuration", field: "carriers.token_endpoints.\(id)", message: "needs a known carrier id and an http(s) URL"))
                continue
            }
            services[i].tracking.tokenURL = url
        }
        guard errors.isEmpty else { throw CarrierCatalogErrors(errors: errors) }
        return CarrierCatalog(services: services)
    }
}
