import Synchronization

/// Tracking-number serials this instance has reserved but not yet used, per counter
/// (PostgreSQL; see `SQLDialect.serialBlock`). Blocks belong to the range they were reserved
/// under: when the carrier file's range changes, the next parcel reserves anew. One caller at
/// a time reserves for a counter while the others wait for its block, so a burst of parcels on
/// an empty cache reserves one block, not one each.
final class SerialBlocks: Sendable {
    struct Empty: Error {}

    private struct Counter {
        var range: ClosedRange<Int>?
        var blocks: [ClosedRange<Int>] = []
        var reserving = false
        var waiting: [CheckedContinuation<Bool, Never>] = []
    }

    private let counters = Mutex<[String: Counter]>([:])

    func take(_ key: String, range: ClosedRange<Int>) -> Int? {
        counters.withLock { counters in
            guard var c = counters[key], c.range == range, let block = c.blocks.first else { return nil }
            if block.count == 1 { c.blocks.removeFirst() } else { c.blocks[0] = (block.lowerBound + 1)...block.upperBound }
            counters[key] = c
            return block.lowerBound
        }
    }

    /// Runs `reserve` unless another caller is already reserving for this counter, in which
    /// case it waits for that one to finish (successfully or not) and returns.
    func refill(_ key: String, range: ClosedRange<Int>, _ reserve: () async throws -> ClosedRange<Int>) async throws {
        let lead: Bool = await withCheckedContinuation { (turn: CheckedContinuation<Bool, Never>) in
            let leads = counters.withLock { counters -> Bool in
                if counters[key]?.reserving == true {
                    counters[key]!.waiting.append(turn) // resumed by `finish`
                    return false
                }
                counters[key, default: Counter()].reserving = true
                return true
            }
            if leads { turn.resume(returning: true) }
        }
        guard lead else { return }
        let reserved: ClosedRange<Int>
        do { reserved = try await reserve() } catch {
            finish(key, range: range, nil)
            throw error
        }
        finish(key, range: range, reserved)
    }

    private func finish(_ key: String, range: ClosedRange<Int>, _ serials: ClosedRange<Int>?) {
        let waiting = counters.withLock { counters -> [CheckedContinuation<Bool, Never>] in
            var c = counters[key, default: Counter()]
            if let serials {
                if c.range == range { c.blocks.append(serials) } else { c.range = range; c.blocks = [serials] }
            }
            c.reserving = false
            defer { c.waiting = []; counters[key] = c }
            return c.waiting
        }
        for w in waiting { w.resume(returning: false) }
    }
}
