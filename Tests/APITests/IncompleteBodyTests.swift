@testable import API
import Foundation
import HTTPTypes
import Hummingbird
import LogCapture
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// A body that breaks off: part of a return's JSON, then what NIO's parser reports.
struct BrokenBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let error: HTTPParserError

    struct AsyncIterator: AsyncIteratorProtocol {
        let error: HTTPParserError
        var sent = false
        mutating func next() async throws -> ByteBuffer? {
            guard sent else {
                sent = true
                return ByteBuffer(string: #"{"dispute_id":"#)
            }
            throw error
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(error: error) }
}

/// A response body's bytes, as the server would write them.
final class BodyCollector: ResponseBodyWriter {
    var bytes = ByteBuffer()
    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        bytes.writeBuffer(&buffer)
    }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

@Suite("Request bodies that break off")
struct IncompleteBodyTests {
    /// The status a POST /v1/returns gets whose body ends in `error`, through the router's whole stack.
    func answer(_ error: HTTPParserError, log: CapturedLog) async throws -> (status: Int, code: String?) {
        let h = try await TestHarness()
        defer { h.cleanUp() }
        let token = try await h.token(.marketplace)
        let responder = buildRouter(runtime: h.runtime).buildResponder()
        let request = Request(
            head: HTTPRequest(method: .post, scheme: "http", authority: "x", path: "/v1/returns",
                              headerFields: [.authorization: "Bearer \(token)", .contentType: "application/json"]),
            body: RequestBody(asyncSequence: BrokenBody(error: error)))
        // As Hummingbird's server sets it up for each request.
        var logger = log.logger(label: "returnd")
        logger[metadataKey: "hb.request.id"] = "\(RequestID())"
        let context = ReturndRequestContext(source: .init(channel: EmbeddedChannel(), logger: logger))
        let response = try await responder.respond(to: request, context: context)
        let body = BodyCollector()
        try await response.body.write(body)
        let json = try JSONSerialization.jsonObject(with: Data(body.bytes.readableBytesView)) as? [String: [String: String]]
        return (response.status.code, json?["error"]?["code"])
    }

    @Test("a connection that ends mid-body (a kiosk's link dropped) is a 400 incomplete_request at info, not a 500 logged as an error and counted toward the 5xx alert")
    func connectionEndedMidBody() async throws {
        let log = CapturedLog()
        let answer = try await answer(.invalidEOFState, log: log)
        #expect(answer.status == 400 && answer.code == "incomplete_request", "\(answer)")
        #expect(log.lines("request.failed").isEmpty)
        let line = try #require(log.lines("http.request").first)
        #expect(line.metadata["status"] == "400" && line.level == .info)
    }

    @Test("a chunked body that is not well-formed is a 400 invalid_request naming why")
    func malformedChunkedBody() async throws {
        let log = CapturedLog()
        let answer = try await answer(.invalidChunkSize, log: log)
        #expect(answer.status == 400 && answer.code == "invalid_request", "\(answer)")
        #expect(log.lines("request.failed").isEmpty)
    }
}
