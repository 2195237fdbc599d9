import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReturnsCore
import Testing

/// Text that breaks naive string handling, sent in every text field of every route. The daemon
/// runs in this process: a trap anywhere (as `ß` in a return code once did) ends the test run.
/// Every answer must be a 2xx or a 4xx with an error code, never a 5xx; a parcel that is accepted
/// must render its label in every format.
@Suite("Hostile text in every field")
struct HostileTextTests {
    static let strings: [String] = [
        "ß", "ßßßß-ßßßß-ß", "ŉŉŉŉŉŉŉŉŉ", "ﬀ", "İstanbul", "ǰ",  // capitals or smalls of two characters
        "e\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}",  // one letter, nine marks
        "👩‍👩‍👧‍👦", "🇫🇷🇫🇷🇫🇷🇫🇷🇫🇷🇫🇷🇫🇷🇫🇷🇫🇷",  // one grapheme of many scalars; nine flags
        "\u{202E}evil\u{202C}", "שלום עולם 123", "مرحبا ٣٤٥",  // bidi override, RTL, Arabic digits
        "１２３４５６７８９", "٣٣٣٣٣٣٣٣٣",  // digits that are not ASCII
        "\r\n", "\u{0}", "a\u{0}b", "\u{FEFF}", "\u{FFFD}", "\u{7F}", "^XZ^XA~JR", "",
        "\u{200B}", "\u{202E}\u{202C}", "\u{301}",  // nothing visible: zero-width space, bidi controls, a lone mark
        "a\u{FFFF}b", String(Unicode.Scalar(0xFDD0)!) + "名" + String(Unicode.Scalar(0x10FFFE)!),  // noncharacters, which cairo refused (FuzzLabels found it)
        String(repeating: "Ж", count: 300),
        // 200 emoji of 7 scalars each, and one letter carrying 3,000 combining marks: short in
        // grapheme clusters, long in scalars and bytes.
        String(repeating: "👩‍👩‍👧‍👦", count: 200), "e" + String(repeating: "\u{301}", count: 3000),
    ]

    /// Refused in every text field: empty, control characters, nothing visible, longer than any
    /// field allows. Lengths count Unicode scalars, as `maxLength` does in `openapi.yaml`: the
    /// last two are 1,400 and 3,001 of them.
    static let refusedEverywhere: Set<String> = [
        "", "\r\n", "\u{0}", "a\u{0}b", "\u{7F}", "\u{FEFF}", "\u{200B}", "\u{202E}\u{202C}", "\u{301}",
        String(repeating: "Ж", count: 300),
        String(repeating: "👩‍👩‍👧‍👦", count: 200), "e" + String(repeating: "\u{301}", count: 3000),
    ]

    /// What an answer may be: success, or a refusal with an error code. Never a 5xx.
    static func check(_ r: TestResponse, _ what: @autoclosure () -> String) {
        let code = Int(r.status.code)
        #expect(code < 500, "\(what()): \(code) \(String(buffer: r.body).prefix(200))")
        if code >= 400 { #expect(r.errorCode != nil, "\(what()): \(code) without an error code") }
    }

    static func json(_ object: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test("kiosk and warehouse routes answer every hostile code, scan time, SKU and outcome with 2xx or 4xx")
    func scanRoutes() async throws {
        let h = try await TestHarness()
        let (market, kiosk, scanner) = try await h.parties()
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let tracking = p["tracking_number"] as! String
            let now = h.clock.date.formatted(.iso8601)
            for s in Self.strings {
                for route in ["/v1/kiosk/scans", "/v1/kiosk/dropoffs"] {
                    let r = try await h.post(client, route, token: kiosk, Self.json(["code": s]))
                    Self.check(r, "\(route) code \(s.debugDescription)")
                    #expect(r.status.code >= 400, "\(route) code \(s.debugDescription) found a parcel")
                }
                let receipt = try await h.post(client, "/v1/warehouse/receipts", token: scanner, Self.json(["code": s, "scanned_at": now]))
                Self.check(receipt, "receipt code \(s.debugDescription)")
                #expect(receipt.status.code >= 400)
                let badTime = try await h.post(client, "/v1/warehouse/receipts", token: scanner, Self.json(["code": tracking, "scanned_at": s]))
                Self.check(badTime, "receipt scanned_at \(s.debugDescription)")
                #expect(badTime.status == .badRequest, "receipt scanned_at \(s.debugDescription)")
            }
            // Inspections need the parcel received first.
            let received = try await h.post(client, "/v1/warehouse/receipts", token: scanner, Self.json(["code": tracking, "scanned_at": now]))
            #expect(received.status == .ok)
            for s in Self.strings {
                for item in [["sku": s, "outcome": "accepted"], ["sku": "SKU-1", "outcome": s]] {
                    let r = try await h.post(client, "/v1/warehouse/inspections", token: scanner, Self.json(["code": tracking, "items": [item]]))
                    Self.check(r, "inspection \(item)")
                    #expect(r.status.code >= 400, "inspection \(item) was accepted")
                }
            }
            // A rejection's reason goes to the marketplace: empty is not a reason, controls and
            // more than 500 characters are refused; any other text is taken.
            // (300 characters are within a reason's 500.)
            for s in Self.refusedEverywhere.subtracting([String(repeating: "Ж", count: 300)]).sorted() {
                let item = ["sku": "SKU-1", "outcome": "rejected", "reason": s]
                let r = try await h.post(client, "/v1/warehouse/inspections", token: scanner, Self.json(["code": tracking, "items": [item]]))
                #expect(r.status == .badRequest && r.errorCode == "invalid_request", "reason \(s.debugDescription): \(r.status.code)")
            }
            // After all that the parcel is where the one good receipt put it.
            let shown = try await client.execute(uri: "/v1/parcels/\(p["id"] as! String)", method: .get, headers: bearer(market))
            #expect(shown.parcel["status"] as? String == "arrived_at_warehouse")
            let reason = "écran fissuré 👩‍👩‍👧‍👦 \u{202E}מסך\u{202C}"
            let judged = try await h.post(client, "/v1/warehouse/inspections", token: scanner,
                                          Self.json(["code": tracking, "items": [["sku": "SKU-1", "outcome": "rejected", "reason": reason]]]))
            #expect(judged.status == .ok)
            #expect(((judged.json["inspection"] as? [[String: Any]])?.first?["reason"] as? String) == reason)
        }
    }

    @Test("parcel, label and service-point lookups answer every hostile path and query with 2xx or 4xx")
    func lookupRoutes() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        try await h.run { client in
            let id = try await h.newParcel(client, token: market)["id"] as! String
            for s in Self.strings {
                let escaped = s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                for uri in ["/v1/parcels/\(escaped)", "/v1/parcels/\(escaped)/label?format=pdf", "/v1/parcels/\(id)/label?format=\(escaped)", "/v1/service-points?country=\(escaped)"] {
                    let r = try await client.execute(uri: uri, method: .get, headers: bearer(market))
                    Self.check(r, uri)
                    #expect(r.status.code >= 400, "\(uri) answered \(r.status.code)")
                }
            }
        }
    }

    @Test("a new return with hostile text is refused 400 where the field has a form or the text is empty, shows nothing, holds controls or is too long; otherwise it is accepted and its label renders in every format")
    func createReturn() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let received = h.clock.date.addingTimeInterval(-5 * 86_400).formatted(.iso8601)
        // Each field path, and how to set it in a fresh body.
        let fields: [(String, @Sendable (inout [String: Any], String) -> Void)] = [
            ("dispute_id", { $0["dispute_id"] = $1 }), ("order_id", { $0["order_id"] = $1 }), ("reason", { $0["reason"] = $1 }),
            ("received_at", { $0["received_at"] = $1 }),
            ("buyer.id", { Self.set(&$0, "buyer", "id", $1) }), ("buyer.name", { Self.set(&$0, "buyer", "name", $1) }),
            ("buyer.email", { Self.set(&$0, "buyer", "email", $1) }),
            ("address.lines", { Self.setAddress(&$0, "lines", [$1]) }), ("address.city", { Self.setAddress(&$0, "city", $1) }),
            ("address.postal_code", { Self.setAddress(&$0, "postal_code", $1) }), ("address.country", { Self.setAddress(&$0, "country", $1) }),
            ("seller.id", { Self.set(&$0, "seller", "id", $1) }), ("seller.name", { Self.set(&$0, "seller", "name", $1) }),
            ("item.sku", { Self.setItem(&$0, "sku", $1) }), ("item.title", { Self.setItem(&$0, "title", $1) }),
            ("item.currency", { Self.setItem(&$0, "unit_price", ["amount": "4.99", "currency": $1]) }),
            ("item.amount", { Self.setItem(&$0, "unit_price", ["amount": $1, "currency": "EUR"]) }),
        ]
        // Fields with a form of their own: a date, a country code, a currency, an amount.
        let formed: Set = ["received_at", "address.country", "item.currency", "item.amount"]
        try await h.run { client in
            var n = 0
            for (field, set) in fields {
                for s in Self.strings {
                    n += 1
                    var body: [String: Any] = [
                        "dispute_id": "D-H-\(n)", "order_id": "O-\(n)", "received_at": received, "reason": "not_as_described",
                        "buyer": ["id": "B-H-\(n)", "name": "Jeanne Martin", "email": "jeanne@example.org",
                                  "address": ["lines": ["12 rue de la Paix"], "city": "Paris", "postal_code": "75002", "country": "FR"]],
                        "seller": ["id": "S-H-\(n)", "name": "Boutique"],
                        "items": [["sku": "SKU-\(n)", "title": "Lamp", "quantity": 1, "unit_price": ["amount": "4.99", "currency": "EUR"], "free_return": true]],
                    ]
                    set(&body, s)
                    let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(market), body: ByteBuffer(string: Self.json(body)))
                    Self.check(r, "\(field) = \(s.debugDescription)")
                    if formed.contains(field) || Self.refusedEverywhere.contains(s) {
                        #expect(r.status == .badRequest && r.errorCode == "invalid_request", "\(field) = \(s.debugDescription): \(r.status.code)")
                        continue
                    }
                    #expect(r.status == .created, "\(field) = \(s.debugDescription): \(r.status.code) \(String(buffer: r.body).prefix(200))")
                    guard let id = r.parcel["id"] as? String else { continue }
                    for format in ["pdf", "png", "svg", "zpl"] {
                        let label = try await client.execute(uri: "/v1/parcels/\(id)/label?format=\(format)", method: .get, headers: bearer(market))
                        #expect(label.status == .ok && label.body.readableBytes > 0, "\(field) = \(s.debugDescription): \(format) label \(label.status.code)")
                    }
                }
            }
        }
    }

    static func set(_ body: inout [String: Any], _ object: String, _ key: String, _ value: Any) {
        var o = body[object] as! [String: Any]
        o[key] = value
        body[object] = o
    }

    static func setAddress(_ body: inout [String: Any], _ key: String, _ value: Any) {
        var buyer = body["buyer"] as! [String: Any]
        var address = buyer["address"] as! [String: Any]
        address[key] = value
        buyer["address"] = address
        body["buyer"] = buyer
    }

    static func setItem(_ body: inout [String: Any], _ key: String, _ value: Any) {
        var items = body["items"] as! [[String: Any]]
        items[0][key] = value
        body["items"] = items
    }
}
