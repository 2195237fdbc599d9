import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ReturnsCore
import Testing

/// DOMAIN.md: once an order's free label is used, the rest of the order goes back in one package
/// under that label, its tracking number written by hand.
@Suite("The rest of an order under its used label")
struct LabelReuseRouteTests {
    /// A parcel of order O-1 handed over at a kiosk, then the rest of the order requested: both
    /// answers' parcels.
    func usedLabelAndRest(_ h: TestHarness, _ client: any TestClientProtocol, market: String, kiosk: String) async throws -> (first: [String: Any], rest: TestResponse) {
        let first = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(market), body: h.returnBody(dispute: "D-1", order: "O-1", skus: ["A"])).parcel
        let handed = try await h.post(client, "/v1/kiosk/dropoffs", token: kiosk, #"{"code": "\#(first["return_code"] as! String)"}"#)
        #expect(handed.parcel["status"] as? String == "dropped_off")
        let rest = try await client.execute(uri: "/v1/returns", method: .post, headers: bearer(market), body: h.returnBody(dispute: "D-2", order: "O-1", skus: ["B"]))
        return (first, rest)
    }

    @Test("the rest of an order after its label was used is 201 reused_label: no label to print, the first label's number, the labelled parcel named; its label is 409 label_reused")
    func restAnsweredWithoutLabel() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace), kiosk = try await h.token(.kiosk, scope: "FR-PARIS-0042")
        try await h.run { client in
            let (first, rest) = try await usedLabelAndRest(h, client, market: market, kiosk: kiosk)
            #expect(rest.status == .created && rest.headers[HTTPField.Name("Returnd-Outcome")!] == "reused_label")
            let p = rest.parcel
            #expect(p["label_required"] as? Bool == false)
            #expect(p["reuses_label_of"] as? String == first["id"] as? String)
            #expect(p["tracking_number"] as? String == first["tracking_number"] as? String)
            #expect(p["id"] as? String != first["id"] as? String && p["return_code"] as? String != first["return_code"] as? String)
            #expect(p["label_url"] == nil && p["label_urls"] == nil)
            #expect(first["label_required"] as? Bool == true && first["reuses_label_of"] == nil)
            let label = try await client.execute(uri: "/v1/parcels/\(p["id"] as! String)/label?format=pdf", method: .get, headers: bearer(market))
            #expect(label.status == .conflict && label.errorCode == "label_reused")
            let message = (label.json["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains(first["id"] as! String) && message.contains(first["tracking_number"] as! String))
            // The labelled parcel's label still prints.
            let own = try await client.execute(uri: "/v1/parcels/\(first["id"] as! String)/label?format=pdf", method: .get, headers: bearer(market))
            #expect(own.status == .ok)
            // Counted apart from new labels.
            let metrics = Set(String(buffer: try await client.execute(uri: "/metrics", method: .get).body).split(separator: "\n").map(String.init))
            #expect(metrics.contains(#"returnd_parcels_created_total{country="FR"} 1"#))
            #expect(metrics.contains(#"returnd_parcels_under_used_label_total{country="FR"} 1"#))
        }
    }

    @Test("a kiosk reading the shared tracking number is shown and takes the package not yet handed over")
    func kioskTakesThePackageWaiting() async throws {
        let h = try await TestHarness()
        let market = try await h.token(.marketplace), kiosk = try await h.token(.kiosk, scope: "FR-PARIS-0042")
        try await h.run { client in
            let (first, rest) = try await usedLabelAndRest(h, client, market: market, kiosk: kiosk)
            let number = first["tracking_number"] as! String
            let shown = try await h.post(client, "/v1/kiosk/scans", token: kiosk, #"{"code": "\#(number)"}"#)
            #expect(shown.status == .ok && shown.parcel["id"] as? String == rest.parcel["id"] as? String)
            #expect(shown.parcel["label_required"] as? Bool == false)
            let handed = try await h.post(client, "/v1/kiosk/dropoffs", token: kiosk, #"{"code": "\#(number)"}"#)
            #expect(handed.parcel["id"] as? String == rest.parcel["id"] as? String && handed.parcel["status"] as? String == "dropped_off")
            // Both handed over: the number names the labelled parcel again, a harmless repeat.
            let again = try await h.post(client, "/v1/kiosk/dropoffs", token: kiosk, #"{"code": "\#(number)"}"#)
            #expect(again.status == .ok && again.parcel["id"] as? String == first["id"] as? String)
            let events = try await h.store.outbox(state: .pending, limit: 20).filter { $0.type == "return.dropped_off" }.map(\.disputeID)
            #expect(events == ["D-1", "D-2"])
        }
    }

    @Test("warehouse reads of the shared number: the first goes to the package without a receipt, a retry to the same one, the next to the other; the labelled parcel's arrival does not mark the rest arrived")
    func warehouseReadsEachPackageOnce() async throws {
        let h = try await TestHarness()
        let (market, kiosk, scanner) = try await h.parties()
        try await h.run { client in
            let (first, rest) = try await usedLabelAndRest(h, client, market: market, kiosk: kiosk)
            let firstID = first["id"] as! String, restID = rest.parcel["id"] as! String
            let number = first["tracking_number"] as! String
            _ = try await h.post(client, "/v1/kiosk/dropoffs", token: kiosk, #"{"code": "\#(number)"}"#)
            // The carrier reports its label delivered at the warehouse: that is the labelled parcel.
            _ = try await h.store.changeStatus(.init(parcelID: firstID, status: .arrivedAtWarehouse, source: .carrier, occurredAt: h.clock.date))
            #expect(try await h.store.parcel(id: restID)?.status == .droppedOff)
            // The boxes reach the warehouse an hour later; the reads below are dated within that hour.
            h.clock.advance(days: 1.0 / 24)
            func read(_ minutesAgo: Double) async throws -> TestResponse {
                let at = h.clock.date.addingTimeInterval(-minutesAgo * 60).formatted(.iso8601)
                return try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(number)", "scanned_at": "\#(at)"}"#)
            }
            let one = try await read(10), retry = try await read(10)
            #expect(one.status == .ok && one.parcel["id"] as? String == firstID)
            #expect(String(buffer: retry.body) == String(buffer: one.body))
            #expect(try await h.store.parcel(id: restID)?.status == .droppedOff)
            let arrivedBefore = try await h.store.outbox(state: .pending, limit: 20).filter { $0.type == "return.arrived_at_warehouse" }.map(\.disputeID)
            #expect(arrivedBefore == ["D-1"])

            let two = try await read(5)
            #expect(two.parcel["id"] as? String == restID && two.parcel["status"] as? String == "arrived_at_warehouse")
            let arrived = try await h.store.outbox(state: .pending, limit: 20).filter { $0.type == "return.arrived_at_warehouse" }.map(\.disputeID)
            #expect(arrived == ["D-1", "D-2"])
            // A third read finds both packages read: a repeat on the labelled parcel, nothing new.
            let three = try await read(1)
            #expect(three.status == .ok && three.parcel["id"] as? String == firstID)
            #expect(try await h.store.receipts(parcelID: restID).count == 1)
            #expect(try await h.store.outbox(state: .pending, limit: 20).count == 6)
        }
    }

    @Test("a package read first at another warehouse (misrouted) is still the one awaited at its own")
    func misroutedReadDoesNotCountHere() async throws {
        let h = try await TestHarness()
        let (market, kiosk, scanner) = try await h.parties()
        let elsewhere = try await h.token(.scanner, scope: "WH-EU-VNL")
        try await h.run { client in
            let (first, rest) = try await usedLabelAndRest(h, client, market: market, kiosk: kiosk)
            let number = first["tracking_number"] as! String
            _ = try await h.post(client, "/v1/kiosk/dropoffs", token: kiosk, #"{"code": "\#(number)"}"#)
            let at = h.clock.date.formatted(.iso8601)
            let wrong = try await h.post(client, "/v1/warehouse/receipts", token: elsewhere, #"{"code": "\#(number)", "scanned_at": "\#(at)"}"#)
            #expect(wrong.status == .conflict && wrong.errorCode == "wrong_warehouse")
            #expect(try await h.store.receipts(parcelID: first["id"] as! String).count == 1)
            let here = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(number)", "scanned_at": "\#(at)"}"#)
            #expect(here.status == .ok && here.parcel["id"] as? String == first["id"] as? String)
            #expect(try await h.store.parcel(id: rest.parcel["id"] as! String)?.status == .droppedOff)
        }
    }

    @Test("a package's own parcel id names that package at the warehouse, where the shared number would name the first one awaited")
    func packageByItsParcelID() async throws {
        let h = try await TestHarness()
        let (market, kiosk, scanner) = try await h.parties()
        try await h.run { client in
            let (first, rest) = try await usedLabelAndRest(h, client, market: market, kiosk: kiosk)
            let firstID = first["id"] as! String, restID = rest.parcel["id"] as! String
            _ = try await h.post(client, "/v1/kiosk/dropoffs", token: kiosk, #"{"code": "\#(restID)"}"#)
            #expect(try await h.store.parcel(id: restID)?.status == .droppedOff)
            let read = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(restID.lowercased())", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#)
            #expect(read.status == .ok && read.parcel["id"] as? String == restID && read.parcel["status"] as? String == "arrived_at_warehouse")
            #expect(try await h.store.parcel(id: firstID)?.status == .droppedOff)
            #expect(try await h.store.receipts(parcelID: firstID).isEmpty)
        }
    }

    @Test("an inspection by the shared number goes to the package holding the items inspected")
    func inspectionFindsItsPackage() async throws {
        let h = try await TestHarness()
        let (market, kiosk, scanner) = try await h.parties()
        try await h.run { client in
            let (first, rest) = try await usedLabelAndRest(h, client, market: market, kiosk: kiosk)
            let number = first["tracking_number"] as! String, restID = rest.parcel["id"] as! String
            for code in [first["return_code"] as! String, rest.parcel["return_code"] as! String] {
                let r = try await h.post(client, "/v1/warehouse/receipts", token: scanner, #"{"code": "\#(code)", "scanned_at": "\#(h.clock.date.formatted(.iso8601))"}"#)
                #expect(r.parcel["status"] as? String == "arrived_at_warehouse")
            }
            let verdict = #"{"code": "\#(number)", "items": [{"sku": "B", "outcome": "accepted"}]}"#
            let inspected = try await h.post(client, "/v1/warehouse/inspections", token: scanner, verdict)
            #expect(inspected.status == .ok && inspected.parcel["id"] as? String == restID && inspected.parcel["status"] as? String == "inspected")
            let retried = try await h.post(client, "/v1/warehouse/inspections", token: scanner, verdict)
            #expect(retried.status == .ok && retried.parcel["id"] as? String == restID)
            #expect(try await h.store.parcel(id: first["id"] as! String)?.status == .arrivedAtWarehouse)
            // An auditor reading the labelled parcel sees the package under its label.
            let op = try await h.token(.operator)
            let shown = try await client.execute(uri: "/v1/parcels/\(first["id"] as! String)", method: .get, headers: bearer(op))
            #expect(shown.parcel["packages_under_label"] as? [String] == [restID])
            let other = try await client.execute(uri: "/v1/parcels/\(restID)", method: .get, headers: bearer(op))
            #expect(other.parcel["packages_under_label"] == nil && other.parcel["reuses_label_of"] as? String == first["id"] as? String)
        }
    }
}
