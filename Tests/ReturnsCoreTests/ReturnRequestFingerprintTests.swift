import Foundation
import ReturnsCore
import Testing

@Suite("A return request's fingerprint (what an Idempotency-Key is compared by)")
struct ReturnRequestFingerprintTests {
    static let body = #"""
        {"dispute_id": "D-1", "order_id": "O-1", "received_at": "2026-12-01T10:00:00Z", "reason": "not_as_described",
         "buyer": {"id": "B-1", "name": "שרה כהן", "address": {"lines": ["רחוב הרצל 12"], "city": "Tel Aviv", "postal_code": "6100000", "country": "IL"}},
         "seller": {"id": "S-1", "name": "Gadgets/Shenzhen"},
         "items": [{"sku": "A", "title": "Cable", "quantity": 1, "unit_price": {"amount": "19.90", "currency": "ILS"}, "free_return": true},
                   {"sku": "B", "title": "Lamp", "quantity": 2, "unit_price": {"amount": "5", "currency": "ILS"}, "free_return": true}]}
        """#

    func fingerprint(_ json: String) throws -> String {
        try JSONDecoder.returnd.decode(ReturnRequest.self, from: Data(json.utf8)).fingerprint()
    }

    /// The body parsed, changed by `edit`, and written again with `options`.
    func rewritten(_ options: JSONSerialization.WritingOptions = [], _ edit: (inout [String: Any]) -> Void = { _ in }) throws -> String {
        var object = try JSONSerialization.jsonObject(with: Data(Self.body.utf8)) as! [String: Any]
        edit(&object)
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: options), as: UTF8.self)
    }

    @Test("the same request written again is the same: key order, whitespace, escapes, the instant in another form, an absent email sent as null, a field returnd does not read")
    func sameMeaning() throws {
        let original = try fingerprint(Self.body)
        #expect(original.hasPrefix("r2:") && original.count == 67)
        let escaped = Self.body.replacingOccurrences(of: "שרה", with: #"\u05e9\u05e8\u05d4"#).replacingOccurrences(of: "/", with: #"\/"#)
        let sameInstant = Self.body.replacingOccurrences(of: "2026-12-01T10:00:00Z", with: "2026-12-01T12:00:00.000+02:00")
        let withNull = Self.body.replacingOccurrences(of: #""name": "שרה כהן","#, with: #""name": "שרה כהן", "email": null,"#)
        let unread = Self.body.replacingOccurrences(of: #""reason": "not_as_described","#, with: #""reason": "not_as_described", "channel": "app","#)
        for same in [try rewritten(), try rewritten([.sortedKeys, .prettyPrinted]), escaped, sameInstant, withNull, unread] {
            #expect(try fingerprint(same) == original, "\(same)")
        }
    }

    @Test("a field returnd reads that differs is another request: a title, an amount written with fewer digits, the items' order, an instant a millisecond apart, an email given")
    func otherMeaning() throws {
        let original = try fingerprint(Self.body)
        let others = [
            Self.body.replacingOccurrences(of: "Cable", with: "Cable "),
            Self.body.replacingOccurrences(of: "19.90", with: "19.9"),
            Self.body.replacingOccurrences(of: "2026-12-01T10:00:00Z", with: "2026-12-01T10:00:00.001Z"),
            Self.body.replacingOccurrences(of: #""name": "שרה כהן","#, with: #""name": "שרה כהן", "email": "s@example.org","#),
            try rewritten { o in o["items"] = Array((o["items"] as! [Any]).reversed()) },
            try rewritten { o in o["dispute_id"] = "D-2" },
        ]
        for other in others {
            #expect(try fingerprint(other) != original, "\(other)")
        }
        #expect(Set(try others.map(fingerprint)).count == others.count)
    }
}
