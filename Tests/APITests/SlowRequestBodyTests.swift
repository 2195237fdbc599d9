@testable import API
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Testing

/// A request body must arrive whole within `http.request_body_timeout_seconds` (60 s here) of its head.
@Suite("Slow request bodies")
struct SlowRequestBodyTests {
    typealias Connection = UnreadableRequestTests.Connection

    /// Sends a head announcing 10 bytes and 3 of them; what the router gets is read and dropped.
    func beginBody(_ c: Connection) throws {
        try c.channel.writeInbound(ByteBuffer(string: "POST /v1/returns HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"a"))
        while try c.channel.readInbound(as: HTTPRequestPart.self) != nil {}
    }

    func caughtError(_ c: Connection) -> (any Error)? {
        do { try c.channel.throwIfErrorCaught() } catch { return error }
        return nil
    }

    @Test("a body still incomplete at the deadline fails the request with RequestBodyTimedOut (answered 408 by the route), not before, and once")
    func bodyPastDeadline() throws {
        let c = try Connection()
        try beginBody(c)
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(caughtError(c) == nil)
        try c.channel.writeInbound(ByteBuffer(string: "\":"))
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        let error = try #require(caughtError(c) as? RequestBodyTimedOut)
        #expect(error.seconds == 60)
        // The guard's own 400 for an unreadable head is not sent on top.
        #expect(try c.answer().isEmpty)
        // Nor does a body part still coming fail the request a second time.
        try c.channel.writeInbound(ByteBuffer(string: "1"))
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(caughtError(c) == nil)
    }

    @Test("a body that arrives whole in time: no error, however long the answer takes")
    func bodyInTime() throws {
        let c = try Connection()
        try beginBody(c)
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        try c.channel.writeInbound(ByteBuffer(string: "\":1}   "))
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(300))
        #expect(caughtError(c) == nil)
        #expect(c.channel.isActive)
    }

    @Test("an answer sent before the body ends (an early 401) does not start the next head's deadline: the body's stands")
    func earlyAnswer() throws {
        let c = try Connection()
        try beginBody(c)
        try c.channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .unauthorized, headerFields: [.contentLength: "0"])))
        try c.channel.writeOutbound(HTTPResponsePart.end(nil))
        #expect(try c.answer().hasPrefix("HTTP/1.1 401 "))
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(15))
        #expect(try c.channel.isActive && c.answer().isEmpty)
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(45))
        #expect(caughtError(c) is RequestBodyTimedOut)
    }
}
