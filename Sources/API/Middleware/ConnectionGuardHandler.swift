import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// How many connections are open, shared by every connection's guard.
final class ConnectionGauge: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)
    private let lastWarning = Atomic<Int64>(0)
    private let logger: Logger

    init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
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

/// Two bounds Hummingbird's idle timeout leaves open:
/// - A request head must arrive whole within `headDeadline` of the connection opening (or of
///   the previous response ending). A client trickling one byte inside every idle window
///   (slowloris) is closed here.
/// - Past `gauge.limit` open connections, a new connection's request is answered 503 with
///   `Connection: close`, so memory and file descriptors stay bounded.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headDeadline: TimeAmount
    private let gauge: ConnectionGauge
    private var counted = false
    private var admitted = true
    private var deadline: Scheduled<Void>?

    init(headDeadline: TimeAmount, gauge: ConnectionGauge) {
        self.headDeadline = headDeadline
        self.gauge = gauge
    }

    func handlerAdded(context: ChannelHandlerContext) {
        counted = true
        admitted = gauge.admit()
        if !admitted { gauge.warnFull() }
        if context.channel.isActive { arm(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        if counted { gauge.release() }
        counted = false
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
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
        if case .head = unwrapInboundIn(data) {
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let ended: Bool
        if case .end = unwrapOutboundIn(data) { ended = true } else { ended = false }
        context.write(data, promise: promise)
        // Keep-alive: the next request's head has the same deadline.
        if ended { arm(context) }
    }

    private func arm(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: headDeadline) { channel.close(promise: nil) }
    }

    private func reject(_ context: ChannelHandlerContext) {
        var fields = HTTPFields()
        fields[.connection] = "close"
        fields[.contentLength] = "0"
        fields[HTTPField.Name("Retry-After")!] = "1"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .serviceUnavailable, headerFields: fields))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
