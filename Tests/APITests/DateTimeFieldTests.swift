import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A date no calendar has (30 February, 25:00) in a request is refused, naming the field and
/// what is wrong with it; until 2026-12-05 Foundation's parser rolled it over to a real date and
/// the request went through with it.
@Suite("Impossible dates in requests")
struct DateTimeFieldTests {
    @Test("a return received on 30 February, or with text after its zone, is 400 naming received_at and why, and creates no parcel")
    func receivedAt() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        try await h.run { client in
            let received = h.clock.date.addingTimeInterval(-5 * 86_400).formatted(.iso8601)
            let body = String(buffer: h.returnBody())
            #expect(body.contains(received))
            for (text, why) in [
                ("2026-02-30T10:00:00Z", "February 2026 has 28 days"),
                ("2026-11-20T25:00:00Z", "hour 25 is past 23"),
                ("\(received)Z", "not the shape yyyy-MM-ddTHH:mm:ss[.fraction](Z|±HH:MM)"),
            ] {
                let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(market),
                                                 body: ByteBuffer(string: body.replacingOccurrences(of: received, with: text)))
                #expect(r.status == .badRequest && r.errorCode == "invalid_request")
                let message = (r.json["error"] as? [String: Any])?["message"] as? String
                #expect(message == "field received_at: expected an RFC 3339 date-time such as 2026-11-18T14:05:00Z, got \(text): \(why)")
            }
            // Nothing was stored: the same items are still free to return.
            let sent = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(market), body: h.returnBody())
            #expect(sent.status == .created)
        }
    }

    @Test("a receipt scanned at 23:60, or at a time longer than 40 characters, is 400 naming scanned_at and records nothing")
    func scannedAt() async throws {
        let h = try await TestHarness()
        let (market, _, scanner) = try await h.parties()
        let op = try await h.token(.operator)
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let code = p["tracking_number"] as! String
            let long = "2026-11-23T10:00:00Z" + String(repeating: "9", count: 5000)
            for (text, message) in [
                ("2026-11-23T09:60:00Z", "got 2026-11-23T09:60:00Z: minute 60 is past 59"),
                (long, "got \(long.prefix(40))… (5020 bytes): not the shape yyyy-MM-ddTHH:mm:ss[.fraction](Z|±HH:MM)"),
            ] {
                let r = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(code)", "scanned_at": "\#(text)"}"#)
                #expect(r.status == .badRequest && r.errorCode == "invalid_request")
                #expect((r.json["error"] as? [String: Any])?["message"] as? String == "field scanned_at: expected an RFC 3339 date-time such as 2026-11-18T14:05:00Z, \(message)")
            }
            let shown = try await client.execute(uri: "/v1/parcels/\(p["id"] as! String)", method: .get, headers: bearer(op))
            #expect(shown.parcel["status"] as? String == "label_issued" && (shown.parcel["receipts"] as? [Any] ?? []).isEmpty)
        }
    }
}
