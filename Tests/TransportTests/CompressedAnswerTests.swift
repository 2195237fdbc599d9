import Foundation
import Testing
@testable import Transport

/// What `gzip` (in every Debian) makes of `shell`'s output.
private func gzipped(_ shell: String) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "\(shell) | gzip -c -9"]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let bytes = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0)
    return Array(bytes)
}

/// A carrier answering `body`, gzip-compressed, to a request that accepts gzip, and 406 to
/// one that does not.
private func withGzipServer(_ body: [UInt8], _ run: @Sendable (_ base: String) async throws -> Void) async throws {
    try await withRawServer(answering: { client in
        guard let head = readRequestHead(client) else { return }
        let accepted = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("accept-encoding:") }
        guard accepted?.contains("gzip") == true else {
            return sendAll(client, Array("HTTP/1.1 406 Not Acceptable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
        }
        let answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        sendAll(client, Array(answer.utf8) + body)
    }, run)
}

/// returnd asks for compressed answers (libcurl's Accept-Encoding), so a carrier may send one,
/// and a hostile one may send a small body that inflates without end.
@Suite("compressed answers")
struct CompressedAnswerTests {
    @Test("returnd asks for gzip, and a gzip answer is read as the bytes it decodes to")
    func gzipRead() async throws {
        let json = #"{"trackingNumber":"00340434161094042557","events":[{"code":"DELIVERED"}]}"#
        let compressed = try gzipped("printf '%s' '\(json)'")
        #expect(compressed.starts(with: [0x1F, 0x8B]))
        let transport = HTTPTransport()
        defer { transport.shutdown() }
        try await withGzipServer(compressed) { base in
            let r = try await transport.send(OutboundRequest(url: "\(base)/track"))
            #expect(r.status == 200)
            #expect(String(decoding: r.body, as: UTF8.self) == json)
        }
    }

    @Test("the body bound counts decoded bytes: 64 KiB of gzip inflating to 64 MiB fails at a 4 MiB bound (the tracking poller's), or is cut there for a caller that reads only the status")
    func gzipBombBounded() async throws {
        let bomb = try gzipped("head -c 67108864 /dev/zero")
        // Under the bound as sent: only a bound on what it decodes to stops it.
        #expect(bomb.count < 4 << 20, "\(bomb.count) bytes")
        let transport = HTTPTransport()
        defer { transport.shutdown() }
        try await withGzipServer(bomb) { base in
            await #expect(throws: TransportError.responseTooLarge(limit: 4 << 20)) {
                try await transport.send(OutboundRequest(url: "\(base)/track", maxResponseBytes: 4 << 20))
            }
            let cut = try await transport.send(OutboundRequest(url: "\(base)/track", maxResponseBytes: 64 * 1024, oversizedAnswer: .cut))
            #expect(cut.status == 200 && cut.bodyCut && cut.body.count <= 64 * 1024)
            #expect(cut.body.allSatisfy { $0 == 0 })
        }
    }
}
