import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReturnsCore
import Testing

@Suite("POST /v1/returns on a real SQLite file")
struct ReturnRouteTests {
    @Test("a new return answers 201 with the parcel: tracking number, return code, QR payload, label links, deadline")
    func createsParcel() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(country: "FR"))
            #expect(r.status == .created)
            let p = r.parcel
            let tracking = try #require(p["tracking_number"] as? String)
            #expect(TrackingNumberScheme.isValidS10(tracking) && tracking.hasSuffix("FR"))
            #expect(p["carrier"] as? String == "fr_colissimo")
            #expect(p["status"] as? String == "label_issued")
            #expect(p["label_required"] as? Bool == true)
            #expect(r.headers[.location] == "/v1/parcels/\(p["id"] as! String)")
            let code = try #require(p["return_code"] as? String)
            #expect(try ReturnCode(parsing: code).description == code)
            let payload = try h.signer.verify(try #require(p["qr_payload"] as? String))
            #expect(payload.parcelID == p["id"] as? String && payload.trackingNumber == tracking)
            #expect((p["label_urls"] as? [String: String])?["zpl"] == "/v1/parcels/\(p["id"] as! String)/label?format=zpl")
            // Received 5 days ago with a 15-day window: drop off within 10 days.
            let dropOffBy = try #require((p["drop_off_by"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
            #expect(abs(dropOffBy.timeIntervalSince(h.clock.date) - 10 * 86_400) < 1)
            #expect((p["warehouse"] as? [String: Any])?["id"] as? String == "WH-FR-LYS")
        }
    }

    @Test("a buyer's email sent as null is taken as none, as openapi.yaml declares it (a string or null), and one sent as a string is stored")
    func nullEmailIsNone() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let body = String(buffer: h.returnBody(dispute: "D-NULL")).replacingOccurrences(of: #""email": "ivan@example.org""#, with: #""email": null"#)
            #expect(body.contains(#""email": null"#))
            let none = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: ByteBuffer(string: body))
            #expect(none.status == .created)
            #expect(try await h.store.parcel(id: try #require(none.parcel["id"] as? String))?.buyer.email == nil)
            let given = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(dispute: "D-MAIL", seller: "S-2"))
            #expect(given.status == .created)
            #expect(try await h.store.parcel(id: try #require(given.parcel["id"] as? String))?.buyer.email == "ivan@example.org")
        }
    }

    @Test("Russia gets a barcode-only parcel with a Russian Post domestic number")
    func russiaBarcodeOnly() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(country: "RU"))
            #expect(r.status == .created)
            #expect(r.parcel["label_required"] as? Bool == false)
            #expect(TrackingNumberScheme.isValidRussianPostDomestic(r.parcel["tracking_number"] as? String ?? ""))
        }
    }

    @Test("items of the same buyer and seller join the open parcel (200) and the label shows them all")
    func groupsIntoOpenParcel() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let first = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(dispute: "D-1", skus: ["A-1"]))
            let second = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(dispute: "D-2", skus: ["B-1", "B-2"]))
            #expect(first.status == .created)
            #expect(second.status == .ok)
            #expect(second.headers[HTTPField.Name("Returnd-Outcome")!] == "joined")
            #expect(second.parcel["id"] as? String == first.parcel["id"] as? String)
            #expect(second.parcel["tracking_number"] as? String == first.parcel["tracking_number"] as? String)
            #expect((second.parcel["items"] as? [[String: Any]])?.compactMap { $0["sku"] as? String } == ["A-1", "B-1", "B-2"])
            let id = first.parcel["id"] as! String
            let zpl = try await client.execute(uri: "/v1/parcels/\(id)/label?format=zpl", method: .get, headers: bearer(token))
            let text = String(buffer: zpl.body)
            for sku in ["A-1", "B-1", "B-2"] { #expect(text.contains("(\(sku))"), "\(sku) missing from the re-rendered label") }
        }
    }

    @Test("a parcel answer dates its label version: label_issued_at is created_at for version 1, the join's time for version 2, also when read again")
    func labelIssuedAtFollowsTheJoin() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let first = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(dispute: "D-1", skus: ["A-1"]))
            let createdAt = h.clock.date.formatted(.iso8601)
            #expect(first.parcel["label_version"] as? Int == 1)
            #expect(first.parcel["created_at"] as? String == createdAt && first.parcel["label_issued_at"] as? String == createdAt)
            h.clock.advance(days: 2)
            let second = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(dispute: "D-2", skus: ["B-1"]))
            let joinedAt = h.clock.date.formatted(.iso8601)
            #expect(second.status == .ok && second.parcel["label_version"] as? Int == 2)
            #expect(second.parcel["created_at"] as? String == createdAt && second.parcel["label_issued_at"] as? String == joinedAt)
            let id = try #require(first.parcel["id"] as? String)
            let read = try await client.execute(uri: "/v1/parcels/\(id)", method: .get, headers: bearer(token))
            #expect(read.parcel["label_version"] as? Int == 2 && read.parcel["label_issued_at"] as? String == joinedAt)
        }
    }

    @Test("items for a buyer and seller whose open parcel is past its deadline (waiting for its carrier's word) open a parcel of their own (201), which later items join; the waiting parcel keeps its items and its deadline")
    func openParcelPastDeadline() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let first = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(dispute: "D-1", skus: ["A-1"]))
            let id = first.parcel["id"] as! String
            h.clock.advance(days: 10 + 1.0 / 1440)
            let second = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(dispute: "D-2", skus: ["B-1"], receivedDaysAgo: 2))
            #expect(second.status == .created && second.headers[HTTPField.Name("Returnd-Outcome")!] == "created")
            let own = try #require(second.parcel["id"] as? String)
            #expect(own != id && second.parcel["label_required"] as? Bool == true)
            let waiting = try #require(try await h.store.parcel(id: id))
            #expect(waiting.items.map(\.sku) == ["A-1"] && waiting.status == .labelIssued)
            #expect(waiting.dropOffBy.formatted(.iso8601) == first.parcel["drop_off_by"] as? String)
            let third = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(dispute: "D-3", skus: ["C-1"], receivedDaysAgo: 2))
            #expect(third.status == .ok && third.parcel["id"] as? String == own)
            // Once the waiting parcel expires, the buyer and seller still have one open parcel.
            _ = try await h.store.changeStatus(.init(parcelID: id, status: .expired, source: .timer, occurredAt: h.clock.date))
            let fourth = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(dispute: "D-4", skus: ["E-1"], receivedDaysAgo: 2))
            #expect(fourth.status == .ok && fourth.parcel["id"] as? String == own)
            #expect(try await h.store.consistencyProblems().isEmpty)
        }
    }

    @Test("items of different sellers never share a parcel")
    func differentSellers() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let a = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(dispute: "D-1", seller: "S-1"))
            let b = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(dispute: "D-2", seller: "S-2"))
            #expect(a.status == .created && b.status == .created)
            #expect(a.parcel["id"] as? String != b.parcel["id"] as? String)
        }
    }

    @Test("past the 15-day window the request is refused with 422 return_window_closed")
    func windowClosed() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(receivedDaysAgo: 16))
            #expect(r.status == .unprocessableContent)
            #expect(r.errorCode == "return_window_closed")
            let ok = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(receivedDaysAgo: 14.9))
            #expect(ok.status == .created)
        }
    }

    @Test("an item not flagged free-return is refused with 422 item_not_free_return")
    func notFreeReturn() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(freeReturn: false))
            #expect(r.status == .unprocessableContent)
            #expect(r.errorCode == "item_not_free_return")
        }
    }

    @Test("the same item twice is refused with 409 item_already_returned")
    func itemTwice() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            _ = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody())
            let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody())
            #expect(r.status == .conflict)
            #expect(r.errorCode == "item_already_returned")
        }
    }

    @Test("a replay with the same Idempotency-Key answers 200 with the same parcel; another body with that key is 422")
    func idempotency() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "kiosk-retry-1"]
            let first = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token, key), body: h.returnBody())
            let replay = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token, key), body: h.returnBody())
            #expect(first.status == .created)
            #expect(replay.status == .ok)
            #expect(replay.headers[HTTPField.Name("Returnd-Outcome")!] == "replayed")
            #expect(replay.parcel["id"] as? String == first.parcel["id"] as? String)
            let other = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token, key), body: h.returnBody(skus: ["OTHER"]))
            #expect(other.status == .unprocessableContent)
            #expect(other.errorCode == "idempotency_key_reused")
        }
    }

    @Test("a retry serialised again (keys in another order, other whitespace, escaped letters, the same instant with an offset) is the same request under its key: 200 replayed; a changed title under it is 422")
    func idempotencyComparesMeaning() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "worker-7"]
            let body = String(buffer: h.returnBody())
            let first = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token, key), body: ByteBuffer(string: body))
            #expect(first.status == .created)
            // Another worker writes the same request: sorted and indented, Cyrillic escaped, the
            // date at UTC+02:00 with milliseconds.
            var object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
            let atPlusTwo = ISO8601DateFormatter()
            atPlusTwo.timeZone = TimeZone(secondsFromGMT: 7200)
            atPlusTwo.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            object["received_at"] = atPlusTwo.string(from: try UTCDateTime.date(rfc3339: object["received_at"] as! String))
            var again = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self)
            again = again.replacingOccurrences(of: "Иван", with: #"\u0418\u0432\u0430\u043d"#)
            #expect(again != body && again.contains(#"\u0418"#) && again.contains("+02:00"))
            let replay = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token, key), body: ByteBuffer(string: again))
            #expect(replay.status == .ok && replay.headers[HTTPField.Name("Returnd-Outcome")!] == "replayed", "\(replay.status) \(String(buffer: replay.body).prefix(300))")
            #expect(replay.parcel["id"] as? String == first.parcel["id"] as? String)
            let changed = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token, key),
                                                   body: ByteBuffer(string: body.replacingOccurrences(of: "USB-C cable 2 m", with: "USB-C cable 1 m")))
            #expect(changed.status == .unprocessableContent && changed.errorCode == "idempotency_key_reused")
            #expect(try await h.store.outbox(state: .pending, limit: 10).count == 1)
        }
    }

    @Test("a malformed body is 400 invalid_request naming the field, an empty one says it is empty; an oversized one is 413")
    func malformedBodies() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let notJSON = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: ByteBuffer(string: "{nope"))
            #expect(notJSON.status == .badRequest && notJSON.errorCode == "invalid_request")
            #expect((notJSON.json["error"] as? [String: Any])?["message"] as? String == "the body is not valid JSON")
            let kiosk = try await h.token(.kiosk, scope: "FR-PARIS-0042")
            for (uri, caller) in [("/v1/returns", token), ("/v1/kiosk/scans", kiosk)] {
                let empty = try await client.execute(uri: uri, method: .post, headers: bearer(caller), body: ByteBuffer())
                #expect(empty.status == .badRequest && (empty.json["error"] as? [String: Any])?["message"] as? String == "the body is empty; send a JSON object", "\(uri)")
            }
            let withoutOrder = String(buffer: h.returnBody()).replacingOccurrences(of: #""order_id": "8190023345","#, with: "")
            let missing = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: ByteBuffer(string: withoutOrder))
            #expect(missing.status == .badRequest)
            #expect((missing.json["error"] as? [String: Any])?["message"] as? String == "missing field order_id")
            let badDate = String(buffer: h.returnBody()).replacingOccurrences(of: #""received_at": ""#, with: #""received_at": "yesterday"#)
            let date = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: ByteBuffer(string: badDate))
            #expect(date.status == .badRequest)
            #expect(((date.json["error"] as? [String: Any])?["message"] as? String)?.contains("received_at") == true)
            let huge = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: ByteBuffer(repeating: UInt8(ascii: " "), count: (1 << 20) + 1))
            #expect(huge.status == .contentTooLarge, "\(huge.status) \(String(buffer: huge.body))")
            #expect(huge.errorCode == "body_too_large")
            #expect((huge.json["error"] as? [String: Any])?["message"] as? String == "the request body is larger than the configured http.max_request_body_bytes (1048576 bytes)")
        }
    }

    @Test("a key sent twice in one object, at the top or nested, is 400 naming it and where, and nothing is stored; a scanner's body alike")
    func repeatedKeysRefused() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        let body = String(buffer: h.returnBody())
        let cases: [(String, String)] = [
            (body.replacingOccurrences(of: #""dispute_id": "D-20261123-0042","#, with: #""dispute_id": "D-20261123-0042", "dispute_id": "D-OTHER","#),
             "the body has the key dispute_id twice; send each key once"),
            (body.replacingOccurrences(of: #""currency": "EUR""#, with: #""currency": "EUR", "currency": "USD""#),
             "field items[0].unit_price has the key currency twice; send each key once"),
            (body.replacingOccurrences(of: #""city": "Москва""#, with: #""city": "Москва", "city": "Тверь""#),
             "field buyer.address has the key city twice; send each key once"),
        ]
        try await h.run { client in
            for (text, message) in cases {
                let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: ByteBuffer(string: text))
                #expect(r.status == .badRequest && r.errorCode == "invalid_request", "\(message)")
                #expect((r.json["error"] as? [String: Any])?["message"] as? String == message)
            }
            #expect(try await h.runtime.store.outbox(disputeID: "D-20261123-0042").isEmpty)
            #expect(try await h.runtime.store.outbox(disputeID: "D-OTHER").isEmpty)
            // The same body once each is taken.
            #expect(try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody()).status == .created)
            let scanner = try await h.token(.scanner, scope: "WH-FR-LYS")
            let receipt = try await client.execute(uri: "/v1/warehouse/receipts", method: .post, headers: bearer(scanner),
                                                   body: ByteBuffer(string: #"{"code": "A", "code": "B", "scanned_at": "2026-11-23T10:00:00Z"}"#))
            #expect(receipt.status == .badRequest && (receipt.json["error"] as? [String: Any])?["message"] as? String == "the body has the key code twice; send each key once")
        }
    }

    @Test("a body that is not UTF-8 is refused saying so: UTF-16 (which carried a repeated key past its check) and Latin-1; UTF-8 with a byte order mark is taken")
    func bodyEncodingNamed() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        let body = String(buffer: h.returnBody())
        let repeated = body.replacingOccurrences(of: #""dispute_id": "D-20261123-0042","#, with: #""dispute_id": "D-20261123-0042", "dispute_id": "D-OTHER","#)
        let latin1 = Array(body.replacingOccurrences(of: "Иван Петров", with: "Jeanne Dupré").unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        let cases: [([UInt8], String)] = [
            ([0xFF, 0xFE] + repeated.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, "the body is UTF-16 or UTF-32; send JSON in UTF-8"),
            (body.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }, "the body is UTF-16 or UTF-32; send JSON in UTF-8"),
            (latin1, "the body is not UTF-8 (Latin-1, say); send JSON in UTF-8"),
        ]
        try await h.run { client in
            for (bytes, message) in cases {
                let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: ByteBuffer(bytes: bytes))
                #expect(r.status == .badRequest && (r.json["error"] as? [String: Any])?["message"] as? String == message, "\(message)")
            }
            #expect(try await h.runtime.store.outbox(disputeID: "D-20261123-0042").isEmpty)
            let withMark = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: ByteBuffer(bytes: [0xEF, 0xBB, 0xBF] + Array(body.utf8)))
            #expect(withMark.status == .created)
        }
    }

    @Test("a value of the wrong JSON kind is named with JSON's words (a number, a string, an array), not Swift's types")
    func wrongKindsNamedInJSONWords() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        let body = String(buffer: h.returnBody())
        let cases: [(String, String)] = [
            ("[]", "the body must be an object"),
            ("\"return\"", "the body must be an object"),
            (body.replacingOccurrences(of: #""quantity": 1"#, with: #""quantity": "1""#), "field items[0].quantity must be a number"),
            // Foundation says "not valid JSON" with no field for a number that is no Int.
            (body.replacingOccurrences(of: #""quantity": 1"#, with: #""quantity": 1.5"#), "field items[0].quantity: must be a whole number, 1 to 999"),
            (body.replacingOccurrences(of: #""quantity": 1"#, with: #""quantity": 1e30"#), "field items[0].quantity: must be a whole number, 1 to 999"),
            (body.replacingOccurrences(of: #""order_id": "8190023345""#, with: #""order_id": null"#), "field order_id must be a string, not null"),
            (body.replacingOccurrences(of: #""order_id": "8190023345""#, with: #""order_id": 8190023345"#), "field order_id must be a string"),
            (body.replacingOccurrences(of: #""free_return": true"#, with: #""free_return": "yes""#), "field items[0].free_return must be true or false"),
            (body.replacingOccurrences(of: #""lines": ["ул. Ленина 12, кв. 4"]"#, with: #""lines": "ул. Ленина 12""#), "field buyer.address.lines must be an array"),
            (body.replacingOccurrences(of: #""seller": {"id": "S-1203", "name": "Shenzhen Gadget Store"}"#, with: #""seller": "S-1203""#), "field seller must be an object"),
        ]
        try await h.run { client in
            for (sent, message) in cases {
                #expect(sent != body)
                let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: ByteBuffer(string: sent))
                #expect(r.status == .badRequest && r.errorCode == "invalid_request")
                #expect((r.json["error"] as? [String: Any])?["message"] as? String == message, "\(String(buffer: r.body))")
            }
        }
    }

    @Test("a buyer outside the 17 countries is refused with 422 country_not_served listing the served ones; UK is told the United Kingdom is GB")
    func countryNotServed() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(country: "JP"))
            #expect(r.status == .unprocessableContent && r.errorCode == "country_not_served")
            let jp = try #require((r.json["error"] as? [String: Any])?["message"] as? String)
            #expect(jp == "no drop-off service points in JP; served: AU, BE, BR, CA, CL, DE, ES, FR, GB, IL, IT, MX, NL, PT, RU, UA, US")
            let uk = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(country: "UK"))
            #expect(uk.status == .unprocessableContent && uk.errorCode == "country_not_served")
            let message = try #require((uk.json["error"] as? [String: Any])?["message"] as? String)
            #expect(message.hasPrefix("no drop-off service points in UK (the United Kingdom is GB in ISO 3166-1: send GB); served: AU,"), "\(message)")
        }
    }

    @Test("50 concurrent requests for 50 sellers get 50 distinct tracking numbers")
    func concurrentRequests() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let numbers = try await withThrowingTaskGroup(of: String?.self) { group in
                for i in 0..<50 {
                    group.addTask {
                        let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody(dispute: "D-\(i)", seller: "S-\(i)"))
                        return r.status == .created ? r.parcel["tracking_number"] as? String : nil
                    }
                }
                return try await group.reduce(into: [String]()) { if let n = $1 { $0.append(n) } }
            }
            #expect(numbers.count == 50)
            #expect(Set(numbers).count == 50)
        }
    }
}
