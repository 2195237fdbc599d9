@testable import API
import Foundation
import LogCapture
import NIOCore
import NIOEmbedded
import NIOHTTP1
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

        init() throws {
            channel = EmbeddedChannel()
            log = CapturedLog()
            metrics = ReturndMetrics()
            let gauge = ConnectionGauge(limit: 10, logger: log.logger(label: "returnd"), metrics: metrics)
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try channel.pipeline.syncOperations.addHandler(ConnectionGuardHandler(headDeadline: .seconds(10), gauge: gauge))
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        /// Everything written back to the client.
        func answer() throws -> String {
            var bytes = ByteBuffer()
            while var part = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&part) }
            return String(buffer: bytes)
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
        let answer = try c.answer()
        let (head, body) = try #require(answer.range(of: "\r\n\r\n").map { (String(answer[..<$0.lowerBound]), String(answer[$0.upperBound...])) })
        #expect(head.hasPrefix("HTTP/1.1 431 "), "\(head)")
        let error = try #require((try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: [String: String]])?["error"])
        #expect(error["code"] == "headers_too_large")
        let id = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("returnd-request-id:") }.map { $0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces) }
        let line = try #require(c.log.lines("http.unreadable_request").first)
        #expect(id != nil && line.metadata["request_id"] == id && line.metadata["status"] == "431" && line.level == .info)
        #expect(head.lowercased().contains("connection: close"))
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

    @Test("a parse error during a request (a broken chunked body) is left to Hummingbird, whose answer to that request is under way")
    func midRequestLeftToHummingbird() throws {
        let c = try Connection()
        #expect(throws: HTTPParserError.self) {
            try c.channel.writeInbound(ByteBuffer(string: "POST /v1/returns HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n"))
        }
        #expect(try c.answer().isEmpty)
        #expect(c.log.lines("http.unreadable_request").isEmpty)
    }
}
