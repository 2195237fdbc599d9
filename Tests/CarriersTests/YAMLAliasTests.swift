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

    @Test("a carrier file whose key holds nested aliases (a fuzzer's, 18 s in Yams's duplicate-key check) is refused at once, naming why",
          arguments: ["? {status_map: *a7}\n: x\n", "*a7 : x\n", "? [*a7]\n: x\n"])
    func complexKeyRefused(tail: String) {
        let text = aliasBomb(under: "tracking").replacingOccurrences(of: "tracking: *a7\n", with: tail)
        do {
            _ = try CarrierCatalog.parse(files: [("carriers/fr_x.yaml", text)])
            Issue.record("parsed a carrier file with a key of aliases")
        } catch {
            #expect(error.errors == [CarrierFileError(file: "carriers/fr_x.yaml", field: "-", message: "has a key that is not a plain name (an alias, a list or a mapping): not a carrier file")])
        }
    }

    @Test("a carrier file whose aliases stand for more than 10,000 values is refused as a whole, naming why")
    func carrierFileRefused() {
        do {
            _ = try CarrierCatalog.parse(files: [("carriers/fr_x.yaml", aliasBomb(under: "tracking"))])
            Issue.record("parsed a carrier file of 43 million values")
        } catch {
            #expect(error.errors == [CarrierFileError(file: "carriers/fr_x.yaml", field: "-", message: "holds more than 10000 values once its aliases (*name) are expanded: not a carrier file")])
        }
    }
}
