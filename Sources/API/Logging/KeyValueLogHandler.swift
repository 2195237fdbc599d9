import Foundation
import Logging
import Synchronization

/// One line per event for journald: `<syslog level>event key=value …`. The `<N>` prefix lets
/// `journalctl -p warning` filter; values with spaces or quotes are quoted.
public struct KeyValueLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    let label: String
    let levels: LogLevels

    public init(label: String, levels: LogLevels) {
        self.label = label
        self.levels = levels
    }

    /// Read on every log call, so a reload changes levels at once.
    public var logLevel: Logger.Level {
        get { levels.level(for: label) }
        set {}
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        // Our messages are event names; a library's sentence becomes `library.message` with the
        // sentence as a value, so every line keeps the `event key=value` shape.
        let message = event.message.description
        let isEventName = message.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 95 }
        if !isEventName { merged["message"] = .string(message) }
        var line = "<\(Self.syslogPriority(event.level))>\(isEventName ? message : "library.message")"
        line += " level=\(event.level.rawValue) module=\(label)"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(Self.quote(value.description))"
        }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    static func quote(_ s: String) -> String {
        guard s.isEmpty || s.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}

/// The log level of each module (`log.levels.<module>`, else `log.level`), swappable on reload.
/// A logger labelled `returnd.tracking` belongs to module `tracking`; others to `main`.
public final class LogLevels: Sendable {
    public static let modules = ["main", "http", "store", "tracking", "disputes", "timers"]
    private let levels: Mutex<(default: Logger.Level, modules: [String: Logger.Level])>

    public init(_ settings: (default: Logger.Level, modules: [String: Logger.Level])) {
        levels = Mutex(settings)
    }

    public func update(_ settings: (default: Logger.Level, modules: [String: Logger.Level])) {
        levels.withLock { $0 = settings }
    }

    public func level(for label: String) -> Logger.Level {
        let module = label.hasPrefix("returnd.") ? String(label.dropFirst("returnd.".count)) : label == "hummingbird" ? "http" : "main"
        return levels.withLock { $0.modules[module] ?? $0.default }
    }
}
