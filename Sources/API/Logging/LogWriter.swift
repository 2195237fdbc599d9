import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// Where returnd's log lines go: a bounded backlog, written to the descriptor (stderr, which
/// systemd connects to journald) by a queue of its own. A caller never waits for the write.
///
/// Before, each line was written in the caller: when journald stalled (a rotation on a slow
/// disk, a flood from another unit) every thread of Swift's pool blocked in a pipe write and
/// returnd stopped answering, `/healthz` too. A reader that went away (EPIPE) trapped in
/// FileHandle's write, or killed returnd with SIGPIPE outside systemd. Now lines wait here up to
/// `capacity` bytes; past that they are left out and counted, as are lines whose write failed,
/// and a `log.lines_dropped` warning says how many once writes go through again.
public final class LogWriter: Sendable {
    /// Lines left out, by why.
    public struct Dropped: Sendable, Equatable {
        /// Beyond `log.lines_per_second`.
        public var rate = 0
        /// The backlog was full: the reader (journald) did not keep up.
        public var backlog = 0
        /// The write failed: the reader is gone, or the disk is full.
        public var writeFailed = 0

        public init(rate: Int = 0, backlog: Int = 0, writeFailed: Int = 0) {
            self.rate = rate
            self.backlog = backlog
            self.writeFailed = writeFailed
        }

        var isEmpty: Bool { rate == 0 && backlog == 0 && writeFailed == 0 }

        static func += (a: inout Dropped, b: Dropped) {
            a.rate += b.rate
            a.backlog += b.backlog
            a.writeFailed += b.writeFailed
        }
    }

    private struct State {
        var pending: [UInt8] = []
        /// The buffer last written, emptied, kept for its capacity while the queue is idle.
        var spare: [UInt8] = []
        /// Bytes taken by the queue and not yet written: they count against the capacity too.
        var inFlight = 0
        var writing = false
        var budget: LogLineBudget
        var unreported = Dropped()
        var total = Dropped()
        var lastReport: ContinuousClock.Instant?
        var reportScheduled = false
        /// A report waits for a write that works: while the reader is gone it could only fail.
        var lastWriteFailed = false
    }

    /// returnd's stderr. What is still waiting at exit is written first (for up to 2 s).
    public static let standardError: LogWriter = {
        let writer = LogWriter(descriptor: 2)
        atexit { _ = LogWriter.standardError.flush(within: .seconds(2)) }
        return writer
    }()

    /// `log.lines_per_second`'s default.
    public static let defaultLinesPerSecond = 1000

    private let descriptor: Int32
    private let capacity: Int
    /// Each line written in the caller (returnctl: its warnings and its own output stay in order).
    private let synchronous: Bool
    private let callerWrites = Mutex(())
    private let state: Mutex<State>
    /// Blocking system calls stay off Swift's cooperative threads.
    private let queue = DispatchQueue(label: "returnd.log")

    /// `capacity`: bytes waiting at most; lines below warning may fill three quarters of it, so
    /// that a warning still finds room while request lines pile up.
    public init(descriptor: Int32, capacity: Int = 4 << 20, linesPerSecond: Int = LogWriter.defaultLinesPerSecond, synchronous: Bool = false) {
        self.descriptor = descriptor
        self.capacity = capacity
        self.synchronous = synchronous
        state = Mutex(State(budget: LogLineBudget(linesPerSecond: linesPerSecond, now: .now)))
    }

    /// Whether a line of this level is within `log.lines_per_second`; one left out is counted.
    /// Asked before the line is formatted, so a line left out costs nothing more.
    public func admits(_ level: Logger.Level) -> Bool {
        let now = ContinuousClock.now
        let (admitted, start) = state.withLock { s -> (Bool, Bool) in
            if s.budget.admits(serious: level >= .warning, now: now) { return (true, false) }
            s.unreported.rate += 1
            s.total.rate += 1
            // The queue, idle, would otherwise report it only with the next line written.
            guard !s.writing && !s.reportScheduled else { return (false, false) }
            s.writing = true
            return (false, true)
        }
        if start { queue.async { self.drain() } }
        return admitted
    }

    /// Queues one line (its newline included), or counts it when the backlog is full.
    public func append(_ line: String, level: Logger.Level) {
        if synchronous {
            let lost = callerWrites.withLock { _ in writeAll(Array(line.utf8)) }
            if lost > 0 { state.withLock { $0.total.writeFailed += lost } }
            return
        }
        let room = level >= .warning ? capacity : capacity / 4 * 3
        let start = state.withLock { s -> Bool in
            guard s.pending.count + s.inFlight + line.utf8.count <= room else {
                s.unreported.backlog += 1
                s.total.backlog += 1
                return false
            }
            s.pending.append(contentsOf: line.utf8)
            guard !s.writing else { return false }
            s.writing = true
            return true
        }
        if start { queue.async { self.drain() } }
    }

    /// A reload's `log.lines_per_second`.
    public func setLinesPerSecond(_ n: Int) {
        let now = ContinuousClock.now
        state.withLock { $0.budget.update(linesPerSecond: n, now: now) }
    }

    /// Lines left out since the start, by why.
    public var dropped: Dropped { state.withLock { $0.total } }

    /// Waits until everything queued is written (or failed), a report due within the second
    /// included, for at most `within`; false if it was not. Blocks its thread: for exit, and for
    /// tests.
    public func flush(within: Duration) -> Bool {
        let deadline = ContinuousClock.now + within
        while true {
            if state.withLock({ !$0.writing && $0.pending.isEmpty && !$0.reportScheduled }) { return true }
            if ContinuousClock.now >= deadline { return false }
            usleep(2000)
        }
    }

    private enum Step {
        case write
        case report(Dropped, linesPerSecond: Int)
        case stop
    }

    private func drain() {
        // Swapped with the backlog: the writes go from one buffer while lines fill the other,
        // and neither is reallocated once both have grown.
        var buffer: [UInt8] = []
        state.withLock { swap(&buffer, &$0.spare) }
        while true {
            let now = ContinuousClock.now
            buffer.removeAll(keepingCapacity: true)
            let step = state.withLock { s -> Step in
                s.inFlight = 0
                if !s.pending.isEmpty {
                    swap(&buffer, &s.pending)
                    s.inFlight = buffer.count
                    return .write
                }
                if !s.unreported.isEmpty && !s.lastWriteFailed {
                    // At most one report a second: lines left out by the rate come a few at a time.
                    if let last = s.lastReport, now - last < .seconds(1) {
                        if !s.reportScheduled {
                            s.reportScheduled = true
                            let wait = Self.nanoseconds(.seconds(1) - (now - last))
                            queue.asyncAfter(deadline: .now() + .nanoseconds(wait)) { self.reportLater() }
                        }
                    } else {
                        defer { s.unreported = Dropped() }
                        s.lastReport = now
                        return .report(s.unreported, linesPerSecond: s.budget.linesPerSecond)
                    }
                }
                s.writing = false
                swap(&buffer, &s.spare)
                return .stop
            }
            switch step {
            case .write:
                let lost = writeAll(buffer)
                state.withLock { s in
                    s.lastWriteFailed = lost > 0
                    s.unreported.writeFailed += lost
                    s.total.writeFailed += lost
                }
            case .report(let dropped, let linesPerSecond):
                let line = KeyValueLogHandler.line(level: .warning, module: "returnd", message: "log.lines_dropped", metadata: [
                    "rate": "\(dropped.rate)", "backlog": "\(dropped.backlog)", "write_failed": "\(dropped.writeFailed)",
                    "lines_per_second": "\(linesPerSecond)",
                ])
                if writeAll(Array(line.utf8)) > 0 {
                    // Said by the next report, after a write that works.
                    state.withLock { s in
                        s.lastWriteFailed = true
                        s.unreported += dropped
                    }
                }
            case .stop:
                return
            }
        }
    }

    private func reportLater() {
        let start = state.withLock { s -> Bool in
            s.reportScheduled = false
            guard !s.writing else { return false }
            s.writing = true
            return true
        }
        if start { drain() }
    }

    /// Writes all of `bytes`; the number of lines lost to a failed write (a partly written line
    /// counts as lost). SIGPIPE is blocked on this thread meanwhile, so a reader that went away
    /// is EPIPE here rather than the end of returnd.
    private func writeAll(_ bytes: [UInt8]) -> Int {
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer {
            // The SIGPIPE a failed write raised is pending on this thread: take it before unblocking.
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 && sigismember(&previous, SIGPIPE) == 0 {
                var now = timespec()
                _ = sigtimedwait(&blocked, nil, &now)
            }
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 {
                offset += n
                continue
            }
            let code = errno
            if n < 0 && code == EINTR { continue }
            if n < 0 && (code == EAGAIN || code == EWOULDBLOCK) {
                // A non-blocking descriptor (shared with another process): wait until it takes more.
                var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&ready, 1, 1000)
                continue
            }
            break
        }
        guard offset < bytes.count else { return 0 }
        return bytes[offset...].reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
    }

    private static func nanoseconds(_ d: Duration) -> Int {
        max(0, Int(d.components.seconds) * 1_000_000_000 + Int(d.components.attoseconds / 1_000_000_000))
    }
}
