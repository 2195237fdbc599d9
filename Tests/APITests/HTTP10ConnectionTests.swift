@testable import API
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Testing

/// HTTP/1.0 is one request per connection unless the client asks to keep it alive.
@Suite("HTTP/1.0 connections")
struct HTTP10ConnectionTests {
    /// The head Hummingbird's router would get for `request`.
    func headSeen(_ request: String) throws -> HTTPRequest? {
        let c = try UnreadableRequestTests.Connection()
        try c.channel.writeInbound(ByteBuffer(string: request))
        guard case .head(let head) = try c.channel.readInbound(as: HTTPRequestPart.self) else { return nil }
        return head
    }

    @Test("an HTTP/1.0 request reaches Hummingbird marked Connection: close, so the connection closes after its answer")
    func http10Closes() throws {
        let head = try #require(try headSeen("GET /healthz HTTP/1.0\r\n\r\n"))
        #expect(head.headerFields[.connection] == "close")
        #expect(head.path == "/healthz")
    }

    @Test("HTTP/1.0 with Connection: keep-alive, and HTTP/1.1, are left as they came", arguments: [
        "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    ])
    func othersKept(request: String) throws {
        let head = try #require(try headSeen(request))
        #expect(head.headerFields[.connection] != "close")
    }
}
