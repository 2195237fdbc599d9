@testable import Carriers
import Foundation
import Testing

@Suite("Carrier JSON read from the bytes")
struct JSONValueTests {
    /// Text with what breaks JSON readers: quotes, backslashes, control bytes, non-ASCII,
    /// astral characters (surrogate pairs when escaped), right-to-left text.
    static func text(_ g: inout some RandomNumberGenerator) -> String {
        let pieces = ["a", "Z", "9", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "ß", "Ж", "ש", "📦", "\u{FEFF}", "\u{2028}", "{", "]", ":", ","]
        return String((0..<Int.random(in: 0...8, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined())
    }

    static func number(_ g: inout some RandomNumberGenerator) -> String {
        let forms = ["0", "-0", "7", "-12", "1234567890123", "0.5", "-3.25", "1e3", "1E-7", "2.5e+10", "123456789012345678901234567890", "0.30000000000000004441"]
        return forms.randomElement(using: &g)!
    }

    static func tree(_ g: inout some RandomNumberGenerator, depth: Int = 0) -> JSONValue {
        let leafOnly = depth >= 4
        switch Int.random(in: 0..<(leafOnly ? 4 : 6), using: &g) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &g))
        case 2: return .number(number(&g))
        case 3: return .string(text(&g))
        case 4: return .array((0..<Int.random(in: 0...4, using: &g)).map { _ in tree(&g, depth: depth + 1) })
        default: return .object((0..<Int.random(in: 0...4, using: &g)).map { _ in JSONMember(key: text(&g), value: tree(&g, depth: depth + 1)) })
        }
    }

    /// A random but valid spelling: whitespace anywhere it may be, characters escaped or not.
    static func write(_ v: JSONValue, _ g: inout some RandomNumberGenerator) -> String {
        func space() -> String { ["", "", " ", "\n", "\t ", "\r\n"].randomElement(using: &g)! }
        func quoted(_ s: String) -> String {
            var out = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += Bool.random(using: &g) ? "\\n" : "\\u000a"
                case "\t": out += "\\t"
                case "/": out += Bool.random(using: &g) ? "\\/" : "/"
                case _ where u.value < 0x20 || Bool.random(using: &g) && u.value > 0x7E:
                    for unit in String(u).utf16 { out += String(format: Bool.random(using: &g) ? "\\u%04x" : "\\u%04X", unit) }
                default: out.unicodeScalars.append(u)
                }
            }
            return out + "\""
        }
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n
        case .string(let s): return quoted(s)
        case .array(let a): return "[" + space() + a.map { write($0, &g) + space() }.joined(separator: "," + space()) + "]"
        case .object(let m): return "{" + space() + m.map { quoted($0.key) + space() + ":" + space() + write($0.value, &g) }.joined(separator: space() + "," + space()) + space() + "}"
        }
    }

    static func foundation(_ bytes: [UInt8]) -> JSONValue? {
        (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])).flatMap { JSONValue(foundationObject: $0) }
    }

    @Test("random documents with hostile text, in random valid spellings, read back exactly and as JSONSerialization reads them")
    func randomDocumentsReadBack() throws {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            let value = Self.tree(&g)
            let bytes = Array(Self.write(value, &g).utf8)
            let read = try JSONValue.parse(bytes)
            #expect(read == value, "\(String(decoding: bytes, as: UTF8.self))")
            let theirs = try #require(Self.foundation(bytes), "\(String(decoding: bytes, as: UTF8.self))")
            #expect(read.matchesFoundationReading(theirs), "\(String(decoding: bytes, as: UTF8.self))")
        }
    }

    @Test("a number past Double's range is refused, also where JSONSerialization lets it pass because a later duplicate key replaces it")
    func overflowingNumberUnderAReplacedKey() throws {
        let replaced = Array(#"{"k": {"": 1e914, "": null}}"#.utf8)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(replaced) }
        let theirs = try #require(Self.foundation(replaced))
        #expect(JSONValue.refusedOnlyForReplacedNumbers(replaced, foundation: theirs))
        // Not the excuse for any other refusal: a number Foundation does read, or another fault.
        let kept = Array(#"{"k": {"": null, "": 1e914}}"#.utf8)
        #expect(Self.foundation(kept) == nil)
        #expect(!JSONValue.refusedOnlyForReplacedNumbers(Array(#"{"a": 1e914, "a": tru}"#.utf8), foundation: theirs))
        #expect(!JSONValue.refusedOnlyForReplacedNumbers(Array(#"{"k": {"": 2, "": null}}"#.utf8), foundation: theirs))
    }

    @Test("any number of replaced out-of-range numbers is recognised as the only reason for the refusal (fuzzing found 65)")
    func manyOverflowingNumbersUnderReplacedKeys() throws {
        for count in [1, 64, 65, 500] {
            let members = (0..<count).map { #""a": \#($0 % 2 == 0 ? "1e999" : "-7e890")"# } + [#""a": 1"#, #""b": 9e999"#, #""b": [2]"#]
            let bytes = Array(("{" + members.joined(separator: ", ") + "}").utf8)
            #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(bytes) }
            let theirs = try #require(Self.foundation(bytes), "\(count)")
            let recognised = JSONValue.refusedOnlyForReplacedNumbers(bytes, foundation: theirs)
            #expect(recognised, "\(count) replaced numbers")
            // The same document with its last member out of range is refused by Foundation too.
            #expect(Self.foundation(Array(("{" + members.joined(separator: ", ") + #", "c": 1e999}"#).utf8)) == nil, "\(count)")
        }
    }

    @Test("damaged documents (bytes changed, cut or added) are refused by both readers or read the same by both")
    func damagedDocumentsMatchJSONSerialization() throws {
        var g = SystemRandomNumberGenerator()
        let noise = Array(#"{}[]",:\"u0aFdD8e+-.1 tfn"#.utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xA9, 0xFF, 0xED, 0xA0, 0x80]
        var read = 0, refused = 0
        for _ in 0..<20_000 {
            var bytes = Array(Self.write(.object([JSONMember(key: "k", value: Self.tree(&g))]), &g).utf8)
            for _ in 0..<Int.random(in: 1...3, using: &g) {
                let at = Int.random(in: 0..<bytes.count, using: &g)
                switch Int.random(in: 0..<3, using: &g) {
                case 0: bytes[at] = noise.randomElement(using: &g)!
                case 1: bytes.remove(at: at)
                default: bytes.insert(noise.randomElement(using: &g)!, at: at)
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            let ours = try? JSONValue.parse(bytes)
            let theirs = Self.foundation(bytes)
            let shown = bytes.map { String(format: "%02x", $0) }.joined()
            switch (ours, theirs) {
            case (let a?, let b?):
                #expect(a.matchesFoundationReading(b), "\(shown)")
                read += 1
            case (nil, nil):
                refused += 1
            case (nil, let b?):
                #expect(JSONValue.mayBeWideEncoding(bytes) || JSONValue.refusedOnlyForReplacedNumbers(bytes, foundation: b), "refused what JSONSerialization reads: \(shown)")
            case (_?, nil):
                Issue.record("read what JSONSerialization refuses: \(shown)")
            }
        }
        // Both kinds were exercised.
        #expect(read > 1_000 && refused > 1_000, "read \(read), refused \(refused)")
    }

    @Test("nesting is refused past 512 levels, as JSONSerialization does, and 100,000 levels do not exhaust the stack")
    func deepNestingIsBounded() throws {
        func nested(_ n: Int) -> [UInt8] { Array(repeating: UInt8(ascii: "["), count: n) + Array(repeating: UInt8(ascii: "]"), count: n) }
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(nested(513)) }
        #expect(Self.foundation(nested(513)) == nil)
        _ = try JSONValue.parse(nested(512))
        #expect(Self.foundation(nested(512)) != nil)
        let deepObjects = Array(repeating: #"{"a":"#, count: 100_000).joined() + "1" + String(repeating: "}", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Array(deepObjects.utf8)) }
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(nested(100_000)) }
    }

    @Test("strings: escapes and surrogate pairs are decoded; lone surrogates, raw control bytes and invalid UTF-8 are refused")
    func stringsAreStrict() throws {
        #expect(try JSONValue.parse(Array(#"["\u00e9\ud83d\udce6\/\b\f\n\r\t\"\\\u0000"]"#.utf8)) == .array([.string("é📦/\u{08}\u{0C}\n\r\t\"\\\u{0}")]))
        #expect(try JSONValue.parse(Array("\u{FEFF}{\"a\":\"é\"}".utf8)) == .object([JSONMember(key: "a", value: .string("é"))]))
        for bad in [#"["\ud800"]"#, #"["\udc00\ud800"]"#, #"["\ud800\u0041"]"#, #"["\x"]"#, #"["\u12G4"]"#, "[\"a\u{1}\"]", "[\"a\nb\"]", #"["abc"#] {
            #expect(throws: JSONSyntaxError.self, "\(bad)") { try JSONValue.parse(Array(bad.utf8)) }
            #expect(Self.foundation(Array(bad.utf8)) == nil, "\(bad)")
        }
        for bad: [UInt8] in [[0x5B, 0x22, 0xFF, 0x22, 0x5D], [0x5B, 0x22, 0xC0, 0x80, 0x22, 0x5D], [0x5B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x5D]] {
            #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(bad) }
            #expect(Self.foundation(bad) == nil)
        }
    }

    @Test("numbers keep the carrier's text; malformed and out-of-range numbers are refused like JSONSerialization refuses them")
    func numbersKeepTheirText() throws {
        #expect(try JSONValue.parse(Array(#"[1.50, -0, 200, 1e3]"#.utf8)) == .array([.number("1.50"), .number("-0"), .number("200"), .number("1e3")]))
        #expect(try JSONValue.parse(Array(#"{"returnCode":200}"#.utf8))["returnCode"]?.text == "200")
        for bad in ["[01]", "[1.]", "[.5]", "[1e]", "[-]", "[+1]", "[1E400]", "[-1e999]", "[0x10]", "[NaN]", "[Infinity]"] {
            #expect(throws: JSONSyntaxError.self, "\(bad)") { try JSONValue.parse(Array(bad.utf8)) }
            #expect(Self.foundation(Array(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test("lookups: a repeated key reads as its last value, paths go through objects and arrays, a wrong shape is nil")
    func lookups() throws {
        let v = try JSONValue.parse(Array(#"{"a":1,"a":{"b":[{"c":"x"},{"c":7}]},"0":true}"#.utf8))
        #expect(v.value(at: "a.b.1.c")?.text == "7")
        #expect(v.value(at: "a.b.0.c") == .string("x"))
        #expect(v.value(at: "0") == .bool(true))
        #expect(v.value(at: "a.b.2.c") == nil)
        #expect(v.value(at: "a.b.x") == nil)
        #expect(v.value(at: "a.b.0.c.d") == nil)
        #expect(v["a"]?["b"]?.objects?.count == 2)
        #expect(try JSONValue.parse(Array(#"[{"a":1}, 2]"#.utf8)).objects == nil)
        #expect(JSONValue.bool(true).text == nil)
    }

    @Test("text after the document, an empty body, a bare word and doubled commas are refused; a comma before } or ] is read, as by JSONSerialization")
    func trailingTextRefused() throws {
        #expect(try JSONValue.parse(Array(#"{"a":1 , }"#.utf8)) == .object([JSONMember(key: "a", value: .number("1"))]))
        #expect(Self.foundation(Array(#"{"a":1 , }"#.utf8)) != nil)
        #expect(try JSONValue.parse(Array("[1,\n]".utf8)) == .array([.number("1")]))
        #expect(Self.foundation(Array("[1,\n]".utf8)) != nil)
        for bad in ["{} {}", "[1]x", "", "  ", "tru", "nul", "{\"a\" 1}", "[1,,]", "[,]", "{\"a\":1,,}", "{,}"] {
            #expect(throws: JSONSyntaxError.self, "\(bad)") { try JSONValue.parse(Array(bad.utf8)) }
        }
    }
}
