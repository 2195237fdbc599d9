import Foundation

extension ReturnRequest {
    /// What an `Idempotency-Key` is compared by: a retry is the same request when it means the
    /// same, whatever its bytes. A marketplace that serialises the request again (another worker,
    /// a new library version) changes key order, whitespace, escapes (`\u05e9` for `ש`), a date's
    /// form (`10:00:00Z`, `12:00:00.000+02:00`), an explicit `"email": null`; comparing bytes
    /// refused such a retry as another request. Any field returnd reads that differs (a title, an
    /// amount written `19.9` for `19.90`, the items' order, a date a millisecond apart) is
    /// another request. Fields returnd does not read do not count, as they change nothing.
    /// `r2:` tells it from the SHA-256 of the body's bytes stored before 2026-12-07. A field
    /// added to the request later as optional leaves older requests' fingerprints alone (an
    /// absent optional is not written); any other change to this encoding needs a new prefix,
    /// and the old fingerprint accepted beside it, as `ReturnIssuance.bodyHash` is now.
    public func fingerprint() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // The instant exactly: ISO 8601 text would drop the fraction of a second.
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(date.timeIntervalSinceReferenceDate.bitPattern)
        }
        return "r2:" + SHA256Hex.digest(try encoder.encode(self))
    }
}
