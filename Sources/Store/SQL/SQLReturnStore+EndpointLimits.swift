import Foundation
import ReturnsCore

/// What an outside endpoint allows all instances together: its rate limit, kept as one shared
/// schedule (`RequestSlots`), and a hold it asked for. One row per endpoint.
extension SQLReturnStore {
    public func reserveRequestSlots(endpoint: String, count: Int, limit: RateLimit, now: Date, notAfter: Date) async throws -> RequestSlots {
        try await backend.write { db in
            try db.execute("INSERT INTO endpoint_limits (endpoint, theoretical_next_us, held_until_us) VALUES (?, 0, 0) ON CONFLICT(endpoint) DO NOTHING", [endpoint])
            guard let row = try db.row("SELECT theoretical_next_us, held_until_us FROM endpoint_limits WHERE endpoint = ?\(db.dialect.lockRow)", [endpoint]) else {
                throw StoreError.corrupt("the request schedule of \(endpoint) vanished")
            }
            let slots = RequestSlots.reserve(count: count, limit: limit, theoretical: row["theoretical_next_us"], heldUntil: row["held_until_us"],
                                             now: now.microsecondsSince1970, notAfter: notAfter.microsecondsSince1970)
            if !slots.times.isEmpty {
                try db.execute("UPDATE endpoint_limits SET theoretical_next_us = ? WHERE endpoint = ?", [slots.theoreticalNext, endpoint])
            }
            return slots
        }
    }

    public func releaseRequestSlots(endpoint: String, _ slots: RequestSlots, used: Int) async throws {
        guard used < slots.times.count else { return }
        try await backend.write { db in
            // Only if nobody reserved after these: their slots follow this schedule.
            try db.execute("UPDATE endpoint_limits SET theoretical_next_us = ? WHERE endpoint = ? AND theoretical_next_us = ?",
                           [slots.theoretical(using: used), endpoint, slots.theoreticalNext])
        }
    }

    public func holdEndpoint(_ endpoint: String, until: Date, reason: String) async throws {
        try await backend.write { db in
            // A shorter hold never shortens a longer one, whichever instance heard which first.
            try db.execute("""
                INSERT INTO endpoint_limits (endpoint, theoretical_next_us, held_until_us, held_reason) VALUES (?, 0, ?, ?)
                ON CONFLICT(endpoint) DO UPDATE SET
                held_reason = CASE WHEN endpoint_limits.held_until_us >= excluded.held_until_us THEN endpoint_limits.held_reason ELSE excluded.held_reason END,
                held_until_us = CASE WHEN endpoint_limits.held_until_us >= excluded.held_until_us THEN endpoint_limits.held_until_us ELSE excluded.held_until_us END
                """, [endpoint, until.microsecondsSince1970, reason])
        }
    }

    public func liftEndpointHold(_ endpoint: String, now: Date) async throws -> EndpointHold? {
        try await backend.write { db in
            guard let row = try db.row("SELECT held_until_us, held_reason FROM endpoint_limits WHERE endpoint = ? AND held_until_us > ?\(db.dialect.lockRow)",
                                       [endpoint, now.microsecondsSince1970]) else { return nil }
            try db.execute("UPDATE endpoint_limits SET held_until_us = 0, held_reason = NULL WHERE endpoint = ?", [endpoint])
            let hold = EndpointHold(endpoint: endpoint, until: Date(microsecondsSince1970: row["held_until_us"]), reason: row["held_reason"])
            if let carrierID = hold.carrierID {
                // The carrier's parcels that met the hold were given back until its end: due now.
                // Through the due index, so it costs the rows due before the hold's end.
                try db.execute("""
                    UPDATE tracking_schedule SET next_poll_at = ? WHERE next_poll_at > ? AND next_poll_at <= ?
                    AND parcel_id IN (SELECT id FROM parcels WHERE carrier_id = ?)
                    """, [now, now, hold.until.addingTimeInterval(0.001), carrierID])
            }
            return hold
        }
    }

    public func endpointHolds(now: Date) async throws -> [EndpointHold] {
        try await backend.read { db in
            try db.rows("SELECT endpoint, held_until_us, held_reason FROM endpoint_limits WHERE held_until_us > ? ORDER BY endpoint", [now.microsecondsSince1970]).map {
                EndpointHold(endpoint: $0["endpoint"], until: Date(microsecondsSince1970: $0["held_until_us"]), reason: $0["held_reason"])
            }
        }
    }
}
