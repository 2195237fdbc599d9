import Foundation
import Logging
import ReturnsCore
import Synchronization

/// One line per event for journald: `<syslog level>event key=value …`. The `<N>` prefix lets
/// `journalctl -p warning` filter; values with spaces, quotes or control characters are quoted.
/// Lines go through a `LogWriter`, which never makes the caller wait for the write.
public struct KeyValueLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    let label: String
    let levels: LogLevels
    let writer: LogWriter

    public init(label: String, levels: LogLevels, writer: LogWriter = .standardError) {
        self.label = label
        self.levels = levels
        self.writer = writer
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
        guard writer.admits(event.level) else { return }
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        writer.append(Self.line(level: event.level, module: label, message: event.message.description, metadata: merged), level: event.level)
    }

    /// The line written for one event, its newline included.
    public static func line(level: Logger.Level, module: String, message: String, metadata: Logger.Metadata) -> String {
        var merged = metadata
        // Our messages are event names; a library's sentence becomes `library.message` with the
        // sentence as a value, so every line keeps the `event key=value` shape.
        let isEventName = message.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 95 }
        if !isEventName { merged["message"] = .string(message) }
        var line = "<\(syslogPriority(level))>\(isEventName ? message : "library.message")"
        line += " level=\(level.rawValue) module=\(module)"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(quote(value.description))"
        }
        return line + "\n"
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

    /// A value as it is, or quoted when it holds a space, a quote, an `=` or a control
    /// character; inside quotes, backslashes and quotes are escaped and control characters
    /// written out (`\n`, `\u{1B}`): a value from outside (a carrier's event code, an error a
    /// service sent) must not start a line of its own, nor make journald store the line as
    /// "blob data", nor reach an operator's terminal as an escape sequence.
    static func quote(_ s: String) -> String {
        // Escaping only ever lengthens: the same length means no control character.
        let hasControls = s.controlCharactersEscaped.utf8.count != s.utf8.count
        guard s.isEmpty || hasControls || s.utf8.contains(where: { $0 == 0x20 || $0 == 0x22 || $0 == 0x3D }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").controlCharactersEscaped + "\""
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
