import Foundation
import Logging
import ServiceLifecycle

/// One outbound HTTP request. Every request has a total timeout and a response size bound.
public struct OutboundRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    public var timeout: Duration
    public var connectTimeout: Duration
    public var maxResponseBytes: Int
    public var oversizedAnswer: OversizedAnswer

    /// What an answer with a body over `maxResponseBytes` comes to.
    public enum OversizedAnswer: Sendable {
        /// `TransportError.responseTooLarge`: the caller reads the body (a carrier's events).
        case fail
        /// Its status and headers, the body cut at the bound (`InboundResponse.bodyCut`): the
        /// caller needs only the status (the dispute service's 2xx means delivered, whatever
        /// page it sends along).
        case cut
    }

    public init(
        method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        timeout: Duration = .seconds(10), connectTimeout: Duration = .seconds(3), maxResponseBytes: Int = 1 << 20,
        oversizedAnswer: OversizedAnswer = .fail
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.maxResponseBytes = maxResponseBytes
        self.oversizedAnswer = oversizedAnswer
    }
}

public struct InboundResponse: Sendable {
    public var status: Int
    /// Header names in lower case, in the order received.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Seconds from sending to the whole answer.
    public var totalTime: Double
    /// The body was longer than the request's bound and is cut there (`OversizedAnswer.cut`).
    public var bodyCut = false

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.last { $0.name == lower }?.value
    }

    /// For a 3xx answer, what to say of it (after its status): returnd follows no redirect (a
    /// signed webhook or a request carrying a carrier's key is not resent to an address nobody
    /// configured), so the configured URL is out of date and the operator needs the new one.
    public var redirectNote: String? {
        guard (300..<400).contains(status) else { return nil }
        // Cut in scalars, not characters: one letter may carry a header's worth of marks.
        let location = header("location").map { String(String.UnicodeScalarView($0.unicodeScalars.prefix(300))) } ?? "an address it did not give"
        return "redirect to \(location), not followed: the configured URL is out of date"
    }

    /// `Retry-After` as seconds or an HTTP date, at most a day (a carrier asking for more is wrong).
    public func retryAfter(now: Date = Date()) -> Duration? {
        header("retry-after").flatMap { Self.retryAfter($0, now: now) }
    }

    /// A `Retry-After` value as the endpoint wrote it, read as `retryAfter(now:)` does.
    public static func retryAfter(_ value: String, now: Date) -> Duration? {
        let raw = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(raw), seconds >= 0 { return .seconds(min(seconds, 86_400)) }
        // The header is the endpoint's to write, and DateFormatter traps ("Incorrect range") on a
        // combining character: one carrier or dispute service answering such a date took returnd
        // down at every poll. An HTTP-date is short printable ASCII; nothing else reaches it.
        guard raw.utf8.count <= 64, raw.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: raw) else { return nil }
        return .seconds(max(0, min(86_400, Int(date.timeIntervalSince(now).rounded(.up)))))
    }
}

public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    case timedOut
    case couldNotConnect(String)
    case responseTooLarge(limit: Int)
    /// The answer's status line and headers passed `limit` bytes (a broken or hostile server).
    case headersTooLarge(limit: Int)
    case invalidRequest(String)
    case failed(String)
    case shutDown

    public var description: String {
        switch self {
        case .timedOut: "timed out"
        case .couldNotConnect(let m): "could not connect: \(m)"
        case .responseTooLarge(let limit): "response larger than \(limit) bytes"
        case .headersTooLarge(let limit): "response headers larger than \(limit) bytes"
        case .invalidRequest(let m): "invalid request: \(m)"
        case .failed(let m): "transfer failed: \(m)"
        case .shutDown: "transport is shut down"
        }
    }
}

/// The one outbound HTTP client: libcurl's multi interface on a thread of its own, so many
/// requests share few connections (keep-alive, HTTP/2 multiplexing where offered). TLS
/// verification stays on; proxies come from the environment as libcurl reads them.
/// As a `Service` it closes when the service group shuts down, failing what is still in flight.
public final class HTTPTransport: Service, Sendable {
    let engine: CurlEngine

    public init(maxConnectionsPerHost: Int = 16, maxConnections: Int = 64) {
        engine = CurlEngine(maxConnectionsPerHost: maxConnectionsPerHost, maxConnections: maxConnections)
    }

    public func send(_ request: OutboundRequest) async throws -> InboundResponse {
        // The scheme and no control characters (a NUL would cut the C string short); libcurl
        // parses the rest and refuses a malformed URL. Parsing it here too (Foundation's URL) was
        // a few microseconds of every poll.
        guard Self.isHTTPURL(request.url) else {
            throw TransportError.invalidRequest("not an http(s) URL: \(request.url)")
        }
        guard !request.headers.contains(where: { $0.name.contains(where: \.isNewline) || $0.value.contains(where: \.isNewline) }) else {
            throw TransportError.invalidRequest("header with a line break")
        }
        return try await engine.perform(request)
    }

    static func isHTTPURL(_ url: String) -> Bool {
        let bytes = url.utf8
        let scheme = bytes.prefix { $0 != UInt8(ascii: ":") }.map { $0 | 0x20 } // ASCII lower case
        guard scheme.elementsEqual("http".utf8) || scheme.elementsEqual("https".utf8),
              bytes.dropFirst(scheme.count).starts(with: "://".utf8) else { return false }
        return !bytes.contains { $0 < 0x20 || $0 == 0x7F }
    }

    public func run() async throws {
        // Nothing to drive here: the engine has its own thread. Wait for shutdown, then close.
        try? await gracefulShutdown()
        engine.shutdown()
    }

    /// Closes the engine: requests in flight fail with `TransportError.shutDown`.
    public func shutdown() { engine.shutdown() }
}
