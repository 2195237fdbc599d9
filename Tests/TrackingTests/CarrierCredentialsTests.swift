import Carriers
import Foundation
import Testing
@testable import Tracking

@Suite("Carrier credential files")
struct CarrierCredentialsTests {
    @Test("a credential is the file's trimmed text; an absent one is not found; an id:secret without a colon says the form, never the secret")
    func readsAndExplains() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("credentials-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try " the-key \n".write(to: folder.appendingPathComponent("returnd_api_key"), atomically: true, encoding: .utf8)
        try "no-colon-secret".write(to: folder.appendingPathComponent("returnd_oauth_client"), atomically: true, encoding: .utf8)
        let credentials = CarrierCredentials(directory: folder.path, prefix: "returnd_")
        #expect(try credentials.read("api_key") == "the-key")
        #expect(throws: CarrierCredentials.Missing.self) { try credentials.read("absent") }
        do {
            _ = try credentials.pair("oauth_client")
            Issue.record("a credential without a colon was taken as id:secret")
        } catch {
            #expect("\(error)" == "credential returnd_oauth_client in \(folder.path) is not in the form id:secret")
        }
    }

    @Test("the carriers whose credential cannot be read are named, missing or unusable; a carrier without auth needs none; with every file there, none")
    func unreadableNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("credentials-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let catalog = try CarrierCatalog.load(directory: repo.appendingPathComponent("carriers").path)
        let needing = catalog.services.filter { $0.tracking.authStyle != .none && $0.tracking.credential != nil }
        #expect(needing.count >= 2)
        let credentials = CarrierCredentials(directory: folder.path, prefix: "carrier_")
        #expect(Set(credentials.unreadable(in: catalog).map(\.carrierID)) == Set(needing.map(\.id)))

        for service in needing.dropFirst(2) {
            try "id:secret".write(to: folder.appendingPathComponent("carrier_" + service.tracking.credential!), atomically: true, encoding: .utf8)
        }
        // The second one there but not a file it can read.
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("carrier_" + needing[1].tracking.credential!), withIntermediateDirectories: true)
        let unreadable = credentials.unreadable(in: catalog)
        #expect(unreadable.map(\.carrierID) == [needing[0].id, needing[1].id])
        #expect(unreadable.first?.problem is CarrierCredentials.Missing && unreadable.last?.problem is CarrierCredentials.Unusable)

        var keyless = needing[0]
        keyless.tracking.authStyle = .none
        #expect(credentials.unreadable(in: CarrierCatalog(services: [keyless])).isEmpty)
        try "key".write(to: folder.appendingPathComponent("carrier_" + needing[0].tracking.credential!), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("carrier_" + needing[1].tracking.credential!))
        try "key".write(to: folder.appendingPathComponent("carrier_" + needing[1].tracking.credential!), atomically: true, encoding: .utf8)
        #expect(credentials.unreadable(in: catalog).isEmpty)
    }
}
