import Carriers
import Foundation
import Logging
import NIOCore
import ReturnsCore
import ServiceLifecycle
import Store
import Transport
import Disputes
import Tracking

/// Builds what both executables need from the configuration: store, carriers, signing keys.
public enum ReturndBootstrap {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The store, migrated. `waitForDatabase`: how long a PostgreSQL server that cannot be reached
    /// is waited for (returnd at start, `database.startup_wait_seconds`), trying again with backoff.
    /// Before, returnd gave up at once, and with `Restart=on-failure` after 2 s systemd's start
    /// limit (5 starts in 10 s) left it down for good after a database outage of 10 s at boot.
    public static func openStore(_ config: ReturndConfiguration, logger: Logger, waitForDatabase: Duration = .zero) async throws -> any ReturnStore {
        let store = try openStore(url: config.databaseURL, logger: logger)
        let deadline = ContinuousClock.now + waitForDatabase
        var delay = Duration.milliseconds(500)
        var attempt = 1
        while true {
            do {
                try await store.migrate()
                return store
            } catch StoreError.unavailable(let why) where PostgresSettings.isPostgresURL(config.databaseURL) && ContinuousClock.now + delay < deadline {
                logger.warning("store.unreachable", metadata: [
                    "error": "\(why)", "attempt": "\(attempt)", "retry_in_s": "\(delay.components.seconds).\(delay.components.attoseconds / 100_000_000_000_000_000)",
                    "gives_up_in_s": "\((deadline - ContinuousClock.now).components.seconds)", "setting": "database.startup_wait_seconds",
                ])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
                attempt += 1
            } catch {
                try? await store.close()
                throw error
            }
        }
    }

    /// A SQLite path (or `sqlite://path`) or a `postgres://` URL; not yet migrated.
    public static func openStore(url: String, logger: Logger) throws -> SQLReturnStore {
        if let why = unsupportedURL(url) { throw Failure(description: "database URL: \(why)") }
        if PostgresSettings.isPostgresURL(url) {
            let settings = try PostgresSettings(url: url)
            return SQLReturnStore(backend: try PostgresBackend(settings: settings, logger: logger), logger: logger)
        }
        return try SQLReturnStore.sqlite(path: sqlitePath(url)!, logger: logger)
    }

    /// Why a database URL names no store returnd knows (`mysql://…`, a typo'd scheme), or nil.
    /// Such a URL would otherwise be taken as a SQLite path and open a new, empty store there. The
    /// URL itself is not repeated: it may hold a password.
    public static func unsupportedURL(_ url: String) -> String? {
        guard let range = url.range(of: "://"), !PostgresSettings.isPostgresURL(url), !url.hasPrefix("sqlite://") else { return nil }
        return "a \(url[..<range.lowerBound].prefix(20)):// URL is not a store returnd knows; give a SQLite path (or sqlite://path) or postgres://user:password@host:port/dbname"
    }

    /// The file of a SQLite database URL; nil for PostgreSQL.
    public static func sqlitePath(_ url: String) -> String? {
        if PostgresSettings.isPostgresURL(url) { return nil }
        return url.hasPrefix("sqlite://") ? String(url.dropFirst("sqlite://".count)) : url
    }

    /// Why the daemon stopped, for its last log line. Listening fails with a bare system call
    /// error; this names the address and the setting an operator changes.
    public static func failureDescription(_ error: any Error, host: String, port: Int) -> String {
        guard let io = error as? IOError else { return "\(error)" }
        switch io.errnoCode {
        case EADDRINUSE: return "\(host):\(port) is already in use (another returnd running? http.port sets the port)"
        case EACCES: return "not allowed to listen on \(host):\(port) (a port below 1024 needs CAP_NET_BIND_SERVICE)"
        case EADDRNOTAVAIL: return "\(host) is not an address of this machine (http.host)"
        default: return "\(error)"
        }
    }

    /// The database URL as it may appear in a log line (no password).
    public static func redactedDatabaseURL(_ url: String) -> String {
        PostgresSettings.isPostgresURL(url) ? PostgresSettings.redacted(url) : url
    }

    /// The carrier files of `directory` (default `carriers.directory`), read once, with the
    /// configuration's endpoint overrides for the ids found there.
    public static func loadCarriers(_ config: ReturndConfiguration, directory: String? = nil) throws(CarrierCatalogErrors) -> CarrierCatalog {
        let files = try CarrierCatalog.load(directory: directory ?? config.carriersDirectory)
        let ids = files.services.map(\.id)
        return try files.applying(endpointOverrides: config.endpointOverrides(for: ids), tokenEndpointOverrides: config.tokenEndpointOverrides(for: ids))
    }

    /// Reads the QR signing keys; on first start creates the file with one random key (0600),
    /// so the quick start needs no manual step.
    public static func loadSigner(_ config: ReturndConfiguration, logger: Logger) throws -> ReturnPayloadSigner {
        let path = config.signingKeyFile
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            do {
                try TextFile.create(path, holding: ReturnPayloadSigner.newKeyFile(), mode: 0o600)
                logger.notice("signing.key_created", metadata: ["file": "\(path)"])
            } catch {
                // Another instance sharing the folder made it meanwhile: its key is the one to use.
                guard FileManager.default.fileExists(atPath: path) else { throw Failure(description: "signing.key_file: \(error)") }
            }
        }
        let text: String
        do { text = try TextFile.read(path) } catch {
            throw Failure(description: "signing.key_file: \(error)")
        }
        do { return try ReturnPayloadSigner(keyFile: text) } catch {
            throw Failure(description: "signing.key_file: \(path) must hold lines of `KEYID base64-secret` (KEYID: 1-8 capitals or digits, secret at least 16 bytes)")
        }
    }

    /// Reads the dispute webhook secret(s); creates the file with a random secret on first start.
    public static func loadWebhookSigner(_ config: ReturndConfiguration, logger: Logger) throws -> WebhookSigner {
        let path = config.disputeSecretFile
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            do {
                try TextFile.create(path, holding: WebhookSigner.newSecretFile(), mode: 0o600)
                logger.notice("disputes.secret_created", metadata: ["file": "\(path)"])
            } catch {
                guard FileManager.default.fileExists(atPath: path) else { throw Failure(description: "disputes.secret_file: \(error)") }
            }
        }
        let text: String
        do { text = try TextFile.read(path) } catch {
            throw Failure(description: "disputes.secret_file: \(error)")
        }
        do { return try WebhookSigner(secretFile: text) } catch {
            throw Failure(description: "disputes.secret_file: \(path): \(error)")
        }
    }

    /// The background services in start order; the service group stops them in reverse.
    public static func backgroundServices(_ config: ReturndConfiguration, runtime: ReturndRuntime, transport: HTTPTransport, logger: Logger) throws -> [any Service] {
        var services: [any Service] = [transport]
        if config.disputeWebhookURL.isEmpty {
            logger.warning("outbox.no_webhook", metadata: ["hint": "set disputes.webhook_url; dispute events wait in the outbox until then"])
        } else {
            let notifier = DisputeNotifierService(
                store: runtime.store, transport: transport, signer: try loadWebhookSigner(config, logger: logger),
                configuration: config.notifier, logger: Logger(label: "returnd.disputes"), metrics: runtime.metrics.registry)
            runtime.disputeNotifier = notifier
            services.append(notifier)
        }
        if config.trackingEnabled {
            warnOfUnreadableCredentials(config, catalog: runtime.snapshot.catalog, logger: logger)
            let poller = trackingPoller(config, runtime: runtime, transport: transport)
            runtime.trackingPoller = poller
            services.append(poller)
        }
        services.append(ParcelDeadlineService(store: runtime.store, configuration: config.deadlines, logger: Logger(label: "returnd.timers"), metrics: runtime.metrics.registry))
        services.append(ParcelCountsService(runtime: runtime, interval: config.parcelCountsInterval, inspectionOverdueAfter: config.inspectionOverdueAfter, logger: Logger(label: "returnd.main")))
        return services
    }

    /// One warning naming every carrier whose credential file is missing or unusable: their
    /// parcels are not tracked until it is there. Said at start and at each reload.
    public static func warnOfUnreadableCredentials(_ config: ReturndConfiguration, catalog: CarrierCatalog, logger: Logger) {
        let credentials = CarrierCredentials(directory: config.credentialsDirectory, prefix: config.credentialPrefix)
        let unreadable = credentials.unreadable(in: catalog)
        guard !unreadable.isEmpty else { return }
        logger.warning("tracking.credentials_unreadable", metadata: [
            "carriers": "\(unreadable.map(\.carrierID).joined(separator: ","))",
            "errors": "\(unreadable.map { "\($0.carrierID): \($0.problem)" }.joined(separator: "; "))",
            "hint": "their parcels are not tracked until the files are there (read at each polling pass); kiosk drop-offs and warehouse scans still move them",
        ])
    }

    public static func trackingPoller(_ config: ReturndConfiguration, runtime: ReturndRuntime, transport: HTTPTransport) -> TrackingPollerService {
        TrackingPollerService(
            store: runtime.store, transport: transport, catalog: { runtime.snapshot.catalog },
            credentials: CarrierCredentials(directory: config.credentialsDirectory, prefix: config.credentialPrefix), configuration: config.tracking,
            logger: Logger(label: "returnd.tracking"), metrics: runtime.metrics.registry)
    }

    /// `waitForDatabase`: see `openStore`; returnctl does not wait.
    public static func runtime(_ config: ReturndConfiguration, logger: Logger, waitForDatabase: Duration = .zero) async throws -> ReturndRuntime {
        let catalog = try loadCarriers(config)
        let signer = try loadSigner(config, logger: logger)
        let store = try await openStore(config, logger: logger, waitForDatabase: waitForDatabase)
        return ReturndRuntime(
            store: store,
            snapshot: .init(catalog: catalog, policy: config.policy, signer: signer, publicBaseURL: config.publicBaseURL, firstPollDelay: config.firstPollDelay),
            logger: logger)
    }

    /// `http.max_connections`, or fewer if the open files limit has no room for them beside what
    /// the store, the carriers and the dispute deliveries need; said at start and at each reload
    /// that leaves it capped.
    public static func maxConnections(_ config: ReturndConfiguration, fileLimit: Int, carriers: Int, logger: Logger) -> Int {
        let reserve = FileDescriptorLimit.reserve(carriers: carriers, concurrencyPerCarrier: config.tracking.concurrencyPerCarrier, disputeConcurrency: config.notifier.concurrency)
        let connections = FileDescriptorLimit.connections(configured: config.maxConnections, limit: fileLimit, reserve: reserve)
        if connections < config.maxConnections {
            logger.warning("http.max_connections_capped", metadata: [
                "configured": "\(config.maxConnections)", "limit": "\(connections)", "open_files_limit": "\(fileLimit)", "reserved": "\(reserve)",
                "action": "raise the open files limit (LimitNOFILE= in the unit, or the hard limit) or lower http.max_connections",
            ])
        }
        return connections
    }

    public static func bootstrapLogging(_ levels: LogLevels, writer: LogWriter = .standardError) {
        LoggingSystem.bootstrap { label in KeyValueLogHandler(label: label, levels: levels, writer: writer) }
    }
}
