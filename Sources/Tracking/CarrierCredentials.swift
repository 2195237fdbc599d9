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

    public func read(_ name: String) throws -> String {
        let path = URL(fileURLWithPath: directory).appendingPathComponent(prefix + name).path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw Missing(name: prefix + name, directory: directory) }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func pair(_ name: String) throws -> (String, String) {
        let text = try read(name)
        guard let colon = text.firstIndex(of: ":") else { throw Missing(name: "\(name) (as id:secret)", directory: directory) }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
