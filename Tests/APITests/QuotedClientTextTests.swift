import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// What a client sent, quoted back in a refusal, stays short however it is built.
@Suite("Client text quoted in refusals")
struct QuotedClientTextTests {
    @Test("a field holding one letter with 3,000 combining marks is quoted cut, in every refusal that names what was sent")
    func markHeavyTextIsCut() async throws {
        let h = try await TestHarness()
        let (market, _, scanner) = try await h.parties()
        let marks = "e" + String(repeating: "\u{301}", count: 3000)
        let body = String(buffer: h.returnBody())
        try await h.run { client in
            var answers: [(String, TestResponse)] = []
            for (field, value) in [("\"country\": \"FR\"", "\"country\": \"\(marks)\""), ("\"currency\": \"EUR\"", "\"currency\": \"\(marks)\""), ("\"amount\": \"4.99\"", "\"amount\": \"\(marks)\"")] {
                #expect(body.contains(field))
                answers.append((field, try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(market),
                                                               body: ByteBuffer(string: body.replacingOccurrences(of: field, with: value)))))
            }
            let received = h.clock.date.addingTimeInterval(-5 * 86_400).formatted(.iso8601)
            answers.append(("received_at", try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(market),
                                                                   body: ByteBuffer(string: body.replacingOccurrences(of: received, with: marks)))))
            answers.append(("outcome", try await h.post(client, "/v1/warehouse/inspections", token: scanner, #"{"code": "X", "items": [{"sku": "A", "outcome": "\#(marks)"}]}"#)))
            answers.append(("service-point country", try await client.execute(uri: "/v1/service-points?country=\(marks)", method: .get, headers: bearer(market))))
            answers.append(("label format", try await client.execute(uri: "/v1/parcels/P0000000000000/label?format=\(marks)", method: .get, headers: bearer(market))))
            for (what, r) in answers {
                let message = (r.json["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(r.status == .badRequest, "\(what): \(r.status)")
                #expect(message.hasSuffix("… (6001 bytes)") || message.contains("… (6001 bytes):"), "\(what): \(message.prefix(120))")
                #expect(r.body.readableBytes < 400, "\(what): \(r.body.readableBytes) bytes")
            }
        }
    }
}
