import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReturnsCore
import Testing

/// Every route × every caller, with the status each must get. Each case runs on a parcel of its
/// own (a French one, at the right stage), so no case depends on another.
@Suite("Authorization matrix")
struct AuthorizationMatrixTests {
    enum Caller: String, CaseIterable, CustomStringConvertible {
        case none, unknownToken, marketplace, kioskFR, kioskUS, scannerLYS, scannerVNL, `operator`
        var description: String { rawValue }
    }

    enum Route: String, CaseIterable, CustomStringConvertible {
        case createReturn, showParcel, label, servicePoints, kioskScan, kioskDropOff, receipt, inspection, healthz, readyz, metrics
        var description: String { rawValue }
    }

    static let expected: [Route: [Caller: Int]] = {
        func row(_ ok: [Caller: Int], unauthenticated: Int = 401, others: Int = 403) -> [Caller: Int] {
            var r: [Caller: Int] = [:]
            for c in Caller.allCases { r[c] = ok[c] ?? (c == .none || c == .unknownToken ? unauthenticated : others) }
            return r
        }
        let open = Dictionary(uniqueKeysWithValues: Caller.allCases.map { ($0, 200) })
        return [
            .createReturn: row([.marketplace: 201]),
            .showParcel: row([.marketplace: 200, .operator: 200]),
            .label: row([.marketplace: 200, .kioskFR: 200]),
            .servicePoints: row([.marketplace: 200, .kioskFR: 200, .kioskUS: 200, .scannerLYS: 200, .scannerVNL: 200, .operator: 200]),
            .kioskScan: row([.kioskFR: 200]),
            .kioskDropOff: row([.kioskFR: 200]),
            // A scanner of another warehouse is not refused: the read is recorded and flagged.
            .receipt: row([.scannerLYS: 200, .scannerVNL: 409]),
            .inspection: row([.scannerLYS: 200]),
            .healthz: open, .readyz: open, .metrics: open,
        ]
    }()

    @Test("each route answers each caller as the matrix says", arguments: Route.allCases)
    func matrix(route: Route) async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        var tokens: [Caller: String] = [.unknownToken: "rtd_unknown", .marketplace: market]
        tokens[.kioskFR] = try await h.token(.kiosk, scope: "FR-PARIS-0042")
        tokens[.kioskUS] = try await h.token(.kiosk, scope: "US-NYC-0001")
        tokens[.scannerLYS] = try await h.token(.scanner, scope: "WH-FR-LYS")
        tokens[.scannerVNL] = try await h.token(.scanner, scope: "WH-EU-VNL")
        tokens[.operator] = try await h.token(.operator)
        let frozenTokens = tokens
        try await h.run { client in
            var n = 0
            for caller in Caller.allCases {
                n += 1
                let p = try await h.newParcel(client, token: market, dispute: "D-\(route)-\(n)", skus: ["A"])
                let id = p["id"] as! String, tracking = p["tracking_number"] as! String, code = p["return_code"] as! String
                if route == .inspection {
                    _ = try await h.post(client, "/v1/warehouse/receipts", token: frozenTokens[.scannerLYS]!, #"{"code": "\#(tracking)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#)
                }
                var headers: HTTPFields = [.contentType: "application/json"]
                if let t = frozenTokens[caller] { headers[.authorization] = "Bearer \(t)" }
                let (method, uri, body): (HTTPRequest.Method, String, String?) = switch route {
                case .createReturn: (.post, "/v1/returns", String(buffer: h.returnBody(dispute: "D-new-\(route)-\(n)", buyer: "B-other-\(n)")))
                case .showParcel: (.get, "/v1/parcels/\(id)", nil)
                case .label: (.get, "/v1/parcels/\(id)/label?format=zpl", nil)
                case .servicePoints: (.get, "/v1/service-points?country=FR", nil)
                case .kioskScan: (.post, "/v1/kiosk/scans", #"{"code": "\#(code)"}"#)
                case .kioskDropOff: (.post, "/v1/kiosk/dropoffs", #"{"code": "\#(code)"}"#)
                case .receipt: (.post, "/v1/warehouse/receipts", #"{"code": "\#(tracking)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#)
                case .inspection: (.post, "/v1/warehouse/inspections", #"{"code": "\#(tracking)", "items": [{"sku": "A", "outcome": "accepted"}]}"#)
                case .healthz: (.get, "/healthz", nil)
                case .readyz: (.get, "/readyz", nil)
                case .metrics: (.get, "/metrics", nil)
                }
                let r = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
                #expect(Int(r.status.code) == Self.expected[route]![caller]!, "\(route) as \(caller): \(r.status.code) \(String(buffer: r.body).prefix(160))")
                if r.status == .forbidden { #expect(["forbidden_role", "forbidden_scope"].contains(r.errorCode ?? ""), "\(route) as \(caller)") }
                if r.status == .unauthorized { #expect(r.headers[.wwwAuthenticate] == "Bearer") }
            }
        }
    }
}
