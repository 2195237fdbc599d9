import API
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Transport

@main
struct ReturndCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "returnd",
        abstract: "The free-return logistics daemon: labels, tracking, warehouse receipts, dispute updates.",
        discussion: "SIGHUP reloads the configuration and carrier files; SIGTERM stops gracefully. Under systemd it speaks sd_notify (READY, WATCHDOG, STATUS, STOPPING).",
        version: "returnd " + ReturndVersion.line)

    @Option(name: .long, help: "Configuration file (YAML). Default: $RETURND_CONFIG or config/returnd.yaml.")
    var config: String = ProcessInfo.processInfo.environment["RETURND_CONFIG"] ?? "config/returnd.yaml"

    func run() async throws {
        let settings: ReturndConfiguration
        do { settings = try await ReturndConfiguration.load(file: config) } catch {
            LogWriter.standardError.append(KeyValueLogHandler.line(level: .error, module: "returnd", message: "config.invalid", metadata: ["error": "\(error)"]), level: .error)
            throw ExitCode.failure
        }
        let levels = LogLevels(settings.logLevels)
        LogWriter.standardError.setLinesPerSecond(settings.logLinesPerSecond)
        ReturndBootstrap.bootstrapLogging(levels)
        let logger = Logger(label: "returnd")
        // Before anything can fail on what a misspelt variable left at its default.
        let unknownVariables = settings.unknownEnvironmentVariables
        if !unknownVariables.isEmpty {
            logger.warning("config.unknown_environment", metadata: [
                "variables": "\(unknownVariables.map(\.key).joined(separator: ","))",
                "suggestions": "\(unknownVariables.compactMap { u in u.suggestion.map { "\(u.key): did you mean \($0)?" } }.joined(separator: "; "))",
                "hint": "no setting of returnd has these names, so they change nothing; a setting's variable is RETURND_ and its key in capitals, dots as underscores (http.port: RETURND_HTTP_PORT)",
            ])
        }
        let fileLimit = FileDescriptorLimit.raise()
        let runtime: ReturndRuntime
        let background: [any Service]
        let transport = HTTPTransport()
        do {
            runtime = try await ReturndBootstrap.runtime(settings, logger: logger, waitForDatabase: settings.databaseStartupWait)
            background = try ReturndBootstrap.backgroundServices(settings, runtime: runtime, transport: transport, logger: logger)
        } catch {
            logger.critical("startup.failed", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        logger.info("startup.configured", metadata: [
            "version": "\(ReturndVersion.line)",
            "host": "\(settings.httpHost)", "port": "\(settings.httpPort)", "database": "\(ReturndBootstrap.redactedDatabaseURL(settings.databaseURL))",
            "carriers": "\(runtime.snapshot.catalog.services.count)",
        ])
        let maxConnections = ConnectionCap(ReturndBootstrap.maxConnections(settings, fileLimit: fileLimit, carriers: runtime.snapshot.catalog.services.count, logger: logger))
        let notifier = SystemdNotifier()
        let app = buildApplication(runtime: runtime, host: settings.httpHost, port: settings.httpPort, maxBodyBytes: settings.maxRequestBodyBytes, idleTimeout: settings.idleTimeout, requestHeadTimeout: settings.requestHeadTimeout, requestBodyTimeout: settings.requestBodyTimeout, maxConnections: maxConnections, notifier: notifier)
        // The HTTP, poller and notifier settings stay as started; the carriers a reload brings
        // change the files they need, and so the connections left room for.
        let reload = ConfigReloadService(configFile: config, runtime: runtime, logLevels: levels, started: settings, carriersReloaded: { carriers in
            maxConnections.set(ReturndBootstrap.maxConnections(settings, fileLimit: fileLimit, carriers: carriers, logger: logger))
        }, logger: logger)
        let lifecycle = SystemdLifecycleService(notifier: notifier, runtime: runtime, drain: settings.shutdownDrain, logger: logger)
        // Started in order, stopped in reverse: the lifecycle service hears of shutdown first
        // (STOPPING=1), then HTTP stops taking requests and finishes those in flight, then the
        // workers finish their current step, and the transport closes last.
        var groupConfiguration = ServiceGroupConfiguration(
            services: (background + [reload, app, lifecycle]).map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = settings.shutdownTimeout
        let group = ServiceGroup(configuration: groupConfiguration)
        do { try await group.run() } catch {
            // The group has stopped every service; the store still closes (its WAL folded in).
            try? await runtime.store.close()
            logger.critical("service.failed", metadata: ["error": "\(ReturndBootstrap.failureDescription(error, host: settings.httpHost, port: settings.httpPort))"])
            throw ExitCode.failure
        }
        // Everything that used the store has stopped; PostgreSQL connections close cleanly.
        try? await runtime.store.close()
        logger.notice("shutdown.complete")
    }
}
