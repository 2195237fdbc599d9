import CCurl
import Foundation
import Synchronization

/// The only file that touches libcurl. One multi handle, driven by one thread; callers hand
/// transfers over through a locked queue and `curl_multi_wakeup`. Easy handles and header
/// lists are created and freed on that thread only.
final class CurlEngine: Sendable {
    private struct Inbox {
        var submissions: [Transfer] = []
        var cancelled: Set<UInt64> = []
        var closed = false
        var nextID: UInt64 = 0
        /// A wakeup is on its way to the curl thread, which drains the inbox before it sleeps
        /// again: submissions meanwhile need no wakeup of their own (a syscall each).
        var wakeupPending = false
    }

    /// `curl_multi_wakeup` is documented thread-safe; everything else on the handle stays on the thread.
    private struct MultiHandle: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
    }

    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    private let inbox = Mutex(Inbox())
    private let multi: MultiHandle
    private let maxIdleHandles: Int

    init(maxConnectionsPerHost: Int, maxConnections: Int) {
        precondition(Self.globalInit, "curl_global_init failed")
        guard let handle = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        multi = MultiHandle(pointer: handle)
        maxIdleHandles = maxConnections
        returnd_multi_setopt_long(multi.pointer, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        returnd_multi_setopt_long(multi.pointer, CURLMOPT_MAX_TOTAL_CONNECTIONS, maxConnections)
        returnd_multi_setopt_long(multi.pointer, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        let thread = Thread { [self] in self.loop() }
        thread.name = "returnd-curl"
        thread.start()
    }

    func perform(_ request: OutboundRequest) async throws -> InboundResponse {
        let id = inbox.withLock { inbox in
            inbox.nextID += 1
            return inbox.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<InboundResponse, any Error>) in
                let transfer = Transfer(id: id, request: request, continuation: continuation)
                let accepted = inbox.withLock { inbox -> Bool? in
                    guard !inbox.closed else { return nil }
                    inbox.submissions.append(transfer)
                    defer { inbox.wakeupPending = true }
                    return !inbox.wakeupPending
                }
                switch accepted {
                case true?: curl_multi_wakeup(multi.pointer)
                case false?: break
                case nil: continuation.resume(throwing: TransportError.shutDown)
                }
            }
        } onCancel: {
            inbox.withLock { _ = $0.cancelled.insert(id) }
            curl_multi_wakeup(multi.pointer)
        }
    }

    func shutdown() {
        inbox.withLock { $0.closed = true }
        curl_multi_wakeup(multi.pointer)
    }

    // MARK: - The curl thread

    private func loop() {
        var active: [UInt: Transfer] = [:]
        // Finished easy handles, reset and kept for the next requests: a fresh handle is a large
        // allocation and its buffers, freed again at the end; reuse is what libcurl recommends.
        var idle: [UnsafeMutableRawPointer] = []
        while true {
            let (submissions, cancelled, closed) = inbox.withLock { inbox in
                defer {
                    inbox.submissions = []
                    inbox.cancelled = []
                    inbox.wakeupPending = false
                }
                return (inbox.submissions, inbox.cancelled, inbox.closed)
            }
            if closed {
                for t in submissions { t.finish(.failure(TransportError.shutDown)) }
                for (_, t) in active { release(t, result: .failure(TransportError.shutDown), idle: &idle) }
                for easy in idle { curl_easy_cleanup(easy) }
                curl_multi_cleanup(multi.pointer)
                return
            }
            for t in submissions {
                if cancelled.contains(t.id) { t.finish(.failure(CancellationError())); continue }
                if let easy = start(t, idle: &idle) { active[UInt(bitPattern: easy)] = t }
            }
            for id in cancelled {
                if let (key, t) = active.first(where: { $0.value.id == id }) {
                    active[key] = nil
                    release(t, result: .failure(CancellationError()), idle: &idle)
                }
            }
            var running: Int32 = 0
            curl_multi_perform(multi.pointer, &running)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi.pointer, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                    let t = active.removeValue(forKey: UInt(bitPattern: easy))
                else { continue }
                release(t, result: outcome(t, easy: easy, code: message.pointee.data.result), idle: &idle)
            }
            // Sleeps until a socket is ready, a timeout is due, or `curl_multi_wakeup`.
            curl_multi_poll(multi.pointer, nil, 0, 1000, nil)
        }
    }

    private func start(_ t: Transfer, idle: inout [UnsafeMutableRawPointer]) -> UnsafeMutableRawPointer? {
        guard let easy = idle.popLast() ?? curl_easy_init() else {
            t.finish(.failure(TransportError.failed("curl_easy_init failed")))
            return nil
        }
        t.easy = easy
        let r = t.request
        _ = r.url.withCString { returnd_easy_setopt_string(easy, CURLOPT_URL, $0) }
        returnd_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        returnd_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(r.timeout))
        returnd_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(r.connectTimeout))
        returnd_easy_setopt_long(easy, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS))
        _ = "".withCString { returnd_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, $0) }
        switch r.method.uppercased() {
        case "GET": returnd_easy_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case "POST": returnd_easy_setopt_long(easy, CURLOPT_POST, 1)
        case let other: _ = other.withCString { returnd_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, $0) }
        }
        if let body = r.body {
            returnd_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, body.count)
            // COPYPOSTFIELDS copies at once, so the Swift array need not outlive this call.
            _ = body.withUnsafeBytes { returnd_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)) }
        }
        // "Expect:" off: no 100-continue round trip for small bodies.
        for line in r.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            t.headerList = line.withCString { curl_slist_append(t.headerList, $0) }
        }
        returnd_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(t.headerList))
        let context = Unmanaged.passUnretained(t).toOpaque()
        returnd_easy_setopt_callback(easy, CURLOPT_WRITEFUNCTION, Self.writeBody)
        returnd_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context)
        returnd_easy_setopt_callback(easy, CURLOPT_HEADERFUNCTION, Self.writeHeader)
        returnd_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context)
        guard curl_multi_add_handle(multi.pointer, easy) == CURLM_OK else {
            release(t, result: .failure(TransportError.failed("curl_multi_add_handle failed")), idle: &idle)
            return nil
        }
        return easy
    }

    private func outcome(_ t: Transfer, easy: UnsafeMutableRawPointer, code: CURLcode) -> Result<InboundResponse, any Error> {
        switch code {
        case CURLE_OK: return .success(answer(t, easy: easy, bodyCut: false))
        case CURLE_OPERATION_TIMEDOUT: return .failure(TransportError.timedOut)
        // The status line and headers came before the body that was cut.
        case CURLE_WRITE_ERROR where t.tooLarge && t.request.oversizedAnswer == .cut: return .success(answer(t, easy: easy, bodyCut: true))
        case CURLE_WRITE_ERROR where t.tooLarge: return .failure(TransportError.responseTooLarge(limit: t.request.maxResponseBytes))
        case CURLE_WRITE_ERROR where t.headerBytes > Self.maxHeaderBytes: return .failure(TransportError.headersTooLarge(limit: Self.maxHeaderBytes))
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .failure(TransportError.couldNotConnect(String(cString: curl_easy_strerror(code))))
        default: return .failure(TransportError.failed(String(cString: curl_easy_strerror(code))))
        }
    }

    private func answer(_ t: Transfer, easy: UnsafeMutableRawPointer, bodyCut: Bool) -> InboundResponse {
        var status = 0
        var seconds = 0.0
        returnd_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        returnd_easy_getinfo_double(easy, CURLINFO_TOTAL_TIME, &seconds)
        return InboundResponse(status: status, headers: t.headers, body: t.body, totalTime: seconds, bodyCut: bodyCut)
    }

    /// Detaches the easy handle (reset to libcurl's defaults, so nothing of this request reaches
    /// the next, and kept while fewer than `maxIdleHandles` wait), frees the header list, then
    /// answers the caller.
    private func release(_ t: Transfer, result: Result<InboundResponse, any Error>, idle: inout [UnsafeMutableRawPointer]) {
        if let easy = t.easy {
            curl_multi_remove_handle(multi.pointer, easy)
            if idle.count < maxIdleHandles {
                curl_easy_reset(easy)
                idle.append(easy)
            } else {
                curl_easy_cleanup(easy)
            }
            t.easy = nil
        }
        if let list = t.headerList {
            curl_slist_free_all(list)
            t.headerList = nil
        }
        t.finish(result)
    }

    private static func milliseconds(_ d: Duration) -> Int {
        max(1, Int(d.components.seconds) * 1000 + Int(d.components.attoseconds / 1_000_000_000_000_000))
    }

    private static let writeBody: curl_write_callback = { data, size, count, context in
        guard let data, let context else { return 0 }
        let t = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        let n = size * count
        if t.body.count + n > t.request.maxResponseBytes {
            t.tooLarge = true
            return 0 // makes curl stop with CURLE_WRITE_ERROR
        }
        data.withMemoryRebound(to: UInt8.self, capacity: n) { t.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
        return n
    }

    /// The status lines and headers of one transfer at most; real answers carry a few KB.
    /// Debian 12's libcurl stops at 300 KB on its own (its fix of CVE-2023-38039) but says only
    /// "Failure when receiving data from the peer"; this bound comes first and says what it was,
    /// and does not depend on how libcurl was built.
    static let maxHeaderBytes = 256 * 1024

    private static let writeHeader: curl_write_callback = { data, size, count, context in
        guard let data, let context else { return 0 }
        let t = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        let n = size * count
        t.headerBytes += n
        guard t.headerBytes <= maxHeaderBytes else { return 0 } // CURLE_WRITE_ERROR
        let line = data.withMemoryRebound(to: UInt8.self, capacity: n) { HeaderLine(UnsafeBufferPointer(start: $0, count: n)) }
        switch line {
        case .status: t.headers = [] // a new response (after 100 Continue or a redirect) starts over
        case .field(let name, let value): t.headers.append((name: name, value: value))
        case .other: break
        }
        return n
    }
}

/// One request in flight. Touched only by the curl thread after submission.
private final class Transfer: @unchecked Sendable {
    let id: UInt64
    let request: OutboundRequest
    private var continuation: CheckedContinuation<InboundResponse, any Error>?
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    var headerBytes = 0
    var tooLarge = false

    init(id: UInt64, request: OutboundRequest, continuation: CheckedContinuation<InboundResponse, any Error>) {
        self.id = id
        self.request = request
        self.continuation = continuation
    }

    func finish(_ result: Result<InboundResponse, any Error>) {
        continuation?.resume(with: result)
        continuation = nil
    }
}
