@testable import API
import Dispatch
import Foundation
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// The log writer on real pipes: a reader that stalls, one that goes away, and one that keeps up
/// with more lines than `log.lines_per_second`.
@Suite("Log lines: never waited for, bounded, and what is left out is counted and said")
struct LogWriterTests {
    /// A pipe's read and write ends.
    static func pipe() -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        precondition(Glibc.pipe(&fds) == 0)
        return (fds[0], fds[1])
    }

    /// Reads a descriptor to its end on a thread of its own; `text()` waits for the end.
    final class PipeReader: Sendable {
        private let done = DispatchSemaphore(value: 0)
        private let bytes = Mutex<[UInt8]>([])

        init(_ descriptor: Int32) {
            Thread { [self] in
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let n = read(descriptor, &buffer, buffer.count)
                    if n <= 0 { break }
                    bytes.withLock { $0.append(contentsOf: buffer[0..<n]) }
                }
                close(descriptor)
                done.signal()
            }.start()
        }

        func lines(within seconds: Double = 10) -> [String]? {
            guard done.wait(timeout: .now() + seconds) == .success else { return nil }
            return String(decoding: bytes.withLock { $0 }, as: UTF8.self).split(separator: "\n").map(String.init)
        }
    }

    /// Runs `body` on a thread of its own: whether it ended within `seconds` (a blocked write
    /// would hold it for ever).
    static func ends(within seconds: Double, _ body: @escaping @Sendable () -> Void) -> Bool {
        let done = DispatchSemaphore(value: 0)
        Thread { body(); done.signal() }.start()
        return done.wait(timeout: .now() + seconds) == .success
    }

    static func value(_ key: String, in line: String) -> Int? {
        line.split(separator: " ").first { $0.hasPrefix("\(key)=") }.flatMap { Int($0.dropFirst(key.count + 1)) }
    }

    @Test("a reader that stops reading holds up no caller; lines past the backlog are left out, warnings keep their room, and the count is said once it reads again")
    func stalledReader() throws {
        let (r, w) = Self.pipe()
        let writer = LogWriter(descriptor: w, capacity: 16 * 1024, linesPerSecond: 0)
        let logger = Logger(label: "returnd.http") { KeyValueLogHandler(label: $0, levels: LogLevels((default: .info, modules: [:])), writer: writer) }
        // 2,000 lines of about 200 bytes: six times what the pipe (64 KiB) and the backlog hold.
        let logged = Self.ends(within: 30) {
            for i in 0..<2000 { logger.info("http.request", metadata: ["n": "\(i)", "pad": "\(String(repeating: "x", count: 150))"]) }
            for i in 0..<5 { logger.warning("store.unavailable", metadata: ["n": "\(i)"]) }
        }
        #expect(logged, "a log call waited for the stalled reader")
        let reader = PipeReader(r)
        #expect(writer.flush(within: .seconds(30)))
        close(w)
        let lines = try #require(reader.lines())
        let requests = lines.filter { $0.hasPrefix("<6>http.request ") }.compactMap { Self.value("n", in: $0) }
        let dropped = writer.dropped
        #expect(dropped.backlog > 0)
        #expect(requests.count + dropped.backlog == 2000, "\(requests.count) written, \(dropped.backlog) counted as left out")
        #expect(requests == requests.sorted() && Set(requests).count == requests.count, "lines out of order or twice")
        // Warnings may use the whole backlog, request lines three quarters of it.
        #expect(lines.filter { $0.hasPrefix("<4>store.unavailable ") }.compactMap { Self.value("n", in: $0) } == [0, 1, 2, 3, 4])
        // At most one report a second; the last one after the last line left out.
        let reports = lines.filter { $0.hasPrefix("<4>log.lines_dropped ") }
        #expect(lines.last?.hasPrefix("<4>log.lines_dropped ") == true, "\(lines.suffix(2))")
        #expect(reports.compactMap { Self.value("backlog", in: $0) }.reduce(0, +) == dropped.backlog, "\(reports)")
        #expect(reports.allSatisfy { Self.value("rate", in: $0) == 0 && Self.value("write_failed", in: $0) == 0 })
    }

    @Test("a reader that went away (EPIPE) loses its lines, counted, and the process goes on")
    func readerGone() {
        let (r, w) = Self.pipe()
        close(r)
        defer { close(w) }
        let writer = LogWriter(descriptor: w, linesPerSecond: 0)
        for i in 0..<50 { writer.append(KeyValueLogHandler.line(level: .info, module: "returnd", message: "http.request", metadata: ["n": "\(i)"]), level: .info) }
        #expect(writer.flush(within: .seconds(10)))
        // No report is tried while writes fail: the count is what says they were lost.
        #expect(writer.dropped == LogWriter.Dropped(writeFailed: 50))
    }

    @Test("past log.lines_per_second lines are left out, warnings within a budget of their own, and the reports add up to the count")
    func linesPerSecond() throws {
        let (r, w) = Self.pipe()
        let reader = PipeReader(r)
        let writer = LogWriter(descriptor: w, linesPerSecond: 20)
        let logger = Logger(label: "returnd") { KeyValueLogHandler(label: $0, levels: LogLevels((default: .info, modules: [:])), writer: writer) }
        let started = ContinuousClock.now
        for i in 0..<200 {
            logger.info("http.request", metadata: ["n": "\(i)"])
            logger.error("http.request", metadata: ["n": "\(i)"])
        }
        let elapsed = ContinuousClock.now - started
        // Waits for the last report too, due at most a second after the one before.
        #expect(writer.flush(within: .seconds(10)))
        close(w)
        let lines = try #require(reader.lines())
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let most = 20 + Int((seconds * 20).rounded(.up))
        let infos = lines.filter { $0.hasPrefix("<6>http.request ") }.count
        let errors = lines.filter { $0.hasPrefix("<3>http.request ") }.count
        // Each kind has its own 20: 200 request lines before each error did not use them up.
        #expect((20...most).contains(infos), "\(infos) info lines in \(seconds) s")
        #expect((20...most).contains(errors), "\(errors) error lines in \(seconds) s")
        #expect(writer.dropped.rate == 400 - infos - errors)
        let reports = lines.filter { $0.hasPrefix("<4>log.lines_dropped ") }
        #expect(!reports.isEmpty)
        #expect(reports.compactMap { Self.value("rate", in: $0) }.reduce(0, +) == writer.dropped.rate, "\(reports)")
        #expect(reports.allSatisfy { Self.value("lines_per_second", in: $0) == 20 }, "\(reports)")
    }

    @Test("synchronous (returnctl): a line is in the pipe when append returns, and a failed write is counted")
    func synchronous() {
        let (r, w) = Self.pipe()
        let writer = LogWriter(descriptor: w, linesPerSecond: 0, synchronous: true)
        writer.append("<4>carrier.poll_failed level=warning\n", level: .warning)
        var buffer = [UInt8](repeating: 0, count: 256)
        // Non-blocking: the line must already be there.
        _ = fcntl(r, F_SETFL, O_NONBLOCK)
        let n = read(r, &buffer, buffer.count)
        #expect(n > 0 && String(decoding: buffer[0..<max(0, n)], as: UTF8.self) == "<4>carrier.poll_failed level=warning\n")
        close(r)
        writer.append("<4>carrier.poll_failed level=warning\n", level: .warning)
        #expect(writer.dropped == LogWriter.Dropped(writeFailed: 1))
        close(w)
    }

    @Test("the budget: one second's worth for each kind, refilled with time, never more than a second's worth; 0 is no bound")
    func budget() {
        let t0 = ContinuousClock.now
        var b = LogLineBudget(linesPerSecond: 10, now: t0)
        #expect((0..<15).filter { _ in b.admits(serious: false, now: t0) }.count == 10)
        #expect((0..<15).filter { _ in b.admits(serious: true, now: t0) }.count == 10)
        #expect((0..<15).filter { _ in b.admits(serious: false, now: t0 + .milliseconds(500)) }.count == 5)
        // An idle minute gives one second's worth, not sixty.
        #expect((0..<100).filter { _ in b.admits(serious: true, now: t0 + .seconds(60)) }.count == 10)
        b.update(linesPerSecond: 3, now: t0 + .seconds(60))
        #expect((0..<10).filter { _ in b.admits(serious: false, now: t0 + .seconds(60)) }.count == 3)
        var unbounded = LogLineBudget(linesPerSecond: 0, now: t0)
        #expect((0..<10_000).allSatisfy { _ in unbounded.admits(serious: false, now: t0) })
    }

    @Test("/metrics counts the lines left out by reason, each reason at 0 until then")
    func metrics() async throws {
        let (r, w) = Self.pipe()
        close(r)
        defer { close(w) }
        let writer = LogWriter(descriptor: w, linesPerSecond: 0)
        let h = try await TestHarness(metrics: ReturndMetrics(logWriter: writer))
        try await h.run { client in
            func scrape() async throws -> Set<String> {
                Set(String(buffer: try await client.execute(uri: "/metrics", method: .get).body).split(separator: "\n").map(String.init))
            }
            let before = try await scrape()
            for reason in ["rate", "backlog", "write_failed"] { #expect(before.contains(#"returnd_log_lines_dropped_total{reason="\#(reason)"} 0"#)) }
            for _ in 0..<3 { writer.append("<6>http.request level=info\n", level: .info) }
            #expect(writer.flush(within: .seconds(10)))
            let failed = writer.dropped.writeFailed
            #expect(failed >= 3)
            let after = try await scrape()
            #expect(after.contains(#"returnd_log_lines_dropped_total{reason="write_failed"} \#(failed)"#), "\(after.filter { $0.contains("log_lines") })")
            #expect(after.contains(#"returnd_log_lines_dropped_total{reason="backlog"} 0"#))
        }
    }
}
