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
}
