import Foundation
import Testing
@testable import Transport

@Suite("Response header lines read as bytes")
struct HeaderLineTests {
    func read(_ text: String) -> HeaderLine {
        Array(text.utf8).withUnsafeBufferPointer { HeaderLine($0) }
    }

    @Test("a field's name is lower-cased and its value loses the whitespace and line end around it")
    func field() {
        #expect(read("Retry-After:   120 \r\n") == .field(name: "retry-after", value: "120"))
        #expect(read("X-Carrier-ID:\tAbC dEf\t\r\n") == .field(name: "x-carrier-id", value: "AbC dEf"))
        #expect(read("Content-Type:application/json") == .field(name: "content-type", value: "application/json"))
        #expect(read("Empty:  \r\n") == .field(name: "empty", value: ""))
        #expect(read("Location: http://a/b:c\r\n") == .field(name: "location", value: "http://a/b:c"))
        #expect(read("X-Name: Zoë Ünal\r\n") == .field(name: "x-name", value: "Zoë Ünal"))
    }

    @Test("a status line starts a new response; the blank line and lines without a colon are neither")
    func statusAndOther() {
        #expect(read("HTTP/1.1 100 Continue\r\n") == .status)
        #expect(read("HTTP/2 200\r\n") == .status)
        #expect(read("\r\n") == .other)
        #expect(read("garbage line\r\n") == .other)
    }

    @Test("the same as Foundation's lowercased and trimmingCharacters on ASCII header lines")
    func matchesFoundation() {
        var g = SystemRandomNumberGenerator()
        let alphabet = Array("AZaz09-_: \t\r\n.,;=/\"".utf8)
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0..<40, using: &g)).map { _ in alphabet.randomElement(using: &g)! }
            let text = String(decoding: bytes, as: UTF8.self)
            let expected: HeaderLine
            if text.hasPrefix("HTTP/") { expected = .status } else if let colon = text.firstIndex(of: ":") {
                expected = .field(name: text[..<colon].lowercased(), value: text[text.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines))
            } else { expected = .other }
            #expect(read(text) == expected, "\(text.debugDescription)")
        }
    }
}
