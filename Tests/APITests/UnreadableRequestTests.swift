@testable import API
import Foundation
import HTTPTypes
import LogCapture
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Testing

/// A request the HTTP parser refuses reaches no route. The connection's handlers, as
/// Hummingbird sets them up, run here on an EmbeddedChannel with NIO's real parser.
@Suite("Requests that cannot be read as HTTP")
struct UnreadableRequestTests {
    struct Connection {
        let channel: EmbeddedChannel
        let log: CapturedLog
        let metrics: ReturndMetrics

        /// `gauge`: the open connections counted, shared with other `Connection`s given the same
        /// (made with `log` and `metrics`); by default one of its own, admitting 10.
        /// `idleTimeout`: Hummingbird's, which the guard answers a body that never begins before.
        init(gauge: ConnectionGauge? = nil, log: CapturedLog = CapturedLog(), metrics: ReturndMetrics = ReturndMetrics(), idleTimeout: TimeAmount? = nil) throws {
            channel = EmbeddedChannel()
            self.log = log
            self.metrics = metrics
            let gauge = gauge ?? ConnectionGauge(cap: ConnectionCap(10), logger: log.logger(label: "returnd"), metrics: metrics)
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try channel.pipeline.syncOperations.addHandler(ConnectionGuardHandler(headDeadline: .seconds(10), bodyDeadline: .seconds(60), idleTimeout: idleTimeout, gauge: gauge))
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        /// Everything written back to the client.
        func answer() throws -> String {
            var bytes = ByteBuffer()
            while var part = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&part) }
            return String(buffer: bytes)
        }

        /// The answer as an error: its head (lowercased), body, error code and request id.
        func errorAnswer() throws -> (head: String, body: String, code: String?, requestID: String?) {
            let answer = try answer()
            let (head, body) = try #require(answer.range(of: "\r\n\r\n").map { (String(answer[..<$0.lowerBound]).lowercased(), String(answer[$0.upperBound...])) })
            let code = (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: [String: String]])?["error"]?["code"]
            let id = head.split(separator: "\r\n").first { $0.hasPrefix("returnd-request-id:") }.map { $0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces) }
            return (head, body, code, id)
        }

        func metricsText() -> String {
            var buffer: [UInt8] = []
            metrics.registry.emit(into: &buffer)
            return String(decoding: buffer, as: UTF8.self)
        }
    }

    @Test("request headers over 80 KiB: 431 headers_too_large in JSON with a request id, logged and counted, the connection closed")
    func headersTooLarge() throws {
        let c = try Connection()
        try c.channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 100_000) + "\r\n\r\n"))
        let answer = try c.errorAnswer()
        #expect(answer.head.hasPrefix("http/1.1 431 "), "\(answer.head)")
        #expect(answer.code == "headers_too_large")
        let line = try #require(c.log.lines("http.unreadable_request").first)
        #expect(answer.requestID != nil && line.metadata["request_id"] == answer.requestID && line.metadata["status"] == "431" && line.level == .info)
        #expect(answer.head.contains("connection: close"))
        #expect(!c.channel.isActive)
        #expect(c.metricsText().contains(#"returnd_http_requests_total{method="unknown",route="unreadable",status="431"} 1"#))
    }

    @Test("a request line or header that is not HTTP: 400 invalid_request in JSON")
    func notHTTP() throws {
        let c = try Connection()
        try c.channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n"))
        let answer = try c.answer()
        #expect(answer.hasPrefix("HTTP/1.1 400 "), "\(answer)")
        #expect(answer.contains(#""code":"invalid_request""#))
        #expect(c.log.lines("http.unreadable_request").map { $0.metadata["status"] } == ["400"])
    }

    @Test("a TLS handshake on the plain port and HTTP/2 without an upgrade are named as such, in the answer and the log", arguments: [
        ([0x16, 0x03, 0x01, 0x00, 0x2e, 0x01, 0x00, 0x00, 0x2a, 0x03, 0x03] as [UInt8], "a TLS handshake: returnd serves plain HTTP on this port"),
        (Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8), "HTTP/2 without an upgrade: returnd serves HTTP/1.1"),
    ])
    func otherProtocolsNamed(bytes: [UInt8], named: String) throws {
        let c = try Connection()
        try c.channel.writeInbound(ByteBuffer(bytes: bytes))
        let answer = try c.errorAnswer()
        #expect(answer.head.hasPrefix("http/1.1 400 ") && answer.code == "invalid_request", "\(answer.head)")
        #expect(answer.body.contains(named), "\(answer.body)")
        #expect(c.log.lines("http.unreadable_request").first?.metadata["reason"]?.hasPrefix(named) == true)
    }

    @Test("a parse error during a request (a broken chunked body) is left to Hummingbird, whose answer to that request is under way")
    func midRequestLeftToHummingbird() throws {
        let c = try Connection()
        #expect(throws: HTTPParserError.self) {
            try c.channel.writeInbound(ByteBuffer(string: "POST /v1/returns HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n"))
        }
        #expect(try c.answer().isEmpty)
        #expect(c.log.lines("http.unreadable_request").isEmpty)
    }

    @Test("a request head begun but not finished by the head deadline: 408 request_timeout in JSON with a request id, logged and counted, the connection closed")
    func slowHeadAnswered408() throws {
        let c = try Connection()
        try c.channel.writeInbound(ByteBuffer(string: "POST /v1/returns HTTP/1.1\r\nHost: x\r\nX-Slow: a"))
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(try c.answer().isEmpty && c.channel.isActive)
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        let answer = try c.errorAnswer()
        #expect(answer.head.hasPrefix("http/1.1 408 "), "\(answer.head)")
        // One answer only: the parser's complaint about the unfinished head, as the connection closes, is not answered too.
        #expect(!answer.body.contains("HTTP/1.1"), "\(answer.body)")
        #expect(answer.code == "request_timeout")
        #expect(answer.head.contains("content-length: \(answer.body.utf8.count)"))
        #expect(answer.head.contains("connection: close"))
        let line = try #require(c.log.lines("http.unreadable_request").first)
        #expect(answer.requestID != nil && line.metadata["request_id"] == answer.requestID && line.metadata["status"] == "408")
        #expect(!c.channel.isActive)
        #expect(c.metricsText().contains(#"returnd_http_requests_total{method="unknown",route="unreadable",status="408"} 1"#))
    }

    @Test("a connection that sent nothing by the head deadline is closed without an answer (a kept-alive client may be reusing it that moment)")
    func idleConnectionClosedQuietly() throws {
        let c = try Connection()
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(try c.answer().isEmpty)
        #expect(!c.channel.isActive)
        #expect(c.log.lines("http.unreadable_request").isEmpty)
    }

    @Test("a head that arrives whole before the deadline is not timed out afterwards")
    func wholeHeadInTimeStands() throws {
        let c = try Connection()
        try c.channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\n"))
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        try c.channel.writeInbound(ByteBuffer(string: "Host: x\r\n\r\n"))
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(20))
        #expect(try c.answer().isEmpty)
        #expect(c.channel.isActive)
        #expect(c.log.lines("http.unreadable_request").isEmpty)
    }

    @Test("after a response, a kept-alive connection left quiet is closed without an answer; one whose next head stalls gets the 408")
    func keptAliveConnection() throws {
        for nextHeadBegun in [false, true] {
            let c = try Connection()
            try c.channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
            while try c.channel.readInbound(as: HTTPRequestPart.self) != nil {}
            try c.channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "0"])))
            try c.channel.writeOutbound(HTTPResponsePart.end(nil))
            #expect(try c.answer().hasPrefix("HTTP/1.1 200 "))
            c.channel.embeddedEventLoop.advanceTime(by: .seconds(5))
            if nextHeadBegun { try c.channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\n")) }
            c.channel.embeddedEventLoop.advanceTime(by: .seconds(5))
            #expect(!c.channel.isActive)
            let answer = try c.answer()
            #expect(nextHeadBegun ? answer.hasPrefix("HTTP/1.1 408 ") : answer.isEmpty, "\(answer)")
        }
    }
}
