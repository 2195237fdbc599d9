import Foundation
import ReturnsCore
import Store
import Testing

/// A real SQLite file in a fresh temporary directory per test.
func makeStore() async throws -> (SQLReturnStore, URL) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-store-\(UUID().uuidString)")
    let store = try SQLReturnStore.sqlite(path: dir.appendingPathComponent("returnd.sqlite").path)
    try await store.migrate()
    return (store, dir)
}

func request(dispute: String = "D-1", buyer: String = "B-1", seller: String = "S-1", skus: [String] = ["A"], country: String = "FR", receivedAt: Date = Date()) -> ReturnRequest {
    ReturnRequest(
        disputeID: dispute, orderID: "O-\(dispute)", receivedAt: receivedAt, reason: "changed_mind",
        buyer: Buyer(id: buyer, name: "Léa", address: PostalAddress(lines: ["1 rue X"], city: "Paris", postalCode: "75001", country: country)),
        seller: Seller(id: seller, name: "Shop \(seller)"),
        items: skus.map { RequestedItem(sku: $0, title: "Item \($0)", quantity: 1, unitPrice: Money(amount: "10.00", currency: "EUR"), freeReturn: true) })
}

func issuance(_ r: ReturnRequest, key: String? = nil, hash: String = "h", range: ClosedRange<Int> = 10_000_000...10_099_999) -> ReturnIssuance {
    ReturnIssuance(
        request: r, idempotencyKey: key, requestHash: hash, now: Date(), policy: ReturnPolicy(), carrierID: "fr_colissimo",
        warehouseID: "WH-FR", scheme: .upuS10(serviceIndicator: "CY", countryCode: "FR"), serialCounterKey: "upu_s10:CY:FR",
        serialRange: range)
}

@Suite("SQLite store")
struct SQLiteReturnStoreTests {
    @Test("a new return opens a parcel with a valid tracking number, history and one outbox event")
    func createsParcel() async throws {
        let (store, dir) = try await makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let outcome = try await store.issueReturn(issuance(request()))
        #expect(outcome.kind == .created)
        let p = outcome.parcel
        #expect(TrackingNumberScheme.isValidS10(p.trackingNumber))
        #expect(p.status == .labelIssued)
        #expect(p.history.map(\.status) == [.labelIssued])
        #expect(try ReturnCode(parsing: p.returnCode).canonical == p.returnCode)
        let events = try await store.outbox(state: .pending, limit: 10)
        #expect(events.map(\.type) == ["return.label_issued"])
        #expect(events.first?.parcelID == p.id && events.first?.disputeID == "D-1")
    }

    @Test("the same buyer and seller share the open parcel; another seller gets its own")
    func grouping() async throws {
        let (store, dir) = try await makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try await store.issueReturn(issuance(request(dispute: "D-1", skus: ["A"])))
        let joined = try await store.issueReturn(issuance(request(dispute: "D-2", skus: ["B", "C"])))
        let other = try await store.issueReturn(issuance(request(dispute: "D-3", seller: "S-2", skus: ["Z"])))
        #expect(joined.kind == .joined)
        #expect(joined.parcel.id == first.parcel.id)
        #expect(joined.parcel.items.map(\.sku) == ["A", "B", "C"])
        #expect(joined.parcel.labelVersion == 2)
        #expect(joined.parcel.disputeIDs == ["D-1", "D-2"])
        #expect(other.kind == .created && other.parcel.id != first.parcel.id)
        #expect(other.parcel.trackingNumber != first.parcel.trackingNumber)
    }

    @Test("an idempotent replay answers the same parcel and changes nothing; a reused key with another body is refused")
    func idempotency() async throws {
        let (store, dir) = try await makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try await store.issueReturn(issuance(request(), key: "k1", hash: "h1"))
        let replay = try await store.issueReturn(issuance(request(), key: "k1", hash: "h1"))
        #expect(replay.kind == .replayed && replay.parcel == first.parcel)
        #expect(try await store.outbox(state: .pending, limit: 10).count == 1)
        await #expect {
            try await store.issueReturn(issuance(request(skus: ["Q"]), key: "k1", hash: "h2"))
        } throws: { ($0 as? ReturnRefusal)?.code == .idempotencyKeyReused }
    }

    @Test("an item already in a parcel cannot be returned again")
    func duplicateItem() async throws {
        let (store, dir) = try await makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try await store.issueReturn(issuance(request(skus: ["A"])))
        await #expect {
            try await store.issueReturn(issuance(request(skus: ["A"])))
        } throws: { ($0 as? ReturnRefusal)?.code == .itemAlreadyReturned }
    }

    @Test("concurrent requests never get the same tracking number and never fork a group")
    func concurrentAllocation() async throws {
        let (store, dir) = try await makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let parcels = try await withThrowingTaskGroup(of: Parcel.self) { group in
            for i in 0..<200 {
                // 100 distinct sellers, two requests each: 100 parcels, each with two items.
                group.addTask { try await store.issueReturn(issuance(request(dispute: "D-\(i)", seller: "S-\(i % 100)", skus: ["SKU-\(i)"]))).parcel }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let byID = Dictionary(grouping: parcels, by: \.id)
        #expect(byID.count == 100)
        let final = try await withThrowingTaskGroup(of: Parcel?.self) { group in
            for id in byID.keys { group.addTask { try await store.parcel(id: id) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }.compactMap { $0 }
        #expect(Set(final.map(\.trackingNumber)).count == 100)
        #expect(final.allSatisfy { $0.items.count == 2 })
    }

    @Test("an exhausted serial range is a clear refusal, and numbers are not reused")
    func exhaustion() async throws {
        let (store, dir) = try await makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let range = 10_000_000...10_000_001
        let a = try await store.issueReturn(issuance(request(dispute: "D-a", seller: "S-a"), range: range))
        let b = try await store.issueReturn(issuance(request(dispute: "D-b", seller: "S-b"), range: range))
        #expect(a.parcel.trackingNumber != b.parcel.trackingNumber)
        await #expect {
            try await store.issueReturn(issuance(request(dispute: "D-c", seller: "S-c"), range: range))
        } throws: { ($0 as? ReturnRefusal)?.code == .serialRangeExhausted }
        #expect(try await store.serialCounters().first?.remaining == 0)
        // Widening the range in the carrier file resumes allocation after the last number.
        let c = try await store.issueReturn(issuance(request(dispute: "D-c", seller: "S-c"), range: 10_000_000...10_000_005))
        #expect(c.parcel.trackingNumber.contains("10000002"))
    }

    @Test("a committed parcel is there after the store is reopened from the file")
    func durableAcrossReopen() async throws {
        let (store, dir) = try await makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = try await store.issueReturn(issuance(request())).parcel
        let reopened = try SQLReturnStore.sqlite(path: dir.appendingPathComponent("returnd.sqlite").path)
        try await reopened.migrate()
        #expect(try await reopened.parcel(trackingNumber: p.trackingNumber) == p)
        #expect(try await reopened.parcel(returnCode: p.returnCode)?.id == p.id)
    }

    @Test("tokens are found by hash only while not revoked")
    func tokens() async throws {
        let (store, dir) = try await makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let secret = AccessToken.newSecret()
        let token = AccessToken(id: AccessToken.newID(), role: .kiosk, scope: "FR-PARIS-1", label: nil, createdAt: Date())
        try await store.createToken(token, secretHash: AccessToken.hash(secret: secret))
        #expect(try await store.activeToken(secretHash: AccessToken.hash(secret: secret))?.id == token.id)
        #expect(try await store.activeToken(secretHash: AccessToken.hash(secret: secret + "x")) == nil)
        #expect(try await store.revokeToken(id: token.id, at: Date()))
        #expect(try await !store.revokeToken(id: token.id, at: Date()))
        #expect(try await store.activeToken(secretHash: AccessToken.hash(secret: secret)) == nil)
        #expect(try await store.tokens().first?.revokedAt != nil)
    }
}
