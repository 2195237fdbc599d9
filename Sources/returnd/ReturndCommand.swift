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
        abstract: "The free-return logistics daemon: labels, tracking, warehouse receipts, dispute updates.")

    @Option(name: .long, help: "Configuration file (YAML). Default: $RETURND_CONFIG or config/returnd.yaml.")
    var config: String = ProcessInfo.processInfo.environment["RETURND_CONFIG"] ?? "config/returnd.yaml"

    func run() async throws {
        let settings: ReturndConfiguration
        do { settings = try await ReturndConfiguration.load(file: config) } catch {
            FileHandle.standardError.write(Data("<3>config.invalid error=\"\(error)\"\n".utf8))
            throw ExitCode.failure
        }
        ReturndBootstrap.bootstrapLogging(level: settings.logLevel)
        let logger = Logger(label: "returnd")
        let runtime: ReturndRuntime
        do { runtime = try await ReturndBootstrap.runtime(settings, logger: logger) } catch {
            logger.critical("startup.failed", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        logger.notice("startup.ready", metadata: [
            "host": "\(settings.httpHost)", "port": "\(settings.httpPort)", "database": "\(settings.databaseURL)",
            "carriers": "\(runtime.snapshot.catalog.services.count)",
        ])
        let transport = HTTPTransport()
        let background: [any Service]
        do { background = try ReturndBootstrap.backgroundServices(settings, runtime: runtime, transport: transport, logger: logger) } catch {
            logger.critical("startup.failed", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
        let app = buildApplication(runtime: runtime, host: settings.httpHost, port: settings.httpPort, maxBodyBytes: settings.maxRequestBodyBytes)
        // Started in order, stopped in reverse: HTTP stops taking requests first, the transport closes last.
        let group = ServiceGroup(
            configuration: .init(services: (background + [app]).map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("shutdown.complete")
    }
}
