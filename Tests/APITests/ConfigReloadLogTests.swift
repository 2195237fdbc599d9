@testable import API
import Foundation
import LogCapture
import Logging
import Testing

@Suite("SIGHUP and the log")
struct ConfigReloadLogTests {
    /// Writes the harness's configuration file: the repository's carriers, the harness's signing
    /// keys, and `extra` (YAML at the top level). Answers its path.
    @discardableResult
    func writeConfig(_ h: TestHarness, _ extra: String) throws -> String {
        let file = h.directory.appendingPathComponent("returnd.yaml").path
        try """
            carriers:
              directory: \(Repository.root.appendingPathComponent("carriers").path)
            signing:
              key_file: \(h.directory.appendingPathComponent("signing.keys").path)
            \(extra)
            """.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test("a reload puts the new log.lines_per_second in force at once")
    func linesPerSecondReloaded() async throws {
        let h = try await TestHarness()
        defer { h.cleanUp() }
        let file = try writeConfig(h, "log:\n  lines_per_second: 3")
        let writer = LogWriter(descriptor: -1, linesPerSecond: 1000)
        let reload = ConfigReloadService(configFile: file, runtime: h.runtime, logLevels: LogLevels((default: .info, modules: [:])), logWriter: writer, logger: Logger(label: "test"))
        await reload.reload()
        // A full budget of the new rate: three lines below warning, then none this second.
        #expect((0..<10).filter { _ in writer.admits(.info) }.count == 3)
        #expect(writer.dropped.rate == 7)
    }

    /// `config.reloaded` alone read as if every change was in force: a new timer or port setting
    /// waits for a restart, and the operator who reloaded was not told.
    @Test("a reload names the changed settings that wait for a restart (timers, HTTP, the notifier), not those it puts in force; none changed, no warning")
    func restartNeededNamed() async throws {
        let h = try await TestHarness()
        defer { h.cleanUp() }
        let file = try writeConfig(h, "returns:\n  window_days: 15\ntimers:\n  arrival_unconfirmed_after_hours: 48")
        let started = try await ReturndConfiguration.load(file: file)
        let log = CapturedLog()
        let reload = ConfigReloadService(configFile: file, runtime: h.runtime, logLevels: LogLevels((default: .info, modules: [:])),
                                         logWriter: LogWriter(descriptor: -1, linesPerSecond: 1000), started: started, logger: log.logger())
        // Only what a reload puts in force: the return window, a module's log level.
        try writeConfig(h, "returns:\n  window_days: 20\ntimers:\n  arrival_unconfirmed_after_hours: 48\nlog:\n  levels:\n    store: debug")
        await reload.reload()
        #expect(log.lines("config.reloaded").count == 1)
        #expect(log.lines("config.restart_needed").isEmpty)
        #expect(h.runtime.snapshot.policy.windowDays == 20)
        // A timer's hours, the port (set where it was unset) and the notifier's concurrency.
        try writeConfig(h, "returns:\n  window_days: 20\ntimers:\n  arrival_unconfirmed_after_hours: 24\nhttp:\n  port: 9090\ndisputes:\n  concurrency: 4")
        await reload.reload()
        let warning = try #require(log.lines("config.restart_needed").first)
        #expect(warning.level == .warning)
        #expect(warning.metadata["settings"] == "disputes.concurrency, http.port, timers.arrival_unconfirmed_after_hours")
        // Back to the values it started with: nothing waits any more.
        try writeConfig(h, "returns:\n  window_days: 20\ntimers:\n  arrival_unconfirmed_after_hours: 48")
        await reload.reload()
        #expect(log.lines("config.restart_needed").count == 1)
        #expect(log.lines("config.reloaded").count == 3)
    }

    /// A credential file missing (a name misspelt in the unit, a file not copied) was found only
    /// at the carrier's first due poll, an hour or more after its first label.
    @Test("a reload names the carriers whose credential file is missing, in one warning; with the files there, none")
    func unreadableCredentialsNamed() async throws {
        let h = try await TestHarness()
        defer { h.cleanUp() }
        let folder = h.directory.appendingPathComponent("credentials")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = try writeConfig(h, "tracking:\n  credentials_directory: \(folder.path)")
        let started = try await ReturndConfiguration.load(file: file)
        let log = CapturedLog()
        let reload = ConfigReloadService(configFile: file, runtime: h.runtime, logLevels: LogLevels((default: .info, modules: [:])),
                                         logWriter: LogWriter(descriptor: -1, linesPerSecond: 1000), started: started, logger: log.logger())
        await reload.reload()
        let warning = try #require(log.lines("tracking.credentials_unreadable").first)
        #expect(warning.level == .warning)
        let named = Set((warning.metadata["carriers"] ?? "").split(separator: ",").map(String.init))
        let needing = h.runtime.snapshot.catalog.services.filter { $0.tracking.authStyle != .none }
        #expect(!needing.isEmpty && named == Set(needing.map(\.id)))
        #expect(warning.metadata["errors"]?.contains("not found in \(folder.path)") == true)

        for service in needing {
            try "id:secret".write(to: folder.appendingPathComponent(service.tracking.credential!), atomically: true, encoding: .utf8)
        }
        await reload.reload()
        #expect(log.lines("tracking.credentials_unreadable").count == 1)
        #expect(log.lines("config.reloaded").count == 2)
    }
}
