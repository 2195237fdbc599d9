import Carriers
import Foundation

/// Carrier secrets, one file per credential name in a directory: systemd's
/// `$CREDENTIALS_DIRECTORY` (LoadCredential) in production. An API key is the whole file;
/// OAuth clients, basic auth and SOAP logins are `id:secret`.
public struct CarrierCredentials: Sendable {
    public let directory: String
    /// Prepended to each name: systemd loads a credentials folder as `<id>_<file>`.
    public let prefix: String

    public init(directory: String, prefix: String = "") {
        self.directory = directory
        self.prefix = prefix
    }

    public struct Missing: Error, CustomStringConvertible {
        public var name: String
        public var directory: String
        public var description: String { "credential \(name) not found in \(directory)" }
    }

    /// There, but not usable: unreadable, not text, or not in the form asked. Never quotes the file.
    public struct Unusable: Error, CustomStringConvertible {
        public var name: String
        public var directory: String
        public var reason: String
        public var description: String { "credential \(name) in \(directory) \(reason)" }
    }

    public func read(_ name: String) throws -> String {
        let path = URL(fileURLWithPath: directory).appendingPathComponent(prefix + name).path
        do { return try TextFile.read(path, limit: 64 * 1024).trimmingCharacters(in: .whitespacesAndNewlines) } catch {
            if error.doesNotExist { throw Missing(name: prefix + name, directory: directory) }
            throw Unusable(name: prefix + name, directory: directory, reason: error.reason)
        }
    }

    /// The carriers of `catalog` whose credential cannot be read now, each with why (`Missing`
    /// or `Unusable`), for a warning at start and reload: a poll would only find out at its
    /// carrier's first due parcel, an hour or more after the first label.
    public func unreadable(in catalog: CarrierCatalog) -> [(carrierID: String, problem: any Error)] {
        catalog.services.compactMap { service in
            guard service.tracking.authStyle != .none, let name = service.tracking.credential else { return nil }
            do { _ = try read(name) } catch { return (service.id, error) }
            return nil
        }
    }

    func pair(_ name: String) throws -> (String, String) {
        let text = try read(name)
        guard let colon = text.firstIndex(of: ":") else {
            throw Unusable(name: prefix + name, directory: directory, reason: "is not in the form id:secret")
        }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
