import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP (`systemctl reload returnd`) re-reads the configuration file, the carrier files and
/// the signing keys, and swaps them in at once. Anything invalid is refused with a log line
/// naming the file and field, and the configuration in force stays.
public final class ConfigReloadService: Service, Sendable {
    let configFile: String
    let runtime: ReturndRuntime
    let logLevels: LogLevels
    /// Takes the reloaded `log.lines_per_second`.
    let logWriter: LogWriter
    /// Takes the number of carriers reloaded: each needs files of its own for its requests,
    /// which leaves fewer for connections (`ConnectionCap`).
    let carriersReloaded: @Sendable (Int) -> Void
    let logger: Logger

    public init(configFile: String, runtime: ReturndRuntime, logLevels: LogLevels, logWriter: LogWriter = .standardError,
                carriersReloaded: @escaping @Sendable (Int) -> Void = { _ in }, logger: Logger) {
        self.configFile = configFile
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
        } catch {
            logger.error("config.reload_failed", metadata: ["error": "\(error)", "kept": "previous configuration"])
        }
    }
}
