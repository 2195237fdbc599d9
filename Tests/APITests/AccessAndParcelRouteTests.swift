import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReturnsCore
import Store
import Testing
import Yams

@Suite("Auth, parcels, labels, service points and health over HTTP")
struct AccessAndParcelRouteTests {
    @Test("no token, an unknown token or a revoked token is 401 with WWW-Authenticate")
    func unauthorized() async throws {
        let h = try await TestHarness()
        let revoked = try await h.token(.marketplace)
        let id = try await h.store.tokens().first!.id
        _ = try await h.store.revokeToken(id: id, at: Date())
        try await h.run { client in
            for headers in [HTTPFields([HTTPField(name: .contentType, value: "application/json")]), bearer("rtd_nope"), bearer(revoked)] {
                let r = try await client.execute(uri: "/v1/returns", method: .post, headers: headers, body: h.returnBody())
                #expect(r.status == .unauthorized)
                #expect(r.errorCode == "unauthorized")
                #expect(r.headers[.wwwAuthenticate] == "Bearer")
            }
        }
    }

    @Test("a role not allowed on a route is 403 forbidden_role")
    func wrongRole() async throws {
        let h = try await TestHarness()
        let kiosk = try await h.token(.kiosk, scope: "FR-PARIS-0042")
        let scanner = try await h.token(.scanner, scope: "WH-FR-LYS")
        try await h.run { client in
            let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(kiosk), body: h.returnBody())
            #expect(r.status == .forbidden && r.errorCode == "forbidden_role")
            let s = try await client.execute(uri: "/v1/parcels/P0000000000AB", method: .get, headers: bearer(scanner))
            #expect(s.status == .forbidden && s.errorCode == "forbidden_role")
        }
    }

    @Test("a kiosk prints labels of its own country only: 200 in FR, 403 forbidden_scope for a US parcel")
    func kioskScope() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let kioskFR = try await h.token(.kiosk, scope: "FR-PARIS-0042")
        try await h.run { client in
            let fr = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(market), body: h.returnBody(dispute: "D-1", country: "FR")).parcel["id"] as! String
            let us = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(market), body: h.returnBody(dispute: "D-2", country: "US")).parcel["id"] as! String
            let ok = try await client.execute(uri: "/v1/parcels/\(fr)/label?format=zpl", method: .get, headers: bearer(kioskFR))
            #expect(ok.status == .ok)
            let foreign = try await client.execute(uri: "/v1/parcels/\(us)/label?format=zpl", method: .get, headers: bearer(kioskFR))
            #expect(foreign.status == .forbidden && foreign.errorCode == "forbidden_scope")
        }
    }

    @Test("GET /v1/parcels/{id} shows items and history; an unknown id is 404")
    func showParcel() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let op = try await h.token(.operator)
        try await h.run { client in
            let id = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(market), body: h.returnBody()).parcel["id"] as! String
            let r = try await client.execute(uri: "/v1/parcels/\(id)", method: .get, headers: bearer(op))
            #expect(r.status == .ok)
            let history = try #require(r.parcel["history"] as? [[String: Any]])
            #expect(history.first?["status"] as? String == "label_issued")
            #expect(history.first?["source"] as? String == "marketplace")
            let missing = try await client.execute(uri: "/v1/parcels/P0000000000AB", method: .get, headers: bearer(op))
            #expect(missing.status == .notFound && missing.errorCode == "not_found")
            let garbage = try await client.execute(uri: "/v1/parcels/..%2F..%2Fetc", method: .get, headers: bearer(op))
            #expect(garbage.status == .notFound)
        }
    }

    @Test("the PNG label served over HTTP decodes with zbarimg to the parcel's QR payload and tracking number")
    func labelOverHTTPDecodes() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        try await h.run { client in
            let p = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(market), body: h.returnBody(country: "US")).parcel
            let id = p["id"] as! String
            let r = try await client.execute(uri: "/v1/parcels/\(id)/label?format=png", method: .get, headers: bearer(market))
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "image/png")
            let file = h.directory.appendingPathComponent("label.png")
            try Data(r.body.readableBytesView).write(to: file)
            let proc = Process()
            proc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            proc.arguments = ["zbarimg", "-q", "--nodbus", file.path]
            let pipe = Pipe()
            proc.standardOutput = pipe
            proc.standardError = FileHandle.nullDevice
            try proc.run()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            proc.waitUntilExit()
            #expect(out.contains("QR-Code:\(p["qr_payload"] as! String)\n"))
            #expect(out.contains("CODE-128:\(p["tracking_number"] as! String)\n"))
        }
    }

    @Test("labels carry a weak ETag; a kiosk revalidating gets 304, with the tag weak, strong, in a list or *, and 200 with another label's; an unknown format is 400 naming it, and so is a format given twice")
    func labelCaching() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        try await h.run { client in
            let id = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(market), body: h.returnBody()).parcel["id"] as! String
            let first = try await client.execute(uri: "/v1/parcels/\(id)/label?format=pdf", method: .get, headers: bearer(market))
            #expect(first.headers[.contentType] == "application/pdf")
            #expect(String(buffer: first.body).hasPrefix("%PDF-"))
            let etag = try #require(first.headers[.eTag])
            let again = try await client.execute(uri: "/v1/parcels/\(id)/label?format=pdf", method: .get, headers: bearer(market, [.ifNoneMatch: etag]))
            #expect(again.status == .notModified)
            // Weak: drawn again, a label is the same label, not always the same bytes (a PDF's creation date).
            #expect(etag == "W/\"\(id)-v1-pdf\"")
            // As a kiosk kept it before the tags were weak, in a list, or any: 304; another label's tag or format: 200.
            for (sent, status) in [("\"\(id)-v1-pdf\"", HTTPResponse.Status.notModified), ("\"x\", \(etag)", .notModified), ("*", .notModified),
                                   ("W/\"\(id)-v1-png\"", .ok), ("W/\"\(id)-v2-pdf\"", .ok), ("\(id)-v1-pdf", .ok)] {
                let r = try await client.execute(uri: "/v1/parcels/\(id)/label?format=pdf", method: .get, headers: bearer(market, [.ifNoneMatch: sent]))
                #expect(r.status == status, "If-None-Match: \(sent)")
            }
            let bad = try await client.execute(uri: "/v1/parcels/\(id)/label?format=gif", method: .get, headers: bearer(market))
            #expect(bad.status == .badRequest && (bad.json["error"] as? [String: Any])?["message"] as? String == "query parameter format must be one of pdf, png, svg, zpl, not gif")
            // Given twice, it is refused: a proxy or cache on the way may read the other one.
            let twice = try await client.execute(uri: "/v1/parcels/\(id)/label?format=png&format=zpl", method: .get, headers: bearer(market))
            #expect(twice.status == .badRequest && (twice.json["error"] as? [String: Any])?["message"] as? String == "query parameter format is given 2 times; send it once")
        }
    }

    @Test("HEAD answers as GET without the body (a load balancer's probe, a kiosk asking a label's size and ETag); another method on a known path, one with an id too, is 405 naming the methods it takes")
    func headAndWrongMethods() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        try await h.run { client in
            let health = try await client.execute(uri: "/healthz", method: .head)
            #expect(health.status == .ok && health.body.readableBytes == 0)
            let id = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(market), body: h.returnBody()).parcel["id"] as! String
            let get = try await client.execute(uri: "/v1/parcels/\(id)/label?format=png", method: .get, headers: bearer(market))
            let head = try await client.execute(uri: "/v1/parcels/\(id)/label?format=png", method: .head, headers: bearer(market))
            #expect(head.status == .ok && head.body.readableBytes == 0)
            #expect(head.headers[.contentType] == "image/png" && head.headers[.eTag] == get.headers[.eTag])
            #expect(head.headers[.contentLength] == "\(get.body.readableBytes)")
            // HEAD needs the same token as GET.
            #expect(try await client.execute(uri: "/v1/parcels/\(id)/label", method: .head).status == .unauthorized)
            for (method, uri, allowed) in [
                (HTTPRequest.Method.put, "/v1/parcels/\(id)/label", "GET, HEAD"), (.delete, "/v1/parcels/\(id)", "GET, HEAD"),
                (.get, "/v1/returns", "POST"), (.post, "/healthz", "GET, HEAD"),
            ] {
                let r = try await client.execute(uri: uri, method: method, headers: bearer(market))
                #expect(r.status == .methodNotAllowed && r.errorCode == "method_not_allowed", "\(method) \(uri)")
                #expect(r.headers[.allow] == allowed, "\(method) \(uri)")
            }
            #expect(try await client.execute(uri: "/v1/parcels/\(id)/labels", method: .get, headers: bearer(market)).status == .notFound)
        }
    }

    @Test("a path of 20,000 characters is answered 404 or 405 with the path cut short in the message, not echoed whole")
    func longPathNotEchoed() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let long = String(repeating: "A", count: 20_000)
        try await h.run { client in
            for (method, uri, status) in [
                (HTTPRequest.Method.get, "/v1/parcels/\(long)", HTTPResponse.Status.notFound),
                (.get, "/v1/parcels/\(long)/label", .notFound),
                (.delete, "/v1/parcels/\(long)", .methodNotAllowed),
                (.get, "/v1/\(long)", .notFound),
            ] {
                let r = try await client.execute(uri: uri, method: method, headers: bearer(market))
                let message = (r.json["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(r.status == status, "\(method) \(uri.prefix(30))")
                #expect(r.body.readableBytes < 400, "\(method) \(uri.prefix(30)): \(r.body.readableBytes) bytes")
                // Still says which path: its start, and how long it was.
                #expect(message.contains("AAAAAAAAAA…") && message.contains("bytes)"), "\(message.prefix(200))")
            }
        }
    }

    @Test("an expired return's label, or one past its deadline the timers have yet to expire, is 410 label_void saying when it expired, to the marketplace and to a kiosk holding its ETag; its parcel answer offers no label",
          arguments: [true, false])
    func expiredLabelVoid(expiredByTimers: Bool) async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        let kiosk = try await h.token(.kiosk, scope: "FR-PARIS-0042")
        try await h.run { client in
            let p = try await h.newParcel(client, token: market)
            let id = p["id"] as! String
            #expect(p["label_required"] as? Bool == true && p["label_url"] is String)
            let live = try await client.execute(uri: "/v1/parcels/\(id)/label?format=png", method: .get, headers: bearer(kiosk))
            let etag = try #require(live.headers[.eTag])
            if expiredByTimers {
                _ = try await h.store.changeStatus(.init(parcelID: id, status: .expired, source: .timer, occurredAt: h.clock.date))
            } else {
                let deadline = try #require(try await h.store.parcel(id: id)).dropOffBy
                h.clock.advance(days: deadline.timeIntervalSince(h.clock.date) / 86_400 + 1e-5)
            }
            let said = "return \(id) expired on \(p["drop_off_by"] as! String) without being dropped off: its label is void, so there is nothing to print"
            for (token, headers) in [(market, HTTPFields()), (kiosk, [.ifNoneMatch: etag] as HTTPFields)] {
                let r = try await client.execute(uri: "/v1/parcels/\(id)/label?format=png", method: .get, headers: bearer(token, headers))
                #expect(r.status == .gone && r.errorCode == "label_void")
                #expect((r.json["error"] as? [String: Any])?["message"] as? String == said)
            }
            let shown = try await client.execute(uri: "/v1/parcels/\(id)", method: .get, headers: bearer(market))
            #expect(shown.parcel["status"] as? String == (expiredByTimers ? "expired" : "label_issued"))
            #expect(shown.parcel["label_required"] as? Bool == false)
            #expect(shown.parcel["label_url"] == nil && shown.parcel["label_urls"] == nil)
        }
    }

    @Test("service points: FR lists La Poste's networks, an unserved country is 404 (UK told it is GB), no country, one that is not two ASCII letters or one given twice is 400")
    func servicePoints() async throws {
        let h = try await TestHarness()
        let kiosk = try await h.token(.kiosk, scope: "FR-PARIS-0042")
        try await h.run { client in
            let fr = try await client.execute(uri: "/v1/service-points?country=FR", method: .get, headers: bearer(kiosk))
            #expect(fr.status == .ok)
            let services = try #require(fr.json["services"] as? [[String: Any]])
            #expect(services.first?["carrier"] as? String == "fr_colissimo")
            #expect((services.first?["networks"] as? [String])?.contains("post_office") == true)
            let ru = try await client.execute(uri: "/v1/service-points?country=ru", method: .get, headers: bearer(kiosk))
            #expect((ru.json["services"] as? [[String: Any]])?.first?["handover"] as? String == "barcode_only")
            let jp = try await client.execute(uri: "/v1/service-points?country=JP", method: .get, headers: bearer(kiosk))
            #expect(jp.status == .notFound && jp.errorCode == "country_not_served")
            let uk = try await client.execute(uri: "/v1/service-points?country=uk", method: .get, headers: bearer(kiosk))
            #expect(uk.status == .notFound && ((uk.json["error"] as? [String: Any])?["message"] as? String)?.contains("(the United Kingdom is GB in ISO 3166-1: send GB)") == true)
            let twice = try await client.execute(uri: "/v1/service-points?country=FR&country=RU", method: .get, headers: bearer(kiosk))
            #expect(twice.status == .badRequest && (twice.json["error"] as? [String: Any])?["message"] as? String == "query parameter country is given 2 times; send it once")
            let none = try await client.execute(uri: "/v1/service-points", method: .get, headers: bearer(kiosk))
            #expect(none.status == .badRequest && ((none.json["error"] as? [String: Any])?["message"] as? String)?.hasSuffix("is required") == true)
            // ß and ﬁ are one letter each, whose capitals are two ASCII letters ("SS", "FI").
            for given in ["FRA", "%C3%A9%C3%A9", "F1", "%C3%9F", "%EF%AC%81"] {
                let bad = try await client.execute(uri: "/v1/service-points?country=\(given)", method: .get, headers: bearer(kiosk))
                #expect(bad.status == .badRequest && ((bad.json["error"] as? [String: Any])?["message"] as? String)?.hasPrefix("query parameter country must be an ISO 3166-1 alpha-2 code such as FR, not ") == true, "\(given)")
            }
        }
    }

    @Test("healthz and readyz answer without a token; unknown routes are JSON 404s")
    func health() async throws {
        let h = try await TestHarness()
        try await h.run { client in
            let live = try await client.execute(uri: "/healthz", method: .get)
            #expect(live.status == .ok && live.json["status"] as? String == "ok")
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok && ready.json["status"] as? String == "ready")
            let nothing = try await client.execute(uri: "/nothing", method: .get)
            #expect(nothing.status == .notFound && nothing.errorCode == "not_found")
        }
    }
}

@Suite("The OpenAPI document matches the server")
struct OpenAPIDocumentTests {
    let document: [String: Any] = {
        let text = try! String(contentsOf: Repository.root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        return try! Yams.load(yaml: text) as! [String: Any]
    }()

    @Test("every route of the router is in openapi.yaml with its method, and nothing else is")
    func routesMatch() async throws {
        let h = try await TestHarness()
        defer { h.cleanUp() }
        let router = buildRouter(runtime: h.runtime)
        let served = Set(router.routes.map { route in
            let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method.rawValue.lowercased()) /\(path)"
        })
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, ops in ops.keys.filter { ["get", "post", "put", "delete", "patch"].contains($0) }.map { "\($0) \(path)" } })
        #expect(served == documented)
    }

    @Test("Money.currency lists exactly the currencies the server accepts in a price")
    func currenciesMatch() throws {
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let money = try #require((schemas["Money"] as? [String: Any])?["properties"] as? [String: Any])
        let listed = try #require((money["currency"] as? [String: Any])?["enum"] as? [String])
        #expect(listed.count == Set(listed).count, "a currency is listed twice")
        #expect(Set(listed) == Money.currencies)
    }

    /// Every string property of a schema, with its path: nested objects, arrays of strings and of
    /// objects, and schemas it refers to.
    func stringProperties(_ schema: [String: Any], _ schemas: [String: Any], path: String = "") -> [(String, [String: Any])] {
        if let ref = schema["$ref"] as? String, let named = schemas[String(ref.split(separator: "/").last!)] as? [String: Any] {
            return stringProperties(named, schemas, path: path)
        }
        // A type may be a list: `[string, "null"]` for an optional field null stands in for.
        let types = schema["type"] as? [String] ?? [schema["type"] as? String].compactMap { $0 }
        switch types.first(where: { $0 != "null" }) {
        case "string": return [(path, schema)]
        case "array": return stringProperties(schema["items"] as? [String: Any] ?? [:], schemas, path: path + "[]")
        default:
            return (schema["properties"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.flatMap { key, value in
                stringProperties(value as? [String: Any] ?? [:], schemas, path: path.isEmpty ? key : "\(path).\(key)")
            }
        }
    }

    /// The server reads a request body with Foundation's decoder, for which `null` is a field
    /// left out: the document must say so, or schemathesis reports every `null` it sends to an
    /// optional field as data that breaks the document and was accepted (it did, for a buyer's
    /// email, once most generated return requests got through: `fuzz/http-hooks.py`).
    @Test("every optional field of a request body takes null, as the server does, and no required one does")
    func optionalFieldsTakeNull() throws {
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        func resolved(_ schema: [String: Any]) -> [String: Any] {
            guard let ref = schema["$ref"] as? String else { return schema }
            return resolved(schemas[String(ref.split(separator: "/").last!)] as? [String: Any] ?? [:])
        }
        var optional: [String] = []
        func visit(_ schema: [String: Any], _ path: String) {
            let schema = resolved(schema)
            if let items = schema["items"] as? [String: Any] { visit(items, path + "[]") }
            let required = Set(schema["required"] as? [String] ?? [])
            for (key, value) in schema["properties"] as? [String: Any] ?? [:] {
                let field = resolved(value as? [String: Any] ?? [:])
                let types = field["type"] as? [String] ?? [field["type"] as? String].compactMap { $0 }
                if required.contains(key) {
                    #expect(!types.contains("null"), "\(path).\(key) is required and takes null")
                } else {
                    optional.append("\(path).\(key)")
                    #expect(types.contains("null"), "\(path).\(key) is optional: the server takes null for it, the document does not say so")
                }
                visit(field, "\(path).\(key)")
            }
        }
        for (path, operations) in paths {
            for (method, operation) in operations {
                let body = ((operation as? [String: Any])?["requestBody"] as? [String: Any])?["content"] as? [String: Any]
                guard let schema = (body?["application/json"] as? [String: Any])?["schema"] as? [String: Any] else { continue }
                visit(schema, "\(method.uppercased()) \(path)")
            }
        }
        #expect(Set(optional) == ["POST /v1/returns.buyer.email", "POST /v1/warehouse/inspections.items[].dispute_id", "POST /v1/warehouse/inspections.items[].reason"])
    }

    /// Text the server takes in a field must match the field's pattern, and text the pattern
    /// refuses the server must refuse: schemathesis sends the pattern's misses as data that
    /// breaks the document and expects a 4xx for each (`scripts/fuzz-http`), and builds the rest
    /// from it. The pattern may take more than the server does (marks alone, a BOM alone).
    @Test("the text patterns of a return request and an inspection take every text the server takes, and refuse control characters and blank text")
    func textPatternsMatchTheServer() throws {
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let request = try #require(schemas["ReturnRequest"] as? [String: Any])
        // Fields with a form of their own, checked by other rules than free text.
        let formed: Set = ["received_at", "buyer.address.country", "items[].unit_price.amount", "items[].unit_price.currency"]
        var texts = stringProperties(request, schemas).filter { !formed.contains($0.0) }.map { ($0.0, $0.1, false) }
        #expect(texts.count == 13, "\(texts.map(\.0))")
        let inspection = try #require(schemas["ItemInspection"] as? [String: Any])
        texts += stringProperties(inspection, schemas).filter { $0.0 == "reason" }.map { ("inspection reason", $0.1, true) }
        let samples = HostileTextTests.strings + [
            "Jeanne Martin", "  a  ", " ", "\u{A0}\u{3000}", "\t", "x\u{85}", "\u{9F}", "ok\n", "\u{2028}", "D-1", "0", "é",
            "\u{FEFF}a", "a\u{200D}b", String(repeating: "a", count: 64),
        ]
        for (field, schema, mayBeBlank) in texts {
            let pattern = try #require(schema["pattern"] as? String, "\(field) has no pattern")
            let regex = try NSRegularExpression(pattern: pattern)
            // As JSON Schema reads `^…$` (ECMA-262): the whole text. ICU's `$` also matches
            // before a last line break ("ok\r\n"), so the match must span all of it.
            func matches(_ s: String) -> Bool {
                let all = NSRange(s.startIndex..., in: s)
                return regex.firstMatch(in: s, range: all)?.range == all
            }
            let max = schema["maxLength"] as? Int ?? 10_000
            for s in samples {
                let matches = matches(s)
                let taken = FieldText.problem(s, max: max, mayBeBlank: mayBeBlank) == nil
                #expect(!taken || matches, "\(field): the server takes \(s.debugDescription), the pattern refuses it")
            }
            // And the pattern says what it is for: no control characters, and (unless the field
            // may be blank) something besides spaces.
            for s in ["a\u{0}b", "ok\r\n", "x\u{85}", "\u{7F}"] + (mayBeBlank ? [] : [" ", "\u{A0}\u{3000}"]) {
                #expect(!matches(s), "\(field): the pattern takes \(s.debugDescription)")
            }
        }
    }

    @Test("a parcel answer carries every field the document marks required")
    func parcelFieldsMatch() async throws {
        let h = try await TestHarness()
        let token = try await h.token(.marketplace)
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let required = try #require((schemas["Parcel"] as? [String: Any])?["required"] as? [String])
        let properties = Set(try #require((schemas["Parcel"] as? [String: Any])?["properties"] as? [String: Any]).keys)
        try await h.run { client in
            let r = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(token), body: h.returnBody())
            for field in required { #expect(r.parcel[field] != nil, "\(field) missing from the answer") }
            for field in r.parcel.keys { #expect(properties.contains(field), "\(field) is not documented") }
        }
    }
}

@Suite("Parcel view with carrier tracking")
struct ParcelTrackingViewTests {
    @Test("GET /v1/parcels/{id} lists the carrier's events, oldest first, with the status each implies; one dated before the parcel was issued is marked before_issue and moved nothing")
    func trackingEventsShown() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace)
        try await h.run { client in
            let id = try await h.newParcel(client, token: market)["id"] as! String
            let at = h.clock.date
            _ = try await h.store.recordPoll(PollRecord(parcelID: id, outcome: .events([
                TrackingEventRecord(code: "ET1", description: "En cours d'acheminement", occurredAt: at.addingTimeInterval(-3600), location: "Lyon", status: .inTransit),
                TrackingEventRecord(code: "PC1", description: "Pris en charge", occurredAt: at.addingTimeInterval(-7200), location: nil, status: .droppedOff),
                TrackingEventRecord(code: "DI1", description: "Distribué", occurredAt: at.addingTimeInterval(-365 * 86_400), location: nil, status: .arrivedAtWarehouse),
            ]), polledAt: at, nextPollAt: at.addingTimeInterval(3600)))
            let r = try await client.execute(uri: "/v1/parcels/\(id)", method: .get, headers: bearer(market))
            #expect(r.parcel["status"] as? String == "in_transit")
            let all = try #require(r.parcel["tracking_events"] as? [[String: Any]])
            #expect(all.first?["code"] as? String == "DI1" && all.first?["before_issue"] as? Bool == true)
            let events = Array(all.dropFirst())
            #expect(events.allSatisfy { $0["before_issue"] == nil })
            #expect(events.map { $0["code"] as? String } == ["PC1", "ET1"])
            #expect(events.map { $0["status"] as? String } == ["dropped_off", "in_transit"])
            #expect(events.last?["location"] as? String == "Lyon")
            #expect(r.parcel["status"] as? String == "in_transit")
        }
    }
}
