import Configuration
import Disputes
import Logging
import Tracking
import Foundation
import ReturnsCore
import SystemPackage

/// Every setting of returnd (config/returnd.yaml documents each). Each key can be overridden by
/// an environment variable: `http.port` by `RETURND_HTTP_PORT`.
public struct ReturndConfiguration: Sendable {
    public var httpHost: String
    public var httpPort: Int
    /// Prefix for label links in answers (empty: links are relative paths).
    public var publicBaseURL: String
    public var stateDirectory: String
    /// A SQLite file path, or `postgres://user:password@host:port/dbname?sslmode=…` for several instances.
    public var databaseURL: String
    public var carriersDirectory: String
    public var signingKeyFile: String
    public var disputeWebhookURL: String
    public var disputeSecretFile: String
    public var logLevel: String
    public var policy: ReturnPolicy
    public var maxRequestBodyBytes: Int
    /// After SIGTERM: serve (with /readyz failing) this long, then stop accepting.
    public var shutdownDrain: Duration
    /// A connection with nothing received for this long is closed (slow or vanished clients).
    public var idleTimeout: Duration
    /// A request head must arrive whole within this (slow clients that trickle bytes).
    public var requestHeadTimeout: Duration
    /// Open connections beyond this get 503 and are closed.
    public var maxConnections: Int
    /// The whole graceful shutdown must end within this; then remaining work is cancelled.
    public var shutdownTimeout: Duration
    public var notifier: DisputeNotifierService.Configuration
    public var deadlines: ParcelDeadlineService.Configuration
    public var tracking: TrackingPollerService.Configuration
    public var trackingEnabled: Bool
    /// Where carrier secrets are: systemd's `$CREDENTIALS_DIRECTORY` when set.
    public var credentialsDirectory: String
    public var credentialPrefix: String
    public var firstPollDelay: TimeInterval
    /// `log.level`, and `log.levels.<module>` for the modules of `LogLevels.modules`.
    public var logLevels: (default: Logger.Level, modules: [String: Logger.Level])
    /// Read by key for each loaded carrier: `carriers.endpoints.<carrier id>`.
    let reader: ConfigReader

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Loads `file` (YAML) under environment overrides; `environment` is injectable for tests.
    public static func load(file: String, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> ReturndConfiguration {
        let yaml: FileProvider<YAMLSnapshot>
        do { yaml = try await FileProvider<YAMLSnapshot>(filePath: FilePath(file)) } catch {
            throw Invalid(description: "\(file): cannot load configuration: \(error)")
        }
        let env = EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "returnd")
        return try ReturndConfiguration(reader: ConfigReader(providers: [env, yaml]), file: file)
    }

    init(reader config: ConfigReader, file: String) throws {
        reader = config
        httpHost = config.string(forKey: "http.host", default: "127.0.0.1")
        httpPort = config.int(forKey: "http.port", default: 8080)
        publicBaseURL = config.string(forKey: "http.public_base_url", default: "")
        let state = config.string(forKey: "state_directory", default: "state")
        stateDirectory = state
        // Relative paths of what returnd keeps live under state_directory.
        let inState = { (path: String) in path.hasPrefix("/") ? path : "\(state)/\(path)" }
        let database = config.string(forKey: "database.url", default: "returnd.sqlite")
        databaseURL = database.contains("://") ? database : inState(database)
        carriersDirectory = config.string(forKey: "carriers.directory", default: "carriers")
        signingKeyFile = inState(config.string(forKey: "signing.key_file", default: "signing.keys"))
        disputeWebhookURL = config.string(forKey: "disputes.webhook_url", default: "")
        disputeSecretFile = inState(config.string(forKey: "disputes.secret_file", default: "dispute-webhook.secret"))
        logLevel = config.string(forKey: "log.level", default: "info")
        policy = ReturnPolicy(
            windowDays: config.int(forKey: "returns.window_days", default: 15),
            fasterRefundDays: config.int(forKey: "returns.faster_refund_days", default: 5),
            maxItemsPerRequest: config.int(forKey: "returns.max_items_per_request", default: 100))
        maxRequestBodyBytes = config.int(forKey: "http.max_request_body_bytes", default: 1 << 20)
        idleTimeout = .milliseconds(Int(config.double(forKey: "http.idle_timeout_seconds", default: 30) * 1000))
        requestHeadTimeout = .milliseconds(Int(config.double(forKey: "http.request_head_timeout_seconds", default: 10) * 1000))
        maxConnections = config.int(forKey: "http.max_connections", default: 1024)
        shutdownDrain = .milliseconds(Int(config.double(forKey: "http.shutdown_drain_seconds", default: 2) * 1000))
        shutdownTimeout = .seconds(config.int(forKey: "http.shutdown_timeout_seconds", default: 25))
        notifier = DisputeNotifierService.Configuration(
            webhookURL: disputeWebhookURL,
            requestTimeout: .milliseconds(Int(config.double(forKey: "disputes.request_timeout_seconds", default: 10) * 1000)),
            concurrency: config.int(forKey: "disputes.concurrency", default: 16),
            idleInterval: .milliseconds(config.int(forKey: "disputes.poll_interval_ms", default: 500)),
            baseBackoff: .milliseconds(Int(config.double(forKey: "disputes.base_backoff_seconds", default: 1) * 1000)),
            maxBackoff: .seconds(config.int(forKey: "disputes.max_backoff_seconds", default: 600)),
            deadLetterAfter: .seconds(Int(config.double(forKey: "disputes.dead_letter_after_hours", default: 72) * 3600)))
        tracking = TrackingPollerService.Configuration(
            schedule: PollSchedule(
                labelIssuedInterval: config.double(forKey: "tracking.label_issued_interval_minutes", default: 360) * 60,
                movingInterval: config.double(forKey: "tracking.moving_interval_minutes", default: 60) * 60,
                growth: config.double(forKey: "tracking.growth", default: 1.5),
                maxInterval: config.double(forKey: "tracking.max_interval_hours", default: 12) * 3600,
                retryInterval: config.double(forKey: "tracking.retry_interval_minutes", default: 15) * 60),
            batchLimit: config.int(forKey: "tracking.batch_limit", default: 500),
            lease: config.double(forKey: "tracking.lease_seconds", default: 300),
            idleInterval: .milliseconds(config.int(forKey: "tracking.idle_interval_ms", default: 2000)),
            requestTimeout: .milliseconds(Int(config.double(forKey: "tracking.request_timeout_seconds", default: 15) * 1000)),
            concurrencyPerCarrier: config.int(forKey: "tracking.concurrency_per_carrier", default: 4))
        trackingEnabled = config.bool(forKey: "tracking.enabled", default: true)
        credentialsDirectory = inState(config.string(forKey: "tracking.credentials_directory", default: "credentials"))
        credentialPrefix = config.string(forKey: "tracking.credential_prefix", default: "")
        firstPollDelay = config.double(forKey: "tracking.first_poll_delay_minutes", default: 60) * 60
        deadlines = ParcelDeadlineService.Configuration(
            interval: .seconds(config.int(forKey: "timers.interval_seconds", default: 60)),
            arrivalUnconfirmedAfter: .seconds(Int(config.double(forKey: "timers.arrival_unconfirmed_after_hours", default: 48) * 3600)))
        guard (1...65535).contains(httpPort) else { throw Invalid(description: "\(file): http.port: \(httpPort) is not a TCP port") }
        guard (1...365).contains(policy.windowDays) else { throw Invalid(description: "\(file): returns.window_days: must be 1 to 365") }
        guard (0...365).contains(policy.fasterRefundDays) else { throw Invalid(description: "\(file): returns.faster_refund_days: must be 0 to 365") }
        if !disputeWebhookURL.isEmpty {
            guard let u = URL(string: disputeWebhookURL), ["http", "https"].contains(u.scheme ?? ""), u.host != nil else {
                throw Invalid(description: "\(file): disputes.webhook_url: \(disputeWebhookURL) is not an http(s) URL")
            }
        }
        guard (1...256).contains(notifier.concurrency) else { throw Invalid(description: "\(file): disputes.concurrency: must be 1 to 256") }
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw Invalid(description: "\(file): log.level: \(logLevel) is not a level (trace, debug, info, notice, warning, error, critical)")
        }
        var modules: [String: Logger.Level] = [:]
        for module in LogLevels.modules {
            guard let raw = config.string(forKey: ConfigKey("log.levels.\(module)")) else { continue }
            guard let l = Logger.Level(rawValue: raw) else { throw Invalid(description: "\(file): log.levels.\(module): \(raw) is not a level") }
            modules[module] = l
        }
        logLevels = (level, modules)
    }

    /// `carriers.endpoints.<id>` overrides for the given carrier ids.
    public func endpointOverrides(for carrierIDs: [String]) -> [String: String] { overrides("carriers.endpoints", carrierIDs) }

    /// `carriers.token_endpoints.<id>`: the OAuth token URL, for staging and tests.
    public func tokenEndpointOverrides(for carrierIDs: [String]) -> [String: String] { overrides("carriers.token_endpoints", carrierIDs) }

    func overrides(_ prefix: String, _ ids: [String]) -> [String: String] {
        var out: [String: String] = [:]
        for id in ids {
            if let url = reader.string(forKey: ConfigKey("\(prefix).\(id)")) { out[id] = url }
        }
        return out
    }
}
