@testable import API
import Logging
import Testing

@Suite("The log line format")
struct KeyValueLogHandlerTests {
    @Test("a value from outside with control characters stays on one line, quoted, its controls written out")
    func controlsWrittenOut() {
        let line = KeyValueLogHandler.line(level: .warning, module: "tracking", message: "tracking.event_after_close", metadata: [
            "code": "PC1\u{1B}]0;owned\u{7}", "carrier": "fr_colissimo", "error": "bad\r\n<2>service.failed fake=\"yes\"",
        ])
        #expect(line == "<4>tracking.event_after_close level=warning module=tracking carrier=fr_colissimo code=\"PC1\\u{1B}]0;owned\\u{7}\" error=\"bad\\r\\n<2>service.failed fake=\\\"yes\\\"\"\n")
        #expect(line.filter(\.isNewline).count == 1)
    }

    @Test("plain values stay bare; spaces, quotes and = are quoted; a library's sentence becomes library.message")
    func quoting() {
        #expect(KeyValueLogHandler.line(level: .info, module: "http", message: "http.request", metadata: ["path": "/v1/returns", "status": "201"])
            == "<6>http.request level=info module=http path=/v1/returns status=201\n")
        #expect(KeyValueLogHandler.line(level: .error, module: "main", message: "Server started on 127.0.0.1", metadata: ["hint": "a=b", "empty": ""])
            == "<3>library.message level=error module=main empty=\"\" hint=\"a=b\" message=\"Server started on 127.0.0.1\"\n")
    }
}
