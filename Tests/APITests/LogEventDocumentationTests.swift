import Foundation
import Testing

@Suite("Log events")
struct LogEventDocumentationTests {
    /// Every `logger.<level>("event.name"` in Sources is in the README's table: operators grep
    /// for these names, so each one is part of the interface.
    @Test("every event name the code logs is documented in the README")
    func everyEventIsDocumented() throws {
        let readme = try String(contentsOf: Repository.root.appendingPathComponent("README.md"), encoding: .utf8)
        let sources = Repository.root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
        let pattern = try Regex(#"logger\.(trace|debug|info|notice|warning|error|critical)\(\s*"([a-z_.]+)""#)
        var events = Set<String>()
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: pattern) { events.insert(String(match.output[2].substring!)) }
        }
        // `ReturnIssuer` picks its event from a table; those names count too.
        for name in ["parcel.label_issued", "parcel.items_added", "parcel.request_replayed", "http.request", "config.invalid"] { events.insert(name) }
        #expect(events.count > 30)
        for event in events.sorted() { #expect(readme.contains("`\(event)`"), "\(event) is logged but not documented") }
    }
}
