import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Synchronization

/// How many connections are open, shared by every connection's guard.
final class ConnectionGauge: Sendable {
    let cap: ConnectionCap
    var limit: Int { cap.limit }
    private let open = Atomic<Int>(0)
    private let lastWarning = Atomic<Int64>(0)
    private let logger: Logger
    private let metrics: ReturndMetrics

    init(cap: ConnectionCap, logger: Logger, metrics: ReturndMetrics) {
        self.cap = cap
        self.logger = logger
        self.metrics = metrics
    }

    /// Counts a new connection in; false when it is one too many.
    func admit() -> Bool { open.wrappingAdd(1, ordering: .relaxed).newValue <= limit }
    func release() { open.wrappingSubtract(1, ordering: .relaxed) }

    /// Once a minute at most: under a flood, one line says what is happening.
    func warnFull() {
        let now = Int64(Date().timeIntervalSince1970)
        let last = lastWarning.load(ordering: .relaxed)
        guard now - last >= 60, lastWarning.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged else { return }
        logger.warning("http.connections_exhausted", metadata: ["limit": "\(limit)", "action": "new connections get 503 until some close; raise http.max_connections if this is real traffic"])
    }
}

extension ConnectionGauge {
    /// A request that could not be read as HTTP: its answer, logged and counted as the router's
    /// are (`route="unreadable"`), with the request id it carries.
    /// `opening`: the request's first bytes, to name what a client sent instead of HTTP/1.1.
    func unreadable(_ error: HTTPParserError, opening: [UInt8] = []) -> (status: HTTPResponse.Status, id: String, body: String) {
        let (status, code, message): (HTTPResponse.Status, String, String) = switch error {
        case .headerOverflow:
            (.requestHeaderFieldsTooLarge, "headers_too_large", "the request line and headers are larger than 80 KiB")
        default:
            (.badRequest, "invalid_request", Self.notHTTP11(error, opening: opening))
        }
        let id = RequestID().description  // as the router's requests get theirs
        metrics.unreadableRequest(status: status.code)
        logger.info("http.unreadable_request", metadata: ["status": "\(status.code)", "reason": "\(message)", "request_id": "\(id)"])
        let body = #"{"error":{"code":"\#(code)","message":"\#(message)"}}"#
        return (status, id, body)
    }

    /// The parser's own words ("invalid HTTP method", "paused") do not say what came instead;
    /// the two a misconfigured client most likely sends are named, for the operator reading the log.
    static func notHTTP11(_ error: HTTPParserError, opening: [UInt8]) -> String {
        // A TLS record of type handshake (22): a kiosk set to https:// on the plain port.
        if opening.first == 0x16 {
            return "a TLS handshake: returnd serves plain HTTP on this port (a client set to https:// needs TLS from a proxy in front)"
        }
        if opening.starts(with: "PRI ".utf8) {
            return "HTTP/2 without an upgrade: returnd serves HTTP/1.1"
        }
        return "the request is not well-formed HTTP/1.1 (\(error))"
    }

    /// A request head begun but not finished by the head deadline: the whole 408 answer as
    /// bytes (no request was read, so nothing in HTTP's pipeline may pair a response with it),
    /// logged and counted as an unreadable request.
    func headTimedOut(after deadline: TimeAmount) -> String {
        let id = RequestID().description
        let seconds = Double(deadline.nanoseconds) / 1e9
        metrics.unreadableRequest(status: 408)
        logger.info("http.unreadable_request", metadata: ["status": "408", "reason": "request head not complete after \(seconds) s", "request_id": "\(id)"])
        let body = #"{"error":{"code":"request_timeout","message":"the request line and headers did not arrive whole within http.request_head_timeout_seconds (\#(seconds) s)"}}"#
        return "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\(ReturndHeaders.requestID.rawName): \(id)\r\n\r\n\(body)"
    }
}

/// First in the pipeline, before HTTP's decoder: tells the guard whether any byte has come in
/// since it armed its deadline (a head begun gets a 408; an idle kept-alive connection is just
/// closed, as a client reusing it may be sending its next request that very moment), and
/// writes the guard's 408 straight to the socket.
final class RequestHeadBytesHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    var arrived = false
    /// The first four bytes since the guard armed its deadline (big-endian, `openingCount` of
    /// them), to name what a client sent that is not HTTP/1.1. An integer, not an array: this
    /// runs at every request.
    private var opening: UInt32 = 0
    private var openingCount = 0
    private var context: ChannelHandlerContext?

    var openingBytes: [UInt8] { (0..<openingCount).map { UInt8(truncatingIfNeeded: opening >> (8 * UInt32(openingCount - 1 - $0))) } }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        arrived = true
        if openingCount < 4 {
            let buffer = unwrapInboundIn(data)
            var index = buffer.readerIndex
            while openingCount < 4, let byte = buffer.getInteger(at: index, as: UInt8.self) {
                opening = opening << 8 | UInt32(byte)
                openingCount += 1
                index += 1
            }
        }
        context.fireChannelRead(data)
    }

    /// A new request head is awaited.
    func rearm() {
        arrived = false
        opening = 0
        openingCount = 0
    }

    /// Writes `response` and closes once it is out (or at once if the pipeline is gone).
    func answerAndClose(_ response: String, channel: any Channel) {
        guard let context else {
            channel.close(promise: nil)
            return
        }
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: response))).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// A request's body did not arrive whole within `http.request_body_timeout_seconds` of its head.
struct RequestBodyTimedOut: Error, CustomStringConvertible {
    let seconds: Double
    var description: String { "the request body did not arrive whole within http.request_body_timeout_seconds (\(seconds) s)" }
}

/// A request's head came, and not one byte of the body it announced by the time the idle timeout
/// was about to close the connection.
struct RequestBodyNotBegun: Error, CustomStringConvertible {
    let seconds: Double
    var description: String {
        "no byte of the request body came within \(seconds) s of its head (http.idle_timeout_seconds closes a connection this quiet); send the request again with its body (with the same Idempotency-Key, if it had one)"
    }
}

/// HTTP/1.0 without `Connection: keep-alive` is one request per connection (RFC 9112, 9.3).
/// HTTPTypes, which Hummingbird's routes see, has no version, so Hummingbird kept such a
/// connection open after its answer, and a client that reads to the end (a simple scanner) waited
/// for the head deadline, 10 s by default, at every request. Behind HTTP's decoder, where the
/// version is still known, such a request is marked `Connection: close`, which Hummingbird obeys.
final class HTTP10ConnectionCloseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else { return context.fireChannelRead(data) }
        guard head.version == .http1_0 else {
            // A connection does not change its version: the rest of its requests skip this hop.
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        if !head.isKeepAlive { head.headers.replaceOrAdd(name: "connection", value: "close") }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }
}

/// The bounds Hummingbird's idle timeout leaves open (and, on the way, HTTP/1.0's close above):
/// - A request head must arrive whole within `headDeadline` of the connection opening (or of
///   the previous exchange ending). A client trickling one byte inside every idle window
///   (slowloris) is answered 408 and closed here; a connection with nothing sent is closed.
/// - Its body must arrive whole within `bodyDeadline` of the head (see `armBody`), and begin
///   before the idle timeout would close the connection (see `channelReadComplete`).
/// - Past `gauge.limit` open connections, a new connection's request is answered 503 with
///   `Connection: close`, so memory and file descriptors stay bounded.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headDeadline: TimeAmount
    private let bodyDeadline: TimeAmount
    /// Armed at a request's first body part (most requests have none: no timer to make and
    /// cancel for them), due `bodyDeadline` after its head; cancelled at its end, and kept
    /// until then once fired.
    private var bodyTimer: Scheduled<Void>?
    /// Armed when a read ends with a head in and none of its body: due a little before the idle
    /// timeout closes the connection, so that the client hears why. Cancelled by the first body
    /// part (the body's own deadline takes over) or the request's end.
    private var bodyStartTimer: Scheduled<Void>?
    private let bodyStartDeadline: TimeAmount?
    /// The request failed for a body that never began: parts still coming arm no timer.
    private var bodyNeverBegan = false
    private var headAt = NIODeadline.uptimeNanoseconds(0)
    private let gauge: ConnectionGauge
    private var counted = false
    private var admitted = true
    private var deadline: Scheduled<Void>?
    private let headBytes = RequestHeadBytesHandler()
    /// Between a request's head and its end, and between that head and its response's end: the
    /// next head is awaited (and its deadline runs) only when neither holds. A response may end
    /// before its request does (an early 401 while the body still comes).
    private var requestOpen = false
    private var responsePending = false

    /// `idleTimeout`: Hummingbird's, which closes a connection that sends nothing for that long,
    /// also in the middle of a request and with no answer.
    init(headDeadline: TimeAmount, bodyDeadline: TimeAmount = .seconds(60), idleTimeout: TimeAmount? = nil, gauge: ConnectionGauge) {
        self.headDeadline = headDeadline
        self.bodyDeadline = bodyDeadline
        // A second before the idle timeout (a tenth of it, if that is less), so the answer goes
        // out before the connection closes; never later than the body's own deadline.
        self.bodyStartDeadline = idleTimeout.map { idle in min(bodyDeadline, idle - min(.seconds(1), .nanoseconds(idle.nanoseconds / 10))) }
        self.gauge = gauge
    }

    func handlerAdded(context: ChannelHandlerContext) {
        counted = true
        admitted = gauge.admit()
        if !admitted { gauge.warnFull() }
        // Without it the deadline still closes the connection, only with no 408.
        try? context.pipeline.syncOperations.addHandler(headBytes, position: .first)
        if let decoder = try? context.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self) {
            try? context.pipeline.syncOperations.addHandler(HTTP10ConnectionCloseHandler(), position: .after(decoder))
        }
        if context.channel.isActive { arm(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        bodyTimer?.cancel()
        bodyStartTimer?.cancel()
        deadline?.cancel()
        if counted { gauge.release() }
        counted = false
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        bodyTimer?.cancel()
        bodyStartTimer?.cancel()
        deadline?.cancel()
        if counted { gauge.release() }
        counted = false
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard admitted else {
            if case .head = unwrapInboundIn(data) { reject(context) }
            return
        }
        switch unwrapInboundIn(data) {
        case .head:
            deadline?.cancel()
            deadline = nil
            requestOpen = true
            responsePending = true
            bodyNeverBegan = false
            headAt = context.eventLoop.now
        case .end:
            bodyTimer?.cancel()
            bodyTimer = nil
            bodyStartTimer?.cancel()
            bodyStartTimer = nil
            requestOpen = false
            if !responsePending { arm(context) }
        case .body:
            if bodyTimer == nil && requestOpen && !bodyNeverBegan {
                bodyStartTimer?.cancel()
                bodyStartTimer = nil
                armBody(context)
            }
        }
        context.fireChannelRead(data)
    }

    /// A read that ends with a request's head in and neither a byte of its body nor its end (a
    /// request without a body ends with its head): the client announced a body that has not
    /// begun. Hummingbird's idle timeout would close the connection with no answer at all
    /// (a kiosk would not know whether to send again); this answers 408 just before. Most
    /// requests come whole in one read, and make no timer here.
    func channelReadComplete(context: ChannelHandlerContext) {
        if requestOpen && bodyTimer == nil && bodyStartTimer == nil && !bodyNeverBegan, let wait = bodyStartDeadline {
            let seconds = Double(wait.nanoseconds) / 1e9
            bodyStartTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: headAt + wait) { [self] in
                bodyStartTimer = nil
                bodyNeverBegan = true
                context.fireErrorCaught(RequestBodyNotBegun(seconds: seconds))
            }
        }
        context.fireChannelReadComplete()
    }

    /// The body must be whole within `bodyDeadline` of its head: a client trickling it a byte
    /// inside every idle window held a connection and a request task for as long as it liked.
    /// Past it, the request's body fails with `RequestBodyTimedOut`, which the route answers 408
    /// (the request is Hummingbird's by now: only it may answer).
    /// Once fired, the timer stays set until the request's end, so body parts still coming do not
    /// arm it again (each would fail the request a second time, at once).
    private func armBody(_ context: ChannelHandlerContext) {
        let seconds = Double(bodyDeadline.nanoseconds) / 1e9
        bodyTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: headAt + bodyDeadline) {
            context.fireErrorCaught(RequestBodyTimedOut(seconds: seconds))
        }
    }

    /// A request head the parser refused (over 80 KiB, not HTTP) reaches no route: Hummingbird
    /// answers it a bare 400 with no body and logs nothing, so the client and the operator
    /// learned nothing. While a head is awaited it is answered here, as any error is (JSON, a
    /// request id, a log line, a metric); during a request, Hummingbird's answer stands.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError, admitted, deadline != nil, !requestOpen, !responsePending else {
            context.fireErrorCaught(error)
            return
        }
        deadline?.cancel()
        deadline = nil
        let answer = gauge.unreadable(parse, opening: headBytes.openingBytes)
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.contentLength] = "\(answer.body.utf8.count)"
        fields[.connection] = "close"
        fields[ReturndHeaders.requestID] = answer.id
        context.write(wrapOutboundOut(.head(HTTPResponse(status: answer.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(string: answer.body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let ended: Bool
        if case .end = unwrapOutboundIn(data) { ended = true; responsePending = false } else { ended = false }
        context.write(data, promise: promise)
        // Keep-alive: the next request's head has the same deadline, once this request is whole.
        if ended && !requestOpen { arm(context) }
    }

    private func arm(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        headBytes.rearm()
        // `self` held, not weak (a weak reference costs at every request): the task is cancelled
        // when the handler goes, which lets go of it.
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: headDeadline) { [self] in
            // No head is awaited any more: the parser's complaint about the rest, as the
            // connection closes, gets no second answer from errorCaught.
            deadline = nil
            if headBytes.arrived {
                headBytes.answerAndClose(gauge.headTimedOut(after: headDeadline), channel: channel)
            } else {
                channel.close(promise: nil)
            }
        }
    }

    /// JSON like every other error, so a kiosk shows why.
    private static let rejection = #"{"error":{"code":"too_many_connections","message":"returnd holds http.max_connections connections now; send the request again in a moment"}}"#

    private func reject(_ context: ChannelHandlerContext) {
        var fields = HTTPFields()
        fields[.connection] = "close"
        fields[.contentType] = "application/json"
        fields[.contentLength] = "\(Self.rejection.utf8.count)"
        fields[HTTPField.Name("Retry-After")!] = "1"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .serviceUnavailable, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(string: Self.rejection))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
