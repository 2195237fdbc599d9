@testable import API
import Foundation
import Logging
import Testing

@Suite("SIGHUP and the log")
struct ConfigReloadLogTests {
    @Test("a reload puts the new log.lines_per_second in force at once")
    func linesPerSecondReloaded() async throws {
        let h = try await TestHarness()
        defer { h.cleanUp() }
        let file = h.directory.appendingPathComponent("returnd.yaml").path
        try """
            carriers:
              directory: \(Repository.root.appendingPathComponent("carriers").path)
            signing:
              key_file: \(h.directory.appendingPathComponent("signing.keys").path)
            log:
              lines_per_second: 3
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let writer = LogWriter(descriptor: -1, linesPerSecond: 1000)
        let reload = ConfigReloadService(configFile: file, runtime: h.runtime, logLevels: LogLevels((default: .info, modules: [:])), logWriter: writer, logger: Logger(label: "test"))
        await reload.reload()
        // A full budget of the new rate: three lines below warning, then none this second.
        #expect((0..<10).filter { _ in writer.admits(.info) }.count == 3)
        #expect(writer.dropped.rate == 7)
    }
}
