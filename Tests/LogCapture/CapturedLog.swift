import Logging
import Synchronization

/// Every line logged through `logger`, for tests that check what an operator would read.
public final class CapturedLog: Sendable {
    public struct Line: Sendable {
        public let level: Logger.Level
        public let event: String
        public let metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])

    public init() {}

    public var all: [Line] { lines.withLock { $0 } }

    public func lines(_ event: String) -> [Line] { all.filter { $0.event == event } }

    public func logger(label: String = "test") -> Logger { Logger(label: label) { _ in Handler(log: self) } }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let line = Line(level: event.level, event: event.message.description, metadata: metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" })
            log.lines.withLock { $0.append(line) }
        }
    }
}
