@testable import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LogCapture
import Testing

@Suite("Returnd-Request-Id")
struct RequestIDTests {
    @Test("every answer, errors too, carries its request's id, the one its http.request log line names, with a refusal's error code")
    func everyAnswerNamesItsLogLines() async throws {
        let h = try await TestHarness()
        defer { h.cleanUp() }
        let log = CapturedLog()
        let app = Application(router: buildRouter(runtime: h.runtime), logger: log.logger(label: "returnd"))
        let name = HTTPField.Name("Returnd-Request-Id")!
        let token = try await h.token(.marketplace)
        try await app.test(.router) { client in
            let answers = [
                try await client.execute(uri: "/healthz", method: .get),
                try await client.execute(uri: "/v1/parcels/P0000000000AB", method: .get),
                try await client.execute(uri: "/v1/parcels/P0000000000AB", method: .get, headers: bearer(token)),
                try await client.execute(uri: "/healthz", method: .delete),
                try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: ByteBuffer(string: "{")),
            ]
            #expect(answers.map(\.status.code) == [200, 401, 404, 405, 400])
            let ids = answers.compactMap { $0.headers[name] }
            #expect(ids.count == answers.count && Set(ids).count == ids.count && ids.allSatisfy { !$0.isEmpty }, "\(ids)")
            let logged = log.lines("http.request").compactMap { $0.metadata["request_id"] }
            #expect(logged == ids)
            // A refusal's line names its error code, so the operator sees the rule, not only a 4xx.
            #expect(log.lines("http.request").map { $0.metadata["error"] ?? "-" } == ["-", "unauthorized", "not_found", "method_not_allowed", "invalid_request"])
        }
    }
}
