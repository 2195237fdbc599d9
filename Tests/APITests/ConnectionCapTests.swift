@testable import API
import Foundation
import HTTPTypes
import LogCapture
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization
import Testing

@Suite("The connections returnd holds at most")
struct ConnectionCapTests {
    @Test("a connection past the cap in force is answered 503; once a reload raises the cap the next one is let in")
    func capInForce() throws {
        let log = CapturedLog(), metrics = ReturndMetrics()
        let cap = ConnectionCap(1)
        let gauge = ConnectionGauge(cap: cap, logger: log.logger(label: "returnd"), metrics: metrics)
        let connect = { try UnreadableRequestTests.Connection(gauge: gauge, log: log, metrics: metrics) }
        func sendHealthz(_ c: UnreadableRequestTests.Connection) throws -> (passedOn: Bool, answer: String) {
            try c.channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
            let head = try c.channel.readInbound(as: HTTPRequestPart.self)
            return (head != nil, try c.answer())
        }
        let first = try connect()
        #expect(try sendHealthz(first).passedOn)
        let second = try sendHealthz(try connect())
        #expect(!second.passedOn && second.answer.hasPrefix("HTTP/1.1 503 "), "\(second.answer)")
        cap.set(3)
        #expect(try sendHealthz(try connect()).passedOn)
    }

    @Test("a reload works the cap out again for the carriers it loaded")
    func reloadTellsCarriers() async throws {
        let h = try await TestHarness()
        defer { h.cleanUp() }
        let carriers = h.directory.appendingPathComponent("carriers")
        try FileManager.default.createDirectory(at: carriers, withIntermediateDirectories: true)
        for name in ["fr_colissimo.yaml", "de_dhl.yaml"] {
            try FileManager.default.copyItem(at: Repository.root.appendingPathComponent("carriers/\(name)"), to: carriers.appendingPathComponent(name))
        }
        let file = h.directory.appendingPathComponent("returnd.yaml").path
        try """
            carriers:
              directory: \(carriers.path)
            signing:
              key_file: \(h.directory.appendingPathComponent("signing.keys").path)
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let reloaded = Mutex<[Int]>([])
        let reload = ConfigReloadService(configFile: file, runtime: h.runtime, logLevels: LogLevels((default: .info, modules: [:])),
                                         logWriter: LogWriter(descriptor: -1, linesPerSecond: 1000), carriersReloaded: { n in reloaded.withLock { $0.append(n) } },
                                         logger: Logger(label: "test"))
        await reload.reload()
        #expect(reloaded.withLock { $0 } == [2])
        // Past the open files the carriers need, the cap comes down with their number, and says so.
        let config = try await ReturndConfiguration.load(file: file, environment: [:])
        let capLog = CapturedLog()
        let few = ReturndBootstrap.maxConnections(config, fileLimit: 1400, carriers: 2, logger: capLog.logger(label: "returnd"))
        let many = ReturndBootstrap.maxConnections(config, fileLimit: 1400, carriers: 30, logger: capLog.logger(label: "returnd"))
        #expect(many < few && few <= config.maxConnections, "\(few) \(many)")
        #expect(capLog.lines("http.max_connections_capped").last?.metadata["limit"] == "\(many)")
    }
}
