import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReturnsCore
import Store
import Testing

extension TestHarness {
    /// Creates a parcel through the API and answers its JSON.
    func newParcel(_ client: any TestClientProtocol, token: String, dispute: String = "D-1", country: String = "FR", skus: [String] = ["SKU-1"],
                   seller: String = "S-1203") async throws -> [String: Any] {
        let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: returnBody(dispute: dispute, seller: seller, country: country, skus: skus))
        return r.parcel
    }

    func post(_ client: any TestClientProtocol, _ uri: String, token: String, _ json: String) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .post, headers: bearer(token), body: ByteBuffer(string: json))
    }
}

/// A tracking number with its sixth character (a digit in every scheme) typed one off.
func mistyped(_ number: String) -> String {
    var digits = Array(number)
    digits[5] = digits[5] == "9" ? "0" : Character(String(digits[5].wholeNumberValue! + 1))
    return String(digits)
}

@Suite("Kiosk scans and drop-offs")
struct KioskRouteTests {
    @Test("a kiosk scan of the QR payload or the typed return code answers the parcel and its label link")
    func scan() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let kiosk = try await h.token(.kiosk, scope: "FR-PARIS-0042")
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let qr = p["qr_payload"] as! String, code = p["return_code"] as! String
            for typed in [qr, code, code.lowercased().replacingOccurrences(of: "-", with: " ")] {
                let r = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": "\#(typed)"}"#)
                #expect(r.status == .ok, "\(typed)")
                #expect(r.parcel["id"] as? String == p["id"] as? String)
                #expect(r.parcel["label_required"] as? Bool == true)
                #expect((r.parcel["label_url"] as? String)?.hasSuffix("/label?format=pdf") == true)
            }
        }
    }

    @Test("a QR payload read in lower case (a keyboard-wedge scanner with Caps Lock on) finds its parcel at the kiosk and the warehouse; one altered so is still refused as forged")
    func qrReadInLowerCase() async throws {
        let h = try await TestHarness()
        let (market, kiosk, scanner) = try await h.parties()
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let read = (p["qr_payload"] as! String).lowercased()
            let scanned = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": "\#(read)"}"#)
            #expect(scanned.status == .ok && scanned.parcel["id"] as? String == p["id"] as? String, "\(scanned.status) \(String(buffer: scanned.body).prefix(200))")
            let receipt = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(read)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#)
            #expect(receipt.status == .ok && receipt.parcel["status"] as? String == "arrived_at_warehouse")
            let forged = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": "\#(read.replacingOccurrences(of: ":fr:", with: ":de:"))"}"#)
            #expect(forged.status == .unprocessableContent && forged.errorCode == "invalid_qr_code")
        }
    }

    @Test("a tracking number typed in groups, with spaces or dashes and in any case, finds its parcel at the kiosk and the warehouse; a slip typed so is still a slip")
    func trackingNumberTypedInGroups() async throws {
        let h = try await TestHarness()
        let (market, kiosk, scanner) = try await h.parties()
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let number = Array(p["tracking_number"] as! String)
            func grouped(_ chars: [Character], _ separator: String) -> String {
                stride(from: 0, to: chars.count, by: 4).map { String(chars[$0..<min($0 + 4, chars.count)]) }.joined(separator: separator)
            }
            for typed in [grouped(number, " "), grouped(number, "-").lowercased()] {
                let r = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": "\#(typed)"}"#)
                #expect(r.status == .ok && r.parcel["id"] as? String == p["id"] as? String, "\(typed)")
            }
            let receipt = try await h.post(client, "/v1/warehouse/receipts", token: scanner,
                                           #"{"code": "\#(grouped(number, " "))", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#)
            #expect(receipt.status == .ok && receipt.parcel["status"] as? String == "arrived_at_warehouse")
            let r = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": "\#(grouped(Array(mistyped(String(number))), " "))"}"#)
            #expect(r.status == .unprocessableContent && r.errorCode == "invalid_tracking_number")
        }
    }

    @Test("a code typed in full-width letters and digits, or pasted with no-break spaces and Unicode dashes, finds its parcel at the kiosk and the warehouse")
    func codeFoldedToASCII() async throws {
        let h = try await TestHarness()
        let (market, kiosk, scanner) = try await h.parties()
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let number = p["tracking_number"] as! String, code = Array(p["return_code"] as! String) // ABCD-EFGH-J
            // Full-width forms are the ASCII ones shifted by 0xFEE0.
            let fullWidth = String(String.UnicodeScalarView(number.unicodeScalars.map { Unicode.Scalar($0.value + 0xFEE0)! }))
            let pasted = String(code[0..<4]) + "\u{2011}" + String(code[5..<9]) + "\u{00A0}\u{2013}\u{00A0}" + String(code[10])
            for typed in [fullWidth, pasted] {
                let r = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": "\#(typed)"}"#)
                #expect(r.status == .ok && r.parcel["id"] as? String == p["id"] as? String, "\(typed): \(r.status) \(String(buffer: r.body).prefix(200))")
            }
            let receipt = try await h.post(client, "/v1/warehouse/receipts", token: scanner,
                                           #"{"code": "\#(fullWidth)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#)
            #expect(receipt.status == .ok && receipt.parcel["status"] as? String == "arrived_at_warehouse")
        }
    }

    @Test("the parcel id printed on the label, typed in any case with O for 0, finds its parcel at the kiosk, the warehouse and the inspection; an unknown id is 404 saying what a code may be")
    func parcelIDTyped() async throws {
        let h = try await TestHarness()
        let (market, kiosk, scanner) = try await h.parties()
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let id = p["id"] as! String
            let typed = String(id.lowercased().map { $0 == "0" ? "o" : $0 })
            let shown = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": " \#(typed) "}"#)
            #expect(shown.status == .ok && shown.parcel["id"] as? String == id, "\(shown.status) \(String(buffer: shown.body).prefix(200))")
            let handed = try await h.post(client, "/v1/kiosk/dropoffs", token: kiosk, #"{"code": "\#(typed)"}"#)
            #expect(handed.status == .ok && handed.parcel["status"] as? String == "dropped_off")
            let receipt = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(id)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#)
            #expect(receipt.status == .ok && receipt.parcel["status"] as? String == "arrived_at_warehouse")
            let inspected = try await h.post(client, "/v1/warehouse/inspections", token: scanner, #"{"code": "\#(typed)", "items": [{"sku": "SKU-1", "outcome": "accepted"}]}"#)
            #expect(inspected.status == .ok && inspected.parcel["status"] as? String == "inspected")

            let unknown = "PZZZZZZZZZZZZ"
            let missing = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": "\#(unknown)"}"#)
            #expect(missing.status == .notFound && missing.errorCode == "not_found")
            let message = (missing.json["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains(unknown) && message.contains("parcel id"), "\(message)")
        }
    }

    @Test("a read with an AIM symbology identifier in front (]Q1 for QR, ]C0 for Code 128, as some scanners are set to send) finds its parcel at the kiosk and the warehouse")
    func symbologyIdentifierDropped() async throws {
        let h = try await TestHarness()
        let (market, kiosk, scanner) = try await h.parties()
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let shown = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": "]Q1\#(p["qr_payload"] as! String)"}"#)
            #expect(shown.status == .ok && shown.parcel["id"] as? String == p["id"] as? String, "\(shown.status) \(String(buffer: shown.body).prefix(200))")
            let receipt = try await h.post(client, "/v1/warehouse/receipts", token: scanner,
                                           #"{"code": "]C0\#(p["tracking_number"] as! String)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#)
            #expect(receipt.status == .ok && receipt.parcel["status"] as? String == "arrived_at_warehouse")
            // Only the identifier goes: a code that is nothing after it is still refused.
            let bare = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": "]C0"}"#)
            #expect(bare.status == .badRequest)
        }
    }

    @Test("a tracking number with a mistyped digit is 422 invalid_tracking_number at kiosk and warehouse, records nothing; another carrier's valid number is 404")
    func mistypedTrackingNumber() async throws {
        let h = try await TestHarness()
        let (market, kiosk, scanner) = try await h.parties()
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let slip = mistyped(p["tracking_number"] as! String)
            for (route, token, body) in [
                ("/v1/kiosk/dropoffs", kiosk, #"{"code": "\#(slip)"}"#),
                ("/v1/warehouse/receipts", scanner, #"{"code": "\#(slip.lowercased())", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#),
            ] {
                let r = try await h.post(client, route, token: token, body)
                #expect(r.status == .unprocessableContent && r.errorCode == "invalid_tracking_number", "\(route)")
                #expect(((r.json["error"] as? [String: Any])?["message"] as? String)?.hasSuffix("is refused: its check digit does not match the digits before it (UPU S10): a digit was mistyped or misread") == true, "\(route)")
            }
            #expect(try await h.store.parcel(id: p["id"] as! String)?.status == .labelIssued)
            #expect(try await h.store.receipts(parcelID: p["id"] as! String).isEmpty)
            // A valid S10 number of no parcel here (another shipment's barcode) is not a slip.
            let foreign = TrackingNumberScheme.upuS10(serviceIndicator: "RR", countryCode: "DE").trackingNumber(serial: 4711, date: h.clock.date)
            let r = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": "\#(foreign)"}"#)
            #expect(r.status == .notFound)
        }
    }

    @Test("forged, truncated and foreign-key QR codes are 422 invalid_qr_code")
    func forgedQR() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let kiosk = try await h.token(.kiosk, scope: "FR-PARIS-0042")
        try await h.run { client in
            let qr = try await h.newParcel(client, token: market)["qr_payload"] as! String
            let sig = qr.split(separator: ":").last!
            let forged = qr.replacingOccurrences(of: String(sig), with: String(sig.reversed()))
            let foreign = try ReturnPayloadSigner(keys: [.init(id: "K9", secret: Array(repeating: 1, count: 32))])
                .sign(parcelID: "P0000000000AB", trackingNumber: "RR123456785FR", country: "FR")
            for (bad, why) in [(forged, "signature does not match"), (String(qr.dropLast(5)), "signature does not match"), ("RT1:K1:P0", "truncated or damaged"), (foreign, "key K9")] {
                let r = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": "\#(bad)"}"#)
                #expect(r.status == .unprocessableContent, "\(bad)")
                #expect(r.errorCode == "invalid_qr_code")
                #expect(((r.json["error"] as? [String: Any])?["message"] as? String)?.contains(why) == true, "\(bad)")
            }
        }
    }

    @Test("a return code with a wrong check character is 422 invalid_return_code; an unknown valid one is 404")
    func wrongCheckCharacter() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let kiosk = try await h.token(.kiosk, scope: "FR-PARIS-0042")
        try await h.run { client in
            let code = try await h.newParcel(client, token: market)["return_code"] as! String
            let last = code.last!
            let wrong = String(code.dropLast()) + (last == "0" ? "1" : "0")
            let r = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": "\#(wrong)"}"#)
            #expect(r.status == .unprocessableContent)
            #expect(r.errorCode == "invalid_return_code")
            let unknown = ReturnCode.random().description
            let missing = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": "\#(unknown)"}"#)
            #expect(missing.status == .notFound)
        }
    }

    @Test("codes with letters that uppercase to several characters (ß → SS) are 422 invalid_return_code at kiosk and warehouse")
    func multiCharacterUppercaseCodes() async throws {
        let h = try await TestHarness()
        let (market, kiosk, scanner) = try await h.parties()
        try await h.run { client in
            let code = try await h.newParcel(client, token: market)["return_code"] as! String
            // These used to trap the whole process inside the return-code parser.
            for typed in ["ßßßß-ßßßß-ß", String(code.dropLast()) + "ß", "ŉ" + String(code.dropFirst())] {
                let scannedAt = h.clock.date.formatted(.iso8601)
                for (route, token, body) in [
                    ("/v1/kiosk/scans", kiosk, #"{"code": "\#(typed)"}"#),
                    ("/v1/warehouse/receipts", scanner, #"{"code": "\#(typed)", "scanned_at": "\#(scannedAt)"}"#),
                ] {
                    let r = try await h.post(client, route, token: token, body)
                    #expect(r.status == .unprocessableContent, "\(route) \(typed)")
                    #expect(r.errorCode == "invalid_return_code", "\(route) \(typed)")
                }
            }
            let good = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": "\#(code)"}"#)
            #expect(good.status == .ok)
        }
    }

    @Test("a kiosk cannot scan or drop off a parcel of another country: 403 forbidden_scope")
    func wrongCountry() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let kioskFR = try await h.token(.kiosk, scope: "FR-PARIS-0042")
        try await h.run { client in
            let us = try await h.newParcel(client, token: market, country: "US")
            for route in ["/v1/kiosk/scans", "/v1/kiosk/dropoffs"] {
                let r = try await h.post(client, route, token: kioskFR, #"{"code": "\#(us["qr_payload"] as! String)"}"#)
                #expect(r.status == .forbidden && r.errorCode == "forbidden_scope", "\(route)")
            }
            let parcel = try await client.execute(uri: "/v1/parcels/\(us["id"] as! String)", method: .get, headers: bearer(market))
            #expect(parcel.parcel["status"] as? String == "label_issued")
        }
    }

    @Test("a drop-off moves the parcel to dropped_off with the service point in its history; a repeat answers the same")
    func dropOff() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let kiosk = try await h.token(.kiosk, scope: "FR-PARIS-0042")
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let body = #"{"code": "\#(p["return_code"] as! String)"}"#
            let first = try await h.post(client, "/v1/kiosk/dropoffs", token: kiosk, body)
            let again = try await h.post(client, "/v1/kiosk/dropoffs", token: kiosk, body)
            #expect(first.status == .ok && again.status == .ok)
            #expect(first.parcel["status"] as? String == "dropped_off")
            #expect(String(buffer: first.body) == String(buffer: again.body))
            let shown = try await client.execute(uri: "/v1/parcels/\(p["id"] as! String)", method: .get, headers: bearer(market))
            let history = try #require(shown.parcel["history"] as? [[String: Any]])
            #expect(history.map { $0["status"] as? String } == ["label_issued", "dropped_off"])
            #expect(history.last?["source"] as? String == "kiosk")
            #expect((history.last?["detail"] as? String)?.contains("FR-PARIS-0042") == true)
            // A new request for the same buyer and seller no longer joins the used label.
            let next = try await h.newParcel(client, token: market, dispute: "D-2", skus: ["SKU-2"])
            #expect(next["id"] as? String != p["id"] as? String)
            let events = try await h.store.outbox(state: .pending, limit: 10).map(\.type)
            #expect(events == ["return.label_issued", "return.dropped_off", "return.label_issued"])
        }
    }

    @Test("a return already received at the warehouse is refused at the kiosk's scan and drop-off: 409 already_received saying where and when, its status unchanged; a kiosk retrying its own drop-off still gets 200")
    func receivedRefusedAtKiosk() async throws {
        let h = try await TestHarness()
        let (market, kiosk, scanner) = try await h.parties()
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let id = p["id"] as! String, code = p["return_code"] as! String
            let first = try await h.post(client, "/v1/kiosk/dropoffs", token: kiosk, #"{"code": "\#(code)"}"#)
            let retry = try await h.post(client, "/v1/kiosk/dropoffs", token: kiosk, #"{"code": "\#(code)"}"#)
            #expect(first.status == .ok && retry.status == .ok)
            let scannedAt = h.clock.date.formatted(.iso8601)
            _ = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(p["tracking_number"] as! String)", "scanned_at": "\#(scannedAt)"}"#)
            let events = try await h.store.outbox(state: .pending, limit: 100).count
            for route in ["/v1/kiosk/scans", "/v1/kiosk/dropoffs"] {
                let r = try await h.post(client, route, token: kiosk, #"{"code": "\#(code)"}"#)
                #expect(r.status == .conflict && r.errorCode == "already_received", "\(route)")
                #expect((r.json["error"] as? [String: Any])?["message"] as? String
                    == "return \(id) was received at warehouse WH-FR-LYS on \(scannedAt): its label was used, so a box handed over with it now is not this return", "\(route)")
            }
            #expect(try await h.store.parcel(id: id)?.status == .arrivedAtWarehouse)
            #expect(try await h.store.outbox(state: .pending, limit: 100).count == events)
        }
    }

    @Test("an expired parcel is refused at the kiosk's scan as at its drop-off: 409 invalid_transition saying it expired and when, nothing to print")
    func expiredDropOff() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let kiosk = try await h.token(.kiosk, scope: "FR-PARIS-0042")
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let id = p["id"] as! String
            _ = try await h.store.changeStatus(.init(parcelID: id, status: .expired, source: .timer, occurredAt: Date()))
            for route in ["/v1/kiosk/scans", "/v1/kiosk/dropoffs"] {
                let r = try await h.post(client, route, token: kiosk, #"{"code": "\#(p["return_code"] as! String)"}"#)
                #expect(r.status == .conflict && r.errorCode == "invalid_transition", "\(route)")
                let message = (r.json["error"] as? [String: Any])?["message"] as? String
                #expect(message == "return \(id) expired on \(p["drop_off_by"] as! String) without being dropped off: there is no label to print or parcel to take", "\(route)")
            }
            #expect(try await h.store.parcel(id: id)?.status == .expired)
        }
    }

    @Test("a label past its deadline is refused at the kiosk in the same words before the timers expire it (they wait for its carrier's word); a second before, it is taken")
    func dropOffPastDeadline() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let kiosk = try await h.token(.kiosk, scope: "FR-PARIS-0042")
        try await h.run { client in
            let late = try await h.newParcel(client, token: market)
            let justInTime = try await h.newParcel(client, token: market, dispute: "D-2", seller: "S-2")
            let deadline = try #require(try await h.store.parcel(id: late["id"] as! String)).dropOffBy
            let justInTimeID = justInTime["id"] as! String
            try await h.store.backend.write { db in
                try db.execute("UPDATE parcels SET drop_off_by = ? WHERE id = ?", [deadline.addingTimeInterval(1), justInTimeID])
            }
            // 0.864 s past the deadline of one, 0.136 s before the other's.
            h.clock.advance(days: deadline.timeIntervalSince(h.clock.date) / 86_400 + 1e-5)
            for route in ["/v1/kiosk/scans", "/v1/kiosk/dropoffs"] {
                let r = try await h.post(client, route, token: kiosk, #"{"code": "\#(late["return_code"] as! String)"}"#)
                #expect(r.status == .conflict && r.errorCode == "invalid_transition", "\(route)")
                #expect((r.json["error"] as? [String: Any])?["message"] as? String
                    == "return \(late["id"] as! String) expired on \(late["drop_off_by"] as! String) without being dropped off: there is no label to print or parcel to take", "\(route)")
            }
            #expect(try await h.store.parcel(id: late["id"] as! String)?.status == .labelIssued)
            let taken = try await h.post(client, "/v1/kiosk/dropoffs", token: kiosk, #"{"code": "\#(justInTime["return_code"] as! String)"}"#)
            #expect(taken.status == .ok && taken.parcel["status"] as? String == "dropped_off")
        }
    }
}

@Suite("Warehouse receipts and inspections")
struct WarehouseRouteTests {
    @Test("a receipt moves the parcel to arrived_at_warehouse and writes the dispute event; a retried scan answers the same")
    func receipt() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let scanner = try await h.token(.scanner, scope: "WH-FR-LYS")
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let body = #"{"code": "\#(p["tracking_number"] as! String)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#
            let first = try await h.post(client, "/v1/warehouse/receipts", token: scanner, body)
            let retry = try await h.post(client, "/v1/warehouse/receipts", token: scanner, body)
            #expect(first.status == .ok)
            #expect(first.parcel["status"] as? String == "arrived_at_warehouse")
            #expect(String(buffer: first.body) == String(buffer: retry.body))
            #expect((first.json["receipts"] as? [[String: Any]])?.count == 1)
            let events = try await h.store.outbox(state: .pending, limit: 10).map(\.type)
            #expect(events == ["return.label_issued", "return.arrived_at_warehouse"])
            // The QR payload read by a scanner works too, and changes nothing more.
            let byQR = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(p["qr_payload"] as! String)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#)
            #expect(byQR.status == .ok && byQR.parcel["status"] as? String == "arrived_at_warehouse")
        }
    }

    @Test("a parcel scanned at the wrong warehouse is recorded and flagged: 409 wrong_warehouse, status unchanged, counted in /metrics")
    func wrongWarehouse() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let elsewhere = try await h.token(.scanner, scope: "WH-EU-VNL")
        let op = try await h.token(.operator)
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let r = try await h.post(client, "/v1/warehouse/receipts", token: elsewhere, #"{"code": "\#(p["tracking_number"] as! String)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#)
            #expect(r.status == .conflict && r.errorCode == "wrong_warehouse")
            #expect(((r.json["error"] as? [String: Any])?["message"] as? String)?.contains("WH-FR-LYS") == true)
            let shown = try await client.execute(uri: "/v1/parcels/\(p["id"] as! String)", method: .get, headers: bearer(op))
            #expect(shown.parcel["status"] as? String == "label_issued")
            let receipts = try #require(shown.parcel["receipts"] as? [[String: Any]])
            #expect(receipts.count == 1 && receipts[0]["misrouted"] as? Bool == true && receipts[0]["warehouse_id"] as? String == "WH-EU-VNL")
            let metrics = Set(String(buffer: try await client.execute(uri: "/metrics", method: .get).body).split(separator: "\n").map(String.init))
            #expect(metrics.contains(#"returnd_warehouse_reads_flagged_total{reason="misrouted"} 1"#))
        }
    }

    @Test("a parcel read after it expired is recorded and flagged: 409 invalid_transition saying so, status still expired, no dispute event, counted in /metrics; a retried read is kept once; its inspection is 409 saying it expired")
    func expiredReceipt() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let scanner = try await h.token(.scanner, scope: "WH-FR-LYS")
        let op = try await h.token(.operator)
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let id = p["id"] as! String
            _ = try await h.store.changeStatus(.init(parcelID: id, status: .expired, source: .timer, occurredAt: h.clock.date))
            let events = try await h.store.outbox(state: .pending, limit: 100).count
            let body = #"{"code": "\#(p["tracking_number"] as! String)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#
            for _ in 0..<2 {
                let r = try await h.post(client, "/v1/warehouse/receipts", token: scanner, body)
                #expect(r.status == .conflict && r.errorCode == "invalid_transition")
                #expect((r.json["error"] as? [String: Any])?["message"] as? String
                    == "parcel \(id) expired on \(p["drop_off_by"] as! String) without being dropped off, so it cannot be received; the scan is recorded and flagged for an operator")
            }
            let shown = try await client.execute(uri: "/v1/parcels/\(id)", method: .get, headers: bearer(op))
            #expect(shown.parcel["status"] as? String == "expired")
            let receipts = try #require(shown.parcel["receipts"] as? [[String: Any]])
            #expect(receipts.count == 1 && receipts[0]["misrouted"] as? Bool == false && receipts[0]["warehouse_id"] as? String == "WH-FR-LYS")
            #expect(try await h.store.outbox(state: .pending, limit: 100).count == events)
            // Nor can it be inspected: said in the same words.
            let inspected = try await h.post(client, "/v1/warehouse/inspections", token: scanner, #"{"code": "\#(p["tracking_number"] as! String)", "items": [{"sku": "SKU-1", "outcome": "accepted"}]}"#)
            #expect(inspected.status == .conflict && inspected.errorCode == "invalid_transition")
            #expect((inspected.json["error"] as? [String: Any])?["message"] as? String
                == "parcel \(id) expired on \(p["drop_off_by"] as! String) without being dropped off, so it cannot be inspected")
            // Counted for the alert on flagged reads: both reads, nothing misrouted.
            let metrics = Set(String(buffer: try await client.execute(uri: "/metrics", method: .get).body).split(separator: "\n").map(String.init))
            #expect(metrics.contains(#"returnd_warehouse_reads_flagged_total{reason="expired"} 2"#))
            #expect(metrics.contains(#"returnd_warehouse_reads_flagged_total{reason="misrouted"} 0"#))
        }
    }

    @Test("a scan time in the future, one before the parcel was issued, and a body without scanned_at are 400, and record nothing")
    func badReceipts() async throws {
        let h = try await TestHarness()
        let scanner = try await h.token(.scanner, scope: "WH-FR-LYS")
        let market = try await h.token(.marketplace)
        let op = try await h.token(.operator)
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let code = p["tracking_number"] as! String
            for stale in [Date(timeIntervalSince1970: 0), h.clock.date.addingTimeInterval(-301)] {
                let r = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(code)", "scanned_at": "\#(stale.formatted(.iso8601))"}"#)
                let message = (r.json["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(r.status == .badRequest && message.contains("is before parcel \(p["id"] as! String) was issued") && message.contains("check the scanner's clock"), "\(message)")
            }
            let shown = try await client.execute(uri: "/v1/parcels/\(p["id"] as! String)", method: .get, headers: bearer(op))
            #expect(shown.parcel["status"] as? String == "label_issued" && (shown.parcel["receipts"] as? [Any] ?? []).isEmpty)
            // Within the five minutes of skew a scan time a little before the issue is taken.
            let skewed = h.clock.date.addingTimeInterval(-120).formatted(.iso8601)
            let taken = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(code)", "scanned_at": "\#(skewed)"}"#)
            #expect(taken.status == .ok && taken.parcel["status"] as? String == "arrived_at_warehouse")

            let future = h.clock.date.addingTimeInterval(3600).formatted(.iso8601)
            let r = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "X", "scanned_at": "\#(future)"}"#)
            #expect(r.status == .badRequest)
            let missing = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "X"}"#)
            #expect(missing.status == .badRequest && ((missing.json["error"] as? [String: Any])?["message"] as? String) == "missing field scanned_at")
        }
    }

    @Test("an inspected item's dispute_id and reason sent as null are taken as absent, as openapi.yaml declares them (a string or null)")
    func inspectionNullFields() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let scanner = try await h.token(.scanner, scope: "WH-FR-LYS")
        try await h.run { client in
            let p = try await h.newParcel(client, token: market, skus: ["A"])
            let code = p["tracking_number"] as! String
            _ = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(code)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#)
            let r = try await h.post(client, "/v1/warehouse/inspections", token: scanner, #"{"code": "\#(code)", "items": [{"sku": "A", "dispute_id": null, "outcome": "accepted", "reason": null}]}"#)
            #expect(r.status == .ok, "\(String(buffer: r.body))")
            #expect(r.parcel["status"] as? String == "inspected")
            let last = try #require(try await h.store.outbox(state: .pending, limit: 10).last)
            let event = try JSONDecoder.returnd.decode(DisputeEvent.self, from: Data(last.payload.utf8))
            #expect(event.inspection?.first?.reason == nil && event.inspection?.first?.outcome == .accepted)
        }
    }

    @Test("an inspection records per-item outcomes and the accepted amount per dispute and currency; one before any receipt is 409 saying to record the receipt first; a read after it is 200 and changes nothing; an outcome other than accepted or rejected is named, and so is a field an inspection item does not have")
    func inspection() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let scanner = try await h.token(.scanner, scope: "WH-FR-LYS")
        try await h.run { client in
            let p = try await h.newParcel(client, token: market, skus: ["A", "B"])
            let code = p["tracking_number"] as! String
            let early = try await h.post(client, "/v1/warehouse/inspections", token: scanner, #"{"code": "\#(code)", "items": [{"sku": "A", "outcome": "accepted"}, {"sku": "B", "outcome": "accepted"}]}"#)
            #expect(early.status == .conflict && early.errorCode == "invalid_transition")
            #expect((early.json["error"] as? [String: Any])?["message"] as? String
                == "parcel \(p["id"] as! String) is label_issued: no warehouse has received it yet; record its receipt (POST /v1/warehouse/receipts) before its inspection")
            _ = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(code)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#)
            let incomplete = try await h.post(client, "/v1/warehouse/inspections", token: scanner, #"{"code": "\#(code)", "items": [{"sku": "A", "outcome": "accepted"}]}"#)
            #expect(incomplete.status == .badRequest)
            let unknown = try await h.post(client, "/v1/warehouse/inspections", token: scanner, #"{"code": "\#(code)", "items": [{"sku": "A", "outcome": "maybe"}, {"sku": "B", "outcome": "accepted"}]}"#)
            #expect(unknown.status == .badRequest && (unknown.json["error"] as? [String: Any])?["message"] as? String == "field items[0].outcome: must be accepted or rejected, not maybe")
            // A field returnd does not read is refused, not dropped with the whole line accepted.
            let partial = try await h.post(client, "/v1/warehouse/inspections", token: scanner, #"{"code": "\#(code)", "items": [{"sku": "A", "outcome": "accepted", "quantity": 1}, {"sku": "B", "outcome": "accepted"}]}"#)
            #expect(partial.status == .badRequest && (partial.json["error"] as? [String: Any])?["message"] as? String
                == "field items[0].quantity: not a field of an inspection item (sku, dispute_id, outcome, reason); an outcome covers the whole line, every unit of its quantity")
            let verdict = #"{"code": "\#(code)", "items": [{"sku": "A", "outcome": "accepted"}, {"sku": "B", "outcome": "rejected", "reason": "seal broken"}]}"#
            let r = try await h.post(client, "/v1/warehouse/inspections", token: scanner, verdict)
            #expect(r.status == .ok)
            #expect(r.parcel["status"] as? String == "inspected")
            let amounts = try #require(r.json["accepted_amounts"] as? [String: [[String: String]]])
            #expect(amounts["D-1"] == [["amount": "4.99", "currency": "EUR"]])
            let again = try await h.post(client, "/v1/warehouse/inspections", token: scanner, verdict)
            #expect(again.status == .ok)
            let changed = try await h.post(client, "/v1/warehouse/inspections", token: scanner, #"{"code": "\#(code)", "items": [{"sku": "A", "outcome": "rejected", "reason": "x"}, {"sku": "B", "outcome": "accepted"}]}"#)
            #expect(changed.status == .conflict && changed.errorCode == "already_inspected")
            let last = try #require(try await h.store.outbox(state: .pending, limit: 10).last)
            #expect(last.type == "return.inspected")
            let event = try JSONDecoder.returnd.decode(DisputeEvent.self, from: Data(last.payload.utf8))
            #expect(event.acceptedAmounts == [Money(amount: "4.99", currency: "EUR")])
            #expect(event.inspection?.first { $0.sku == "B" }?.reason == "seal broken")
            // A scanner's read after the inspection (a retry from its queue, the box read again
            // on its way to the shelf) is old news: 200, recorded, still inspected, nothing sent.
            let events = try await h.store.outbox(state: .pending, limit: 50).count
            let later = h.clock.date.addingTimeInterval(60).formatted(.iso8601)
            let reread = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(code)", "scanned_at": "\#(later)"}"#)
            #expect(reread.status == .ok && reread.parcel["status"] as? String == "inspected")
            #expect((reread.json["receipts"] as? [Any])?.count == 2)
            #expect(try await h.store.outbox(state: .pending, limit: 50).count == events)
        }
    }

    @Test("an inspection sent again is the same verdict only item by item: the same outcomes and reasons are 200, a sku in two disputes with its outcomes swapped or another reason is 409 already_inspected, and the stored verdicts stand")
    func inspectionRetryComparedItemByItem() async throws {
        let h = try await TestHarness()
        let (market, _, scanner) = try await h.parties()
        try await h.run { client in
            let first = try await h.newParcel(client, token: market, dispute: "D-1", skus: ["A", "B"])
            let second = try await h.newParcel(client, token: market, dispute: "D-2", skus: ["A"])
            #expect(second["id"] as? String == first["id"] as? String)
            let code = first["tracking_number"] as! String
            _ = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(code)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#)
            func verdict(_ a1: String, _ a2: String, reason: String = "worn") -> String {
                func line(_ dispute: String, _ outcome: String) -> String {
                    #"{"sku": "A", "dispute_id": "\#(dispute)", "outcome": "\#(outcome)"\#(outcome == "rejected" ? #", "reason": "\#(reason)""# : "")}"#
                }
                return #"{"code": "\#(code)", "items": [\#(line("D-1", a1)), \#(line("D-2", a2)), {"sku": "B", "outcome": "accepted"}]}"#
            }
            let r = try await h.post(client, "/v1/warehouse/inspections", token: scanner, verdict("accepted", "rejected"))
            #expect(r.status == .ok)
            let again = try await h.post(client, "/v1/warehouse/inspections", token: scanner, verdict("accepted", "rejected"))
            #expect(again.status == .ok && again.json["accepted_amounts"] as? NSDictionary == r.json["accepted_amounts"] as? NSDictionary)
            let swapped = try await h.post(client, "/v1/warehouse/inspections", token: scanner, verdict("rejected", "accepted"))
            #expect(swapped.status == .conflict && swapped.errorCode == "already_inspected")
            let reworded = try await h.post(client, "/v1/warehouse/inspections", token: scanner, verdict("accepted", "rejected", reason: "torn"))
            #expect(reworded.status == .conflict && reworded.errorCode == "already_inspected")
            let stored = try await h.store.inspection(parcelID: first["id"] as! String)
            #expect(stored.map { "\($0.disputeID ?? "")/\($0.sku)/\($0.outcome)/\($0.reason ?? "")" } == ["D-1/A/accepted/", "D-1/B/accepted/", "D-2/A/rejected/worn"])
        }
    }

    @Test("a box read again and again stores every read, but a scanner's answer lists only the latest 20, oldest first; GET /v1/parcels/{id} the latest 1,000 with the count of them all")
    func repeatedReadsAnswerTheLatest() async throws {
        let h = try await TestHarness()
        let (market, _, scanner) = try await h.parties()
        let op = try await h.token(.operator)
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let code = p["tracking_number"] as! String
            let times = (0..<25).map { h.clock.date.addingTimeInterval(Double($0)).formatted(.iso8601) }
            var last: TestResponse?
            for at in times {
                last = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(code)", "scanned_at": "\#(at)"}"#)
                #expect(last?.status == .ok)
            }
            let listed = (last?.json["receipts"] as? [[String: Any]] ?? []).compactMap { $0["scanned_at"] as? String }
            #expect(listed == Array(times.suffix(20)))
            let id = p["id"] as! String
            let shown = try await client.execute(uri: "/v1/parcels/\(id)", method: .get, headers: bearer(op))
            #expect((shown.parcel["receipts"] as? [[String: Any]] ?? []).compactMap { $0["scanned_at"] as? String } == times)
            #expect(shown.parcel["receipt_count"] as? Int == 25)

            // A day under a fixed scanner, in short: 1,000 more reads (written at once, so that
            // group commit takes them together).
            let more = (25..<1025).map { h.clock.date.addingTimeInterval(Double($0)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for at in more {
                    group.addTask {
                        _ = try await h.store.recordReceipt(WarehouseReceipt(parcelID: id, warehouseID: "WH-FR-LYS", code: code, scannedAt: at, receivedAt: at, scannerTokenID: "tok_T"), seen: nil)
                    }
                }
                try await group.waitForAll()
            }
            let busy = try await client.execute(uri: "/v1/parcels/\(id)", method: .get, headers: bearer(op))
            let reads = (busy.parcel["receipts"] as? [[String: Any]] ?? []).compactMap { $0["scanned_at"] as? String }
            #expect(busy.parcel["receipt_count"] as? Int == 1025)
            // The latest by when they were stored: the 1,000 just written, none of the first 25.
            #expect(reads.count == 1000 && Set(reads) == Set(more.map { $0.formatted(.iso8601) }))
            #expect(try await h.store.receipts(parcelID: id).count == 1025)
        }
    }

    @Test("an inspection of a large parcel is taken past 64 KiB (up to http.max_request_body_bytes): 100 items each rejected with a 500-character reason; a receipt or kiosk body past 64 KiB is 413 body_too_large naming that limit")
    func bodyLimits() async throws {
        let h = try await TestHarness()
        let (market, kiosk, scanner) = try await h.parties()
        try await h.run { client in
            let skus = (1...100).map { "SKU-\($0)" }
            let p = try await h.newParcel(client, token: market, skus: skus)
            let code = p["tracking_number"] as! String
            _ = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(code)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#)
            let reason = String(repeating: "é", count: 500)
            let items = skus.map { #"{"sku": "\#($0)", "outcome": "rejected", "reason": "\#(reason)"}"# }
            let verdict = #"{"code": "\#(code)", "items": [\#(items.joined(separator: ", "))]}"#
            #expect(verdict.utf8.count > 100 * 1024)
            let r = try await h.post(client, "/v1/warehouse/inspections", token: scanner, verdict)
            #expect(r.status == .ok, "\(r.status) \(String(buffer: r.body))")
            #expect(r.parcel["status"] as? String == "inspected")
            #expect(try await h.store.inspection(parcelID: p["id"] as! String).filter { $0.reason == reason }.count == 100)

            let padded = #"{"code": "\#(code)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))", "note": "\#(String(repeating: "x", count: 64 * 1024))"}"#
            for (uri, token) in [("/v1/warehouse/receipts", scanner), ("/v1/kiosk/scans", kiosk), ("/v1/kiosk/dropoffs", kiosk)] {
                let big = try await h.post(client, uri, token: token, padded)
                #expect(big.status == .contentTooLarge && big.errorCode == "body_too_large", "\(uri)")
                #expect((big.json["error"] as? [String: Any])?["message"] as? String
                    == "the request body is larger than the 64 KiB this route takes; it holds a code and a few fields", "\(uri)")
            }
        }
    }

    @Test("a scanner of another warehouse cannot inspect: 403 forbidden_scope; kiosks cannot post receipts: 403 forbidden_role")
    func scannerScope() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let elsewhere = try await h.token(.scanner, scope: "WH-EU-VNL")
        let kiosk = try await h.token(.kiosk, scope: "FR-PARIS-0042")
        try await h.run { client in
            let code = try await h.newParcel(client, token: market)["tracking_number"] as! String
            let r = try await h.post(client, "/v1/warehouse/inspections", token: elsewhere, #"{"code": "\#(code)", "items": []}"#)
            #expect(r.status == .forbidden && r.errorCode == "forbidden_scope")
            let k = try await h.post(client, "/v1/warehouse/receipts", token: kiosk, #"{"code": "\#(code)", "scanned_at": "2026-01-01T00:00:00Z"}"#)
            #expect(k.status == .forbidden && k.errorCode == "forbidden_role")
        }
    }
}
