import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP (`systemctl reload returnd`) re-reads the configuration file, the carrier files and
/// the signing keys, and swaps them in at once. Anything invalid is refused with a log line
/// naming the file and field, and the configuration in force stays. A changed setting that only
/// a restart puts in force is named in a warning, so that "reloaded" is not taken to cover it.
public final class ConfigReloadService: Service, Sendable {
    let configFile: String
    /// The configuration returnd started with: what the settings a reload leaves alone hold.
    let started: ReturndConfiguration?
    let runtime: ReturndRuntime
    let logLevels: LogLevels
    /// Takes the reloaded `log.lines_per_second`.
    let logWriter: LogWriter
    /// Takes the number of carriers reloaded: each needs files of its own for its requests,
    /// which leaves fewer for connections (`ConnectionCap`).
    let carriersReloaded: @Sendable (Int) -> Void
    let logger: Logger

    public init(configFile: String, runtime: ReturndRuntime, logLevels: LogLevels, logWriter: LogWriter = .standardError,
                started: ReturndConfiguration? = nil, carriersReloaded: @escaping @Sendable (Int) -> Void = { _ in }, logger: Logger) {
        self.configFile = configFile
        self.started = started
        self.runtime = runtime
        self.logLevels = logLevels
        self.logWriter = logWriter
        self.carriersReloaded = carriersReloaded
        self.logger = logger
    }

    public func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            await reload()
        }
    }

    /// Loads everything first; replaces nothing unless all of it is valid.
    public func reload() async {
        do {
            let config = try await ReturndConfiguration.load(file: configFile)
            let catalog = try ReturndBootstrap.loadCarriers(config)
            let signer = try ReturndBootstrap.loadSigner(config, logger: logger)
            runtime.replace(.init(catalog: catalog, policy: config.policy, signer: signer, publicBaseURL: config.publicBaseURL, firstPollDelay: config.firstPollDelay))
            logLevels.update(config.logLevels)
            logWriter.setLinesPerSecond(config.logLinesPerSecond)
            carriersReloaded(catalog.services.count)
            logger.notice("config.reloaded", metadata: ["file": "\(configFile)", "carriers": "\(catalog.services.count)"])
            // The poller reads credentials where it started reading them (a restart setting).
            let polling = started ?? config
            if polling.trackingEnabled { ReturndBootstrap.warnOfUnreadableCredentials(polling, catalog: catalog, logger: logger) }
            if let started, case let waiting = config.settingsNeedingRestart(comparedTo: started), !waiting.isEmpty {
                logger.warning("config.restart_needed", metadata: [
                    "settings": "\(waiting.joined(separator: ", "))",
                    "action": "systemctl restart returnd puts them in force; until then they keep the values returnd started with",
                ])
            }
        } catch {
            logger.error("config.reload_failed", metadata: ["error": "\(error)", "kept": "previous configuration"])
        }
    }
}
