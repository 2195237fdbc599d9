/// Schema changes both backends share.
enum StoreIndexes {
    /// The two timers' queries read parcels still waiting for drop-off and carrier arrivals not
    /// yet confirmed by a scan. Indexes on every status and every history row served them, and
    /// every status change paid for them: a delete and an insert in `parcels_status`, an insert
    /// in `parcel_history_status`. Partial indexes hold only the rows those queries read, so a
    /// warehouse receipt or a tracking move writes neither.
    static let timerIndexes = [
        "DROP INDEX parcels_status",
        "DROP INDEX parcel_history_status",
        "CREATE INDEX parcels_awaiting_drop_off ON parcels(drop_off_by) WHERE status = 'label_issued'",
        "CREATE INDEX parcel_history_carrier_arrivals ON parcel_history(occurred_at) WHERE status = 'arrived_at_warehouse' AND source = 'carrier'",
    ]

    /// The bytes of the carrier's last stored answer, digested, beside the digest of its events:
    /// a poll that gets the same bytes again moves the schedule on without reading them.
    static let answerDigestColumn = "ALTER TABLE tracking_schedule ADD COLUMN answer_digest TEXT"
}
