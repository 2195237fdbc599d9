import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("GET /metrics")
struct MetricsRouteTests {
    @Test("Prometheus text with labels by country and format, requests by route and status, parcels by status, outbox backlog")
    func metrics() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        try await h.run { client in
            let p = try await h.newParcel(client, token: token, country: "FR")
            _ = try await client.execute(uri: "/v1/parcels/\(p["id"] as! String)/label?format=zpl", method: .get, headers: bearer(token))
            _ = try await client.execute(uri: "/v1/parcels/\(p["id"] as! String)/label?format=zpl", method: .get, headers: bearer(token))
            _ = try await client.execute(uri: "/v1/parcels/P0000000000AB", method: .get, headers: bearer(token))
            let r = try await client.execute(uri: "/metrics", method: .get)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = String(buffer: r.body)
            let lines = Set(text.split(separator: "\n").map(String.init))
            #expect(lines.contains(#"returnd_labels_issued_total{country="FR",format="zpl"} 2"#), "\(text)")
            #expect(lines.contains(#"returnd_parcels_created_total{country="FR"} 1"#))
            #expect(lines.contains(#"returnd_parcels{status="label_issued",country="FR"} 1.0"#) || lines.contains(#"returnd_parcels{status="label_issued",country="FR"} 1"#), "\(text)")
            #expect(lines.contains(where: { $0.hasPrefix("returnd_outbox_pending 1") }))
            #expect(lines.contains(where: { $0.hasPrefix("returnd_outbox_dead_letters 0") }))
            #expect(lines.contains(#"returnd_http_requests_total{method="POST",route="/v1/returns",status="201"} 1"#))
            #expect(lines.contains(#"returnd_http_requests_total{method="GET",route="/v1/parcels/{id}",status="404"} 1"#) || lines.contains(#"returnd_http_requests_total{method="GET",route="/v1/parcels/:id",status="404"} 1"#), "\(text)")
            #expect(text.contains("returnd_label_render_seconds_bucket"))
        }
    }
}
