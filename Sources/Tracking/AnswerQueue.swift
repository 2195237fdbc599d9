import Synchronization

/// Carrier answers handed from the request workers to the store loop of one pass. The loop
/// takes everything that arrived while it was committing, up to a batch; `finish` ends it once
/// the workers are done.
final class AnswerQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var finished = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    private static func take(_ max: Int, from s: inout State) -> [Element] {
        let batch = Array(s.items.prefix(max))
        s.items.removeFirst(batch.count)
        return batch
    }

    func push(_ new: [Element]) {
        guard !new.isEmpty else { return }
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.items += new
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Up to `max` waiting answers, after waiting for the first; nil once finished and empty.
    /// One consumer at a time.
    func next(max: Int) async -> [Element]? {
        while true {
            let taken = state.withLock { s -> [Element]?? in
                if !s.items.isEmpty { return .some(Self.take(max, from: &s)) }
                return s.finished ? .some(nil) : nil
            }
            if let taken { return taken }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if !s.items.isEmpty || s.finished { return true }
                    s.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }
}

extension AnswerQueue {
    /// Up to `max` answers waiting now, without waiting.
    func take(max: Int) -> [Element] { state.withLock { Self.take(max, from: &$0) } }

    /// True once `finish` was called: no answer comes after those waiting.
    var isFinished: Bool { state.withLock { $0.finished } }
}

/// The chunks of one pass, taken in order by the request workers.
final class WorkList<Element: Sendable>: Sendable {
    private let state: Mutex<IndexingIterator<[Element]>>

    init(_ items: [Element]) { state = Mutex(items.makeIterator()) }

    func next() -> Element? { state.withLock { $0.next() } }
}
