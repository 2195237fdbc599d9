import Foundation
import ReturnsCore

extension SQLReturnStore {
    /// Rounds of a claim that met schedule rows of parcels no longer followed: each round
    /// deletes those it met, so one pass sweeps at most this many times `limit` of them and the
    /// write stays short for the others waiting on the writer (2,000 scattered deletes took
    /// about 60 ms on SQLite). Rows fall due about as fast as parcels arrive, so a pass
    /// usually meets a few; a backlog (tracking disabled for days) drains over many passes.
    static let claimSweepRounds = 4

    /// `('label_issued', 'dropped_off', 'in_transit')`: the statuses tracking follows, for SQL.
    static let followedStatusesSQL = "(" + ParcelStatus.allCases.filter(\.isFollowedByTracking).map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"

    public func claimPollTargets(now: Date, limit: Int, leaseUntil: Date) async throws -> [PollTarget] {
        try await backend.write { db in
            var claimed: [PollTarget] = []
            for _ in 0..<Self.claimSweepRounds where claimed.count < limit {
                let want = limit - claimed.count
                // Due rows in order whatever the parcel's status: a receipt, an expiry or a
                // cancellation leaves the parcel's schedule row (deleting it there would put
                // three more B-trees in every receipt's write), so the claim deletes such rows
                // as it meets them. Filtered by status in the query instead, they stayed at the
                // head of the due index forever and every pass walked them all: a second per
                // pass with 300,000 parcels received (migration v9/v5 cleared those).
                let rows = try db.rows("""
                    SELECT p.id, p.carrier_id, p.tracking_number, p.status, p.drop_off_by, s.unchanged_polls, s.failures, s.events_digest, s.answer_digest
                    FROM tracking_schedule s JOIN parcels p ON p.id = s.parcel_id
                    WHERE s.next_poll_at <= ? AND (s.lease_until IS NULL OR s.lease_until <= ?)
                    ORDER BY s.next_poll_at LIMIT ?\(db.dialect.skipLocked("s"))
                    """, [now, now, want])
                var followed: [PollTarget] = [], finished: [String] = []
                for row in rows {
                    let id: String = row["id"]
                    // A status this build does not know is left alone (neither polled nor swept).
                    guard let status = ParcelStatus(rawValue: row["status"]) else { continue }
                    guard status.isFollowedByTracking else { finished.append(id); continue }
                    followed.append(PollTarget(parcelID: id, carrierID: row["carrier_id"], trackingNumber: row["tracking_number"], status: status,
                                               unchangedPolls: row["unchanged_polls"], failures: row["failures"],
                                               eventsDigest: row["events_digest"], answerDigest: row["answer_digest"],
                                               dropOffBy: status == .labelIssued ? row["drop_off_by"] as Date : nil))
                }
                // One statement each for the whole round: a statement per parcel was a tenth of a pass.
                if !followed.isEmpty {
                    try db.execute("UPDATE tracking_schedule SET lease_until = ? WHERE parcel_id IN (\(db.dialect.textsOfJSONArray))", [leaseUntil, try Self.jsonArray(followed.map(\.parcelID))])
                }
                if !finished.isEmpty {
                    try db.execute("DELETE FROM tracking_schedule WHERE parcel_id IN (\(db.dialect.textsOfJSONArray))", [try Self.jsonArray(finished)])
                }
                claimed += followed
                // Fewer rows than asked: nothing more is due. No finished rows: the claim is full.
                if rows.count < want || finished.isEmpty { break }
            }
            return claimed
        }
    }

    static func jsonArray(_ texts: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(texts), as: UTF8.self)
    }

    public func recordPoll(_ record: PollRecord) async throws -> PollRecordOutcome {
        let digest = Self.digest(record)
        return try await backend.write { db in try Self.apply(record, digest: digest, db) }
    }

    public func recordPolls(_ records: [PollRecord]) async -> [Result<PollRecordOutcome, any Error>] {
        func oneByOne() async -> [Result<PollRecordOutcome, any Error>] {
            await records.asyncMap { r in await Result(catching: { try await self.recordPoll(r) }) }
        }
        guard records.count > 1 else { return await oneByOne() }
        let digests = records.map(Self.digest)
        do {
            let outcomes = try await backend.write { db in try zip(records, digests).map { try Self.apply($0, digest: $1, db) } }
            return outcomes.map { .success($0) }
        } catch {
            // One record failed and took the transaction with it: each again on its own, so
            // the others are stored and only the failing one reports its error.
            return await oneByOne()
        }
    }

    static func digest(_ record: PollRecord) -> String? {
        if case .events(let events) = record.outcome { TrackingEventRecord.digest(events) } else { nil }
    }

    static func apply(_ record: PollRecord, digest: String?, _ db: any SQLSession) throws -> PollRecordOutcome {
        // The answer the last poll had (the same bytes, or the same events): no event can be
        // new, so only the schedule moves on, in one statement. Skipped (the full path below) if
        // the parcel stopped being followed or another poll stored a different answer since the
        // claim.
        let same = record.outcome == .sameAnswer
        let quiet = same || (digest != nil && digest == record.knownDigest)
        let expected = same ? record.answerDigest : digest
        let sql = same ? QuietSQL.byAnswer : QuietSQL.byEvents
        // The claim's status still holds: one lookup of the parcel, not two.
        if quiet, let known = record.knownStatus, known.isFollowedByTracking {
            let moved = try db.execute(sql.statusKnown, [record.nextPollAt, record.polledAt, record.answerDigest, record.parcelID, expected, record.parcelID, known.rawValue])
            if moved == 1 { return PollRecordOutcome(status: known, newEvents: [], statusChanges: []) }
        } else if quiet, let status = try db.string(sql.statusRead, [record.nextPollAt, record.polledAt, record.answerDigest, record.parcelID, expected, record.parcelID]),
            let status = ParcelStatus(rawValue: status)
        {
            return PollRecordOutcome(status: status, newEvents: [], statusChanges: [])
        }
        var fresh: [TrackingEventRecord] = [], stale: [TrackingEventRecord] = [], ahead: [TrackingEventRecord] = [], closed: [TrackingEventRecord] = []
        var changes: [ParcelStatus] = []
        var error: String?
        // The parcel as the last change left it: several events of one poll load it once.
        var current: Parcel?
        switch record.outcome {
        case .events(let events):
            for e in events.sorted(by: { $0.occurredAt < $1.occurredAt }) {
                let inserted = try db.execute("""
                    INSERT INTO tracking_events (parcel_id, code, description, occurred_at, location, status, recorded_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                    """, [record.parcelID, e.code, e.description, e.occurredAt, e.location, e.status?.rawValue, record.polledAt])
                guard inserted == 1 else { continue }
                fresh.append(e)
                guard let status = e.status else { continue }
                if current == nil { current = try loadParcel(db, where: "id = ?", record.parcelID, lock: true) }
                // A tracking number comes back into use after a carrier's years-old ranges: its
                // old events (a delivery) must not tell a dispute this parcel arrived.
                if let parcel = current, e.isBeforeIssue(of: parcel) {
                    stale.append(e)
                    continue
                }
                // Events are applied oldest first: acceptance, then transit, then delivery.
                let isAhead = e.isAhead(ofPoll: record.polledAt)
                let note = isAhead ? " (dated \(e.occurredAt.formatted(.iso8601)) by the carrier, after the poll: recorded at the poll's time)" : ""
                // The parcel expired (or was cancelled) after the claim, before this answer: the
                // carrier's news is kept, and reported, but nothing follows a closed parcel.
                if let parcel = current, parcel.status.isClosed {
                    closed.append(e)
                    continue
                }
                let change = try Self.change(
                    StatusChangeRequest(parcelID: record.parcelID, status: status, source: .carrier, occurredAt: e.statusTime(polledAt: record.polledAt),
                                        detail: "carrier \(e.code): \(e.description)\(note)", location: e.location),
                    db, loaded: current)
                current = change.parcel
                if change.changed {
                    changes.append(status)
                    if isAhead { ahead.append(e) }
                }
            }
        case .sameAnswer, .notFound:
            // The same answer's events were all stored with it: nothing to add.
            break
        case .failed(let message):
            error = message
        }
        guard let raw = try db.string("SELECT status FROM parcels WHERE id = ?", [record.parcelID]), let status = ParcelStatus(rawValue: raw) else {
            throw StoreError.notFound("parcel \(record.parcelID)")
        }
        if status.isFollowedByTracking {
            try db.execute("""
                UPDATE tracking_schedule SET next_poll_at = ?, lease_until = NULL, last_polled_at = ?, last_error = ?,
                unchanged_polls = CASE WHEN ? = 1 THEN 0 ELSE unchanged_polls + 1 END,
                failures = CASE WHEN ? = 1 THEN failures + 1 ELSE 0 END,
                events_digest = COALESCE(?, events_digest), answer_digest = COALESCE(?, answer_digest)
                WHERE parcel_id = ?
                """, [fresh.isEmpty ? record.nextPollAt : record.nextPollAfterNews, record.polledAt, error, !fresh.isEmpty, error != nil, digest,
                      error == nil ? record.answerDigest : nil, record.parcelID])
        } else {
            // Arrived (or expired, cancelled): nothing left to follow.
            try db.execute("DELETE FROM tracking_schedule WHERE parcel_id = ?", [record.parcelID])
        }
        return PollRecordOutcome(status: status, newEvents: fresh, statusChanges: changes, staleEvents: stale, aheadEvents: ahead, closedEvents: closed)
    }

    /// The quiet path's statements, by the digest that matched, built once: interpolated per
    /// record they had cost a fresh string (and its hash for the statement cache) each time.
    struct QuietSQL {
        /// Known status of the claim: moves the schedule on if the parcel still has it.
        let statusKnown: String
        /// No status known: moves it on while the parcel is followed, and returns its status.
        let statusRead: String

        init(column: String) {
            let moveOn = """
                UPDATE tracking_schedule SET next_poll_at = ?, lease_until = NULL, last_polled_at = ?, last_error = NULL,
                unchanged_polls = unchanged_polls + 1, failures = 0, answer_digest = COALESCE(?, answer_digest)
                WHERE parcel_id = ? AND \(column) = ?
                """
            statusKnown = "\(moveOn) AND EXISTS (SELECT 1 FROM parcels p WHERE p.id = ? AND p.status = ?)"
            statusRead = """
                \(moveOn) AND EXISTS (SELECT 1 FROM parcels p WHERE p.id = ? AND p.status IN \(SQLReturnStore.followedStatusesSQL))
                RETURNING (SELECT p.status FROM parcels p WHERE p.id = tracking_schedule.parcel_id)
                """
        }

        static let byAnswer = QuietSQL(column: "answer_digest")
        static let byEvents = QuietSQL(column: "events_digest")
    }

    public func releasePollTargets(parcelIDs: [String], nextPollAt at: Date) async throws {
        guard !parcelIDs.isEmpty else { return }
        try await backend.write { db in
            for id in parcelIDs {
                try db.execute("UPDATE tracking_schedule SET lease_until = NULL, next_poll_at = ? WHERE parcel_id = ?", [at, id])
            }
        }
    }

    public func carrierHealth() async throws -> [CarrierHealthSummary] {
        try await backend.read { db in
            // Driven by the schedule (parcels still followed, and received ones not swept yet),
            // never by `parcels`: SQLite's planner scanned every parcel ever stored for its
            // status (0.39 s with 10,000 followed among a million, against 0.05 s this way).
            // CROSS JOIN fixes SQLite's loop order; PostgreSQL reads it as an inner join.
            let errors = try db.rows("""
                SELECT carrier_id, last_error FROM (
                    SELECT p.carrier_id, s.last_error, ROW_NUMBER() OVER (PARTITION BY p.carrier_id ORDER BY s.last_polled_at DESC) AS latest
                    FROM tracking_schedule s CROSS JOIN parcels p
                    WHERE p.id = s.parcel_id AND s.failures > 0 AND p.status IN \(Self.followedStatusesSQL)
                ) AS failing WHERE latest = 1
                """).reduce(into: [String: String]()) { $0[$1["carrier_id"]] = $1["last_error"] as String? }
            return try db.rows("""
                SELECT p.carrier_id, COUNT(*) AS followed, SUM(CASE WHEN s.failures > 0 THEN 1 ELSE 0 END) AS failing,
                       MAX(s.last_polled_at) AS last_polled
                FROM tracking_schedule s CROSS JOIN parcels p
                WHERE p.id = s.parcel_id AND p.status IN \(Self.followedStatusesSQL)
                GROUP BY p.carrier_id ORDER BY p.carrier_id
                """).map {
                CarrierHealthSummary(carrierID: $0["carrier_id"], followed: $0["followed"], failing: $0["failing"] ?? 0, lastPolledAt: $0["last_polled"], lastError: errors[$0["carrier_id"]])
            }
        }
    }

    public func trackingEvents(parcelID: String) async throws -> [TrackingEventRecord] {
        try await backend.read { db in
            try db.rows("SELECT * FROM tracking_events WHERE parcel_id = ? ORDER BY occurred_at, id", [parcelID]).map {
                TrackingEventRecord(code: $0["code"], description: $0["description"], occurredAt: $0["occurred_at"], location: $0["location"],
                                    status: ($0["status"] as String?).flatMap(ParcelStatus.init(rawValue:)), recordedAt: $0["recorded_at"])
            }
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

extension Array {
    /// One after another, in order.
    func asyncMap<T>(_ transform: (Element) async -> T) async -> [T] {
        var out: [T] = []
        out.reserveCapacity(count)
        for e in self { out.append(await transform(e)) }
        return out
    }
}
