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

    /// Sends a head announcing 10 bytes and none of them.
    func headAlone(_ c: Connection) throws {
        try c.channel.writeInbound(ByteBuffer(string: "POST /v1/returns HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"))
        while try c.channel.readInbound(as: HTTPRequestPart.self) != nil {}
    }

    @Test("a head whose body never begins fails the request with RequestBodyNotBegun a second before the 30 s idle timeout would close the connection unanswered, once")
    func bodyNeverBegins() throws {
        let c = try Connection(idleTimeout: .seconds(30))
        try headAlone(c)
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(28))
        #expect(caughtError(c) == nil)
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        let error = try #require(caughtError(c) as? RequestBodyNotBegun)
        #expect(error.seconds == 29)
        #expect(error.description.contains("http.idle_timeout_seconds"))
        #expect(try c.answer().isEmpty)
        // A body coming after all fails nothing a second time, at its own deadline or later.
        try c.channel.writeInbound(ByteBuffer(string: "{\"a"))
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        #expect(caughtError(c) == nil)
    }

    @Test("a body that begins before the idle timeout is held to its own 60 s deadline, not to the idle one")
    func bodyBeginsLate() throws {
        let c = try Connection(idleTimeout: .seconds(30))
        try headAlone(c)
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(20))
        try c.channel.writeInbound(ByteBuffer(string: "{\"a"))
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(39))
        #expect(caughtError(c) == nil)
        c.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(caughtError(c) is RequestBodyTimedOut)
    }

    @Test("a request without a body, and one whose body comes with its head, are not timed out however long their answer takes")
    func wholeRequests() throws {
        for request in ["GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "POST /v1/returns HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"] {
            let c = try Connection(idleTimeout: .seconds(30))
            try c.channel.writeInbound(ByteBuffer(string: request))
            while try c.channel.readInbound(as: HTTPRequestPart.self) != nil {}
            c.channel.embeddedEventLoop.advanceTime(by: .seconds(300))
            #expect(caughtError(c) == nil, "\(request.prefix(20))")
        }
    }

    @Test("with a short idle timeout the body's start is awaited a tenth less (1.8 s of 2), and never past the body's own deadline")
    func shortIdleTimeout() throws {
        let c = try Connection(idleTimeout: .seconds(2))
        try headAlone(c)
        c.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1_799))
        #expect(caughtError(c) == nil)
        c.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect((caughtError(c) as? RequestBodyNotBegun)?.seconds == 1.8)
        let long = try Connection(idleTimeout: .seconds(600))
        try headAlone(long)
        long.channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect((caughtError(long) as? RequestBodyNotBegun)?.seconds == 60)
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
