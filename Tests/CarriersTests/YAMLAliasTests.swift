import Carriers
import Testing
import Yams

/// Eight lines whose aliases stand for 9^8 (43 million) values, under `key`.
func aliasBomb(under key: String) -> String {
    var lines = ["x0: &a0 {" + (0..<9).map { "k\($0): transit" }.joined(separator: ", ") + "}"]
    for i in 1..<8 { lines.append("x\(i): &a\(i) {" + (0..<9).map { "m\($0): *a\(i - 1)" }.joined(separator: ", ") + "}") }
    return lines.joined(separator: "\n") + "\n\(key): *a7\n"
}

@Suite("YAML aliases")
struct YAMLAliasTests {
    @Test("a document's size counts each alias as the values it stands for, and stops at the limit")
    func expandedSize() throws {
        let node = try #require(try Yams.compose(yaml: "a: &x [1, 2]\nb: [*x, *x]\n"))
        // The root, 2 keys, the first list and its 2 items, the second list and its 2 lists of 2.
        #expect(node.expandedSize(limit: 100) == 13)
        #expect(node.expandedSize(limit: 5) == 5)
        let bomb = try #require(try Yams.compose(yaml: aliasBomb(under: "status_map")))
        #expect(bomb.expandedSize(limit: 10_000) == 10_000)
    }

    /// The errors `text` gets as carriers/fr_x.yaml; nil if it was taken.
    func refusal(_ text: String) -> [CarrierFileError]? {
        do { _ = try CarrierCatalog.parse(files: [("carriers/fr_x.yaml", text)]) } catch { return error.errors }
        return nil
    }

    func refused(saying message: String) -> [CarrierFileError] { [CarrierFileError(file: "carriers/fr_x.yaml", field: "-", message: message)] }

    @Test("a carrier file whose key holds nested aliases (a fuzzer's, 18 s in Yams's duplicate-key check) is refused at once, naming why",
          arguments: ["? {status_map: *a7}\n: x\n", "*a7 : x\n", "? [*a7]\n: x\n"])
    func complexKeyRefused(tail: String) {
        let text = aliasBomb(under: "tracking").replacingOccurrences(of: "tracking: *a7\n", with: tail)
        #expect(refusal(text) == refused(saying: "has a key that is not a plain name (an alias, a list or a mapping): not a carrier file"))
    }

    @Test("such a key in a file that also repeats a key (a fuzzer's, 15 s in Yams) is refused at once as not valid YAML, naming the key repeated and not quoting the file")
    func complexKeyWithDuplicateRefused() {
        // The fuzzer's file had x4 twice, bytes that are not UTF-8 and a key missing its colon.
        let text = aliasBomb(under: "tracking").replacingOccurrences(of: "tracking: *a7\n", with: "? {status_map: *a7}\n: x\n")
            .replacingOccurrences(of: "x6: &a6", with: "x4: &a6")
        #expect(refusal(text) == refused(saying: "not valid YAML: a mapping holds the key 'x4' more than once (the first at line 5, column 1)"))
    }

    @Test("a syntax error is told as Yams tells it of the file itself: its aliases (*name) and columns, not the first read's stand-ins")
    func syntaxErrorAsYamsTellsIt() throws {
        let text = "a: &x 1\nb: [*x, *x\n"
        let yams = try #require(throws: (any Error).self) { try Yams.compose(yaml: text) }
        #expect(refusal(text) == refused(saying: "not valid YAML: \(yams)"))
        #expect("\(yams)".contains("b: [*x, *x"))
    }

    @Test("a carrier file whose aliases stand for more than 10,000 values is refused as a whole, naming why")
    func carrierFileRefused() {
        #expect(refusal(aliasBomb(under: "tracking")) == refused(saying: "holds more than 10000 values once its aliases (*name) are expanded: not a carrier file"))
    }
}
