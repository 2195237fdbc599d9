import API
import Foundation
import Logging
import Synchronization
import Testing

@Suite("Secrets made on first start")
struct FirstStartSecretsTests {
    @Test("instances starting at once on an empty folder end with one signing key and one webhook secret, which all of them use")
    func oneKeyForAll() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-secrets-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("returnd.yaml").path
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "state_directory: \(dir.path)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let config = try await ReturndConfiguration.load(file: file, environment: [:])
        // Eight threads, released together, each as an instance's start would.
        let results = Mutex<[(String, String)?]>([])
        let start = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        for _ in 0..<8 {
            Thread {
                start.wait()
                let signed = try? ReturndBootstrap.loadSigner(config, logger: Logger(label: "test")).sign(parcelID: "P0000000000AB", trackingNumber: "CY100000003FR", country: "FR")
                let webhook = try? ReturndBootstrap.loadWebhookSigner(config, logger: Logger(label: "test")).header(body: Array("{}".utf8), timestamp: 1)
                results.withLock { $0.append(signed.flatMap { s in webhook.map { (s, $0) } }) }
                done.signal()
            }.start()
        }
        for _ in 0..<8 { start.signal() }
        for _ in 0..<8 { done.wait() }
        let all = results.withLock { $0 }
        #expect(all.allSatisfy { $0 != nil }, "an instance failed to start")
        #expect(Set(all.compactMap { $0?.0 }).count == 1, "instances sign with different keys")
        #expect(Set(all.compactMap { $0?.1 }).count == 1, "instances sign webhooks with different secrets")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["dispute-webhook.secret", "returnd.yaml", "signing.keys"])
    }
}
