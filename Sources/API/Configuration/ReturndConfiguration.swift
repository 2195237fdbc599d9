import Configuration
import Disputes
import Logging
import Tracking
import Foundation
import ReturnsCore
import SystemPackage
import Carriers
import Yams

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
    /// How long returnd waits at start for a PostgreSQL server it cannot reach.
    public var databaseStartupWait: Duration
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
    public var requestBodyTimeout: Duration
    /// Open connections beyond this get 503 and are closed.
    public var maxConnections: Int
    /// The whole graceful shutdown must end within this; then remaining work is cancelled.
    public var shutdownTimeout: Duration
    public var notifier: DisputeNotifierService.Configuration
    public var deadlines: ParcelDeadlineService.Configuration
    /// How often the parcels are counted for `/metrics` and the status line.
    public var parcelCountsInterval: Duration
    /// A parcel at the warehouse longer than this without an inspection is counted overdue.
    public var inspectionOverdueAfter: Duration
    public var tracking: TrackingPollerService.Configuration
    public var trackingEnabled: Bool
    /// Where carrier secrets are: systemd's `$CREDENTIALS_DIRECTORY` when set.
    public var credentialsDirectory: String
    public var credentialPrefix: String
    public var firstPollDelay: TimeInterval
    /// `log.level`, and `log.levels.<module>` for the modules of `LogLevels.modules`.
    public var logLevels: (default: Logger.Level, modules: [String: Logger.Level])
    /// Lines below warning, and lines at warning or above, written per second at most (0: no bound).
    public var logLinesPerSecond: Int
    /// Read by key for each loaded carrier: `carriers.endpoints.<carrier id>`.
    let reader: ConfigReader
    /// Every setting read, as written (file or environment; absent: the default), by key: a
    /// reload compares them with the running ones (`settingsNeedingRestart`).
    public let settings: [String: String]
    /// `RETURND_…` variables of the environment that name no setting, each with the variable of
    /// the closest setting if one is near. A misspelt override changes nothing, without a word:
    /// `RETURND_DATABASE_UR=postgres://…` in a unit's drop-in left an instance on its own SQLite
    /// file. Logged at start (`config.unknown_environment`), not refused: the environment of a
    /// service may hold other programs' variables of the same prefix.
    public let unknownEnvironmentVariables: [YAMLUnknownKeys.Unknown]

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Loads `file` (YAML) under environment overrides; `environment` is injectable for tests.
    public static func load(file: String, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> ReturndConfiguration {
        // Read and parsed once here, for the reason in plain words (the file provider's message
        // for a folder, a FIFO, a device or a permission denied is a dump of NSError fields), for
        // the alias check, the empty-document case and the unknown keys. The file provider
        // reads it again on its own.
        let text: String
        do { text = try TextFile.read(file) } catch { throw Invalid(description: "\(TextFile.shown(file)): \(error.reason)") }
        // Before Yams composes it: see `Node.keyShape` (21 s for such a file otherwise).
        switch Node.keyShape(ofYAML: text) {
        case .plainNames: break
        case .notPlainName:
            throw Invalid(description: "\(file): has a key that is not a plain name (an alias, a list or a mapping): not a configuration")
        case .unreadable(let reason):
            throw Invalid(description: "\(file): cannot load configuration: not valid YAML: \(reason)")
        }
        // `isYAML` false (an alias to no anchor, say): the file provider below says where.
        var root: Node?, isYAML = true
        do { root = try Yams.Parser(yaml: text).singleRoot() } catch { isYAML = false }
        // returnd.yaml holds about a hundred values; aliases that multiply them are refused before
        // anything walks them (see `Node.expandedSize`).
        if let root, root.expandedSize(limit: maxValues) >= maxValues {
            throw Invalid(description: "\(file): holds more than \(maxValues) values once its aliases (*name) are expanded: not a configuration")
        }
        // A file of comments only (every setting at its default) is valid YAML with no mapping,
        // which the file provider refuses as "Top level YAML value is not a mapping".
        if isYAML && (root == nil || root?.null != nil) {
            return try ReturndConfiguration(reader: ConfigReader(providers: [Self.environmentProvider(environment)]), file: file, mapping: nil, environment: environment)
        }
        let yaml: FileProvider<YAMLSnapshot>
        do { yaml = try await FileProvider<YAMLSnapshot>(filePath: FilePath(file)) } catch {
            throw Invalid(description: "\(file): cannot load configuration: \(error)")
        }
        return try ReturndConfiguration(reader: ConfigReader(providers: [environmentProvider(environment), yaml]), file: file, mapping: root?.mapping, environment: environment)
    }

    static let maxValues = 10_000

    /// Every setting at its default under `environment`'s overrides, with no file: for
    /// `returnctl carriers check --directory`, which checks carrier files where no returnd is
    /// configured (a carrier file's own repository, a workstation).
    public static func defaults(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ReturndConfiguration {
        try ReturndConfiguration(reader: ConfigReader(providers: [environmentProvider(environment)]), file: "(defaults)", mapping: nil, environment: environment)
    }

    /// `RETURND_HTTP_PORT` for `http.port`, and so on.
    static func environmentProvider(_ environment: [String: String]) -> some ConfigProvider {
        EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "returnd")
    }

    /// `mapping`: the file as parsed, for the keys returnd does not read.
    init(reader config: ConfigReader, file: String, mapping: Node.Mapping?, environment: [String: String]) throws {
        reader = config
        let setting = Setting(config: config, file: file, environment: environment)
        httpHost = setting.string("http.host", default: "127.0.0.1")
        httpPort = try setting.int("http.port", default: 8080, in: 1...65535)
        publicBaseURL = setting.string("http.public_base_url", default: "")
        let state = setting.string("state_directory", default: "state")
        stateDirectory = state
        // Relative paths of what returnd keeps live under state_directory.
        let inState = { (path: String) in path.hasPrefix("/") ? path : "\(state)/\(path)" }
        let database = setting.string("database.url", default: "returnd.sqlite")
        if let why = ReturndBootstrap.unsupportedURL(database) { throw Invalid(description: "\(setting.origin("database.url")): \(why)") }
        databaseURL = database.contains("://") ? database : inState(database)
        databaseStartupWait = .seconds(try setting.int("database.startup_wait_seconds", default: 60, in: 0...3600))
        carriersDirectory = setting.string("carriers.directory", default: "carriers")
        signingKeyFile = inState(setting.string("signing.key_file", default: "signing.keys"))
        disputeWebhookURL = setting.string("disputes.webhook_url", default: "")
        disputeSecretFile = inState(setting.string("disputes.secret_file", default: "dispute-webhook.secret"))
        logLevel = setting.string("log.level", default: "info")
        policy = ReturnPolicy(
            windowDays: try setting.int("returns.window_days", default: 15, in: 1...365),
            fasterRefundDays: try setting.int("returns.faster_refund_days", default: 5, in: 0...365),
            maxItemsPerRequest: try setting.int("returns.max_items_per_request", default: 100, in: 1...10000))
        maxRequestBodyBytes = try setting.int("http.max_request_body_bytes", default: 1 << 20, in: 1024...1 << 30)
        idleTimeout = .milliseconds(Int(try setting.number("http.idle_timeout_seconds", default: 30, in: 0.1...86400) * 1000))
        requestHeadTimeout = .milliseconds(Int(try setting.number("http.request_head_timeout_seconds", default: 10, in: 0.1...3600) * 1000))
        requestBodyTimeout = .milliseconds(Int(try setting.number("http.request_body_timeout_seconds", default: 60, in: 0.1...3600) * 1000))
        maxConnections = try setting.int("http.max_connections", default: 1024, in: 1...1000000)
        shutdownDrain = .milliseconds(Int(try setting.number("http.shutdown_drain_seconds", default: 2, in: 0...3600) * 1000))
        shutdownTimeout = .seconds(try setting.int("http.shutdown_timeout_seconds", default: 25, in: 1...3600))
        notifier = DisputeNotifierService.Configuration(
            webhookURL: disputeWebhookURL,
            requestTimeout: .milliseconds(Int(try setting.number("disputes.request_timeout_seconds", default: 10, in: 0.1...3600) * 1000)),
            concurrency: try setting.int("disputes.concurrency", default: 16, in: 1...256),
            idleInterval: .milliseconds(try setting.int("disputes.poll_interval_ms", default: 500, in: 10...3600000)),
            baseBackoff: .milliseconds(Int(try setting.number("disputes.base_backoff_seconds", default: 1, in: 0.001...86400) * 1000)),
            maxBackoff: .seconds(try setting.int("disputes.max_backoff_seconds", default: 600, in: 1...604800)),
            pauseMax: .seconds(try setting.int("disputes.pause_max_seconds", default: 60, in: 1...86400)),
            deadLetterAfter: .seconds(Int(try setting.number("disputes.dead_letter_after_hours", default: 72, in: 0.01...87600) * 3600)))
        tracking = TrackingPollerService.Configuration(
            schedule: PollSchedule(
                labelIssuedInterval: try setting.number("tracking.label_issued_interval_minutes", default: 360, in: 0.01...525600) * 60,
                movingInterval: try setting.number("tracking.moving_interval_minutes", default: 60, in: 0.01...525600) * 60,
                growth: try setting.number("tracking.growth", default: 1.5, in: 1...100),
                maxInterval: try setting.number("tracking.max_interval_hours", default: 12, in: 0.01...8760) * 3600,
                retryInterval: try setting.number("tracking.retry_interval_minutes", default: 15, in: 0.01...525600) * 60),
            batchLimit: try setting.int("tracking.batch_limit", default: 500, in: 1...100000),
            lease: try setting.number("tracking.lease_seconds", default: 300, in: 1...86400),
            idleInterval: .milliseconds(try setting.int("tracking.idle_interval_ms", default: 2000, in: 10...3600000)),
            requestTimeout: .milliseconds(Int(try setting.number("tracking.request_timeout_seconds", default: 15, in: 0.1...3600) * 1000)),
            concurrencyPerCarrier: try setting.int("tracking.concurrency_per_carrier", default: 4, in: 1...1024))
        trackingEnabled = try setting.bool("tracking.enabled", default: true)
        credentialsDirectory = inState(setting.string("tracking.credentials_directory", default: "credentials"))
        credentialPrefix = setting.string("tracking.credential_prefix", default: "")
        firstPollDelay = try setting.number("tracking.first_poll_delay_minutes", default: 60, in: 0...525600) * 60
        // 0, the default: every Idempotency-Key is kept for ever.
        let keyDays = try setting.int("returns.idempotency_keys_days", default: 0, in: 0...36500)
        // 0 turns the final check off; with tracking off there is nobody to ask.
        let finalCheckHours = try setting.number("timers.expiry_final_check_hours", default: 24, in: 0...8760)
        deadlines = ParcelDeadlineService.Configuration(
            interval: .seconds(try setting.int("timers.interval_seconds", default: 60, in: 1...86400)),
            arrivalUnconfirmedAfter: .seconds(Int(try setting.number("timers.arrival_unconfirmed_after_hours", default: 48, in: 0.01...87600) * 3600)),
            idempotencyKeysKeptFor: keyDays == 0 ? nil : .seconds(keyDays * 86400),
            expiryFinalCheckWait: trackingEnabled && finalCheckHours > 0 ? .seconds(Int(finalCheckHours * 3600)) : nil)
        parcelCountsInterval = .seconds(try setting.int("metrics.parcel_counts_interval_seconds", default: 60, in: 1...86400))
        inspectionOverdueAfter = .seconds(Int(try setting.number("metrics.inspection_overdue_days", default: ParcelCountsService.defaultInspectionOverdueDays, in: 0.01...365) * 86400))
        if !disputeWebhookURL.isEmpty {
            guard let u = URL(string: disputeWebhookURL), ["http", "https"].contains(u.scheme ?? ""), u.host != nil else {
                throw Invalid(description: "\(setting.origin("disputes.webhook_url")): \(disputeWebhookURL) is not an http(s) URL")
            }
        }
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw Invalid(description: "\(setting.origin("log.level")): \(logLevel) is not a level (trace, debug, info, notice, warning, error, critical)")
        }
        var modules: [String: Logger.Level] = [:]
        for module in LogLevels.modules {
            guard let raw = setting.string("log.levels.\(module)") else { continue }
            guard let l = Logger.Level(rawValue: raw) else { throw Invalid(description: "\(setting.origin("log.levels.\(module)")): \(raw) is not a level") }
            modules[module] = l
        }
        logLevels = (level, modules)
        logLinesPerSecond = try setting.int("log.lines_per_second", default: LogWriter.defaultLinesPerSecond, in: 0...10_000_000)
        settings = setting.values.byKey
        unknownEnvironmentVariables = Self.unknownVariables(in: environment, read: setting.read.keys)
        if let mapping { try Self.refuseUnknownKeys(file: file, mapping: mapping, read: setting.read.keys) }
    }

    /// What a reload puts in force (`ConfigReloadService`); every other setting keeps its
    /// value from the start until a restart.
    static let reloadedSettings: Set<String> = [
        "carriers.directory", "returns.window_days", "returns.faster_refund_days", "returns.max_items_per_request",
        "signing.key_file", "http.public_base_url", "log.level", "log.lines_per_second", "tracking.first_poll_delay_minutes",
    ]

    /// The settings whose value here differs from `running`'s and that a reload does not put in
    /// force (the HTTP address, the database, the notifier, poller and timers), by key: an
    /// operator who reloads after changing one is told it waits for a restart.
    public func settingsNeedingRestart(comparedTo running: ReturndConfiguration) -> [String] {
        Set(settings.keys).union(running.settings.keys).filter { key in
            !Self.reloadedSettings.contains(key) && !key.hasPrefix("log.levels.")
                && (settings[key] ?? "(default)") != (running.settings[key] ?? "(default)")
        }.sorted()
    }

    /// The variable that overrides `key`: `RETURND_HTTP_PORT` for `http.port`.
    static func variable(for key: String) -> String {
        "RETURND_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// See `unknownEnvironmentVariables`. A setting's variable is its key's (the mapping from a
    /// key is exact, though not back); `RETURND_CONFIG` names the file, and the open sections
    /// take any carrier id after their prefix.
    static func unknownVariables(in environment: [String: String], read: Set<String>) -> [YAMLUnknownKeys.Unknown] {
        let known = Set(read.map(variable(for:)))
        let openPrefixes = openSections.map { variable(for: $0) + "_" }
        let unknown = environment.keys.filter { name in
            name.hasPrefix("RETURND_") && name != "RETURND_CONFIG" && !known.contains(name) && !openPrefixes.contains { name.hasPrefix($0) }
        }.sorted()
        return unknown.enumerated().map { i, name in
            // As for the file's keys: suggestions for the first few, and not for absurd names.
            guard i < YAMLUnknownKeys.suggestionLimit, name.utf8.count <= 100 else { return YAMLUnknownKeys.Unknown(key: name, suggestion: nil) }
            let near = known.map { (YAMLUnknownKeys.editDistance($0, name), $0) }.min { $0 < $1 }
            return YAMLUnknownKeys.Unknown(key: name, suggestion: near.flatMap { $0.0 <= max(2, name.count / 8) ? $0.1 : nil })
        }
    }

    /// Sections whose keys are names returnd does not know in advance (carrier ids).
    static let openSections: Set<String> = ["carriers.endpoints", "carriers.token_endpoints"]

    /// A key in the file that returnd never reads is a misspelling or a setting of another
    /// version: refused, naming the closest key. Environment variables are not checked: their
    /// names map back to keys ambiguously.
    static func refuseUnknownKeys(file: String, mapping: Node.Mapping, read: Set<String>) throws {
        let unknown = YAMLUnknownKeys.find(in: mapping, read: read, open: openSections)
        guard !unknown.isEmpty else { return }
        throw Invalid(description: "\(file): \(YAMLUnknownKeys.describe(unknown, as: "a setting of returnd"))")
    }

    /// Reads a number or a switch: the default when the key is absent, a clear error when it is
    /// there but wrong. (ConfigReader's `default:` variants fall back to the default for a value
    /// that does not convert, so `http.port: eighty` would have run on 8080; and a finite
    /// range keeps `Int(seconds * 1000)` from trapping on `1e300` or `.nan`.)
    struct Setting {
        let config: ConfigReader
        let file: String
        let environment: [String: String]
        /// Every key read, so the file's other keys can be refused.
        let read = YAMLUnknownKeys.ReadKeys()
        /// What each key read held.
        let values = Values()

        final class Values { var byKey: [String: String] = [:] }

        /// Where a key's value came from, for a refusal: an operator reading the file would find
        /// another value there when a `RETURND_…` variable overrides it.
        func origin(_ key: String) -> String {
            let variable = ReturndConfiguration.variable(for: key)
            return environment[variable] != nil ? "\(variable) (in the environment, over \(key) in \(file))" : "\(file): \(key)"
        }

        func string(_ key: String) -> String? {
            read.keys.insert(key)
            let value = config.string(forKey: ConfigKey(key))
            values.byKey[key] = value ?? "(default)"
            return value
        }

        func string(_ key: String, default value: String) -> String { string(key) ?? value }

        func int(_ key: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
            guard let raw = string(key) else { return value }
            guard let n = config.int(forKey: ConfigKey(key)) else { throw Invalid(description: "\(origin(key)): \(raw) is not a whole number") }
            guard range.contains(n) else { throw Invalid(description: "\(origin(key)): \(n) is out of range; use \(range.lowerBound) to \(range.upperBound)") }
            return n
        }

        func number(_ key: String, default value: Double, in range: ClosedRange<Double>) throws -> Double {
            guard let raw = string(key) else { return value }
            guard let n = config.double(forKey: ConfigKey(key)) ?? config.int(forKey: ConfigKey(key)).map(Double.init) else {
                throw Invalid(description: "\(origin(key)): \(raw) is not a number")
            }
            guard n.isFinite, range.contains(n) else {
                // As a YAML file would hold them: no grouping commas, no ".0" on whole numbers.
                func plain(_ d: Double) -> String { d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d) }
                throw Invalid(description: "\(origin(key)): \(raw) is out of range; use \(plain(range.lowerBound)) to \(plain(range.upperBound))")
            }
            return n
        }

        func bool(_ key: String, default value: Bool) throws -> Bool {
            guard let raw = string(key) else { return value }
            guard let b = config.bool(forKey: ConfigKey(key)) else { throw Invalid(description: "\(origin(key)): \(raw) is not true or false") }
            return b
        }
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
