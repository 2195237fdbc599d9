import ReturnsCore
import Testing

@Suite("Return codes for typing at a counter")
struct ReturnCodeTests {
    @Test("a random code parses back, in any case, with or without hyphens")
    func roundTrip() throws {
        for _ in 0..<200 {
            let code = ReturnCode.random()
            #expect(try ReturnCode(parsing: code.description) == code)
            #expect(try ReturnCode(parsing: code.canonical.lowercased()) == code)
            #expect(code.description.count == 11)
        }
    }

    @Test("common mistypes O, I and L read as 0 and 1")
    func mistypes() throws {
        var g = SystemRandomNumberGenerator()
        var code = ReturnCode.random(using: &g)
        while !code.canonical.dropLast().contains(where: { $0 == "0" || $0 == "1" }) { code = ReturnCode.random() }
        let typed = String(code.canonical.map { $0 == "0" ? "O" : $0 == "1" ? "l" : $0 })
        #expect(try ReturnCode(parsing: typed) == code)
    }

    @Test("every single-symbol error and adjacent swap is refused by the check symbol")
    func checkCatchesErrors() throws {
        let code = ReturnCode.random()
        let symbols = Array(code.canonical)
        for i in 0..<8 {
            for replacement in CrockfordBase32.alphabet where replacement != symbols[i] {
                var wrong = symbols
                wrong[i] = replacement
                #expect(throws: ReturnCode.ParseError.checkMismatch) { try ReturnCode(parsing: String(wrong)) }
            }
            if i < 7 && symbols[i] != symbols[i + 1] {
                var swapped = symbols
                swapped.swapAt(i, i + 1)
                #expect(throws: ReturnCode.ParseError.checkMismatch) { try ReturnCode(parsing: String(swapped)) }
            }
        }
    }

    @Test("wrong length and foreign symbols are refused with their reason")
    func malformed() {
        #expect(throws: ReturnCode.ParseError.wrongLength) { try ReturnCode(parsing: "ABCD-EFGH") }
        #expect(throws: ReturnCode.ParseError.invalidSymbol("U")) { try ReturnCode(parsing: "ABCU-EFGH-J") }
    }

    @Test("letters that uppercase to several characters (ß, ŉ, ǰ, ﬀ) are refused in every position, never trap")
    func multiCharacterUppercase() throws {
        let code = ReturnCode.random().canonical
        for letter in ["ß", "ŉ", "ǰ", "ﬀ"] {
            // All nine, then one at a time in each of the eight symbol positions: an invalid symbol.
            #expect(throws: ReturnCode.ParseError.invalidSymbol(Character(letter))) { try ReturnCode(parsing: String(repeating: letter, count: 9)) }
            for i in 0..<8 {
                var typed = Array(code)
                typed[i] = Character(letter)
                #expect(throws: ReturnCode.ParseError.invalidSymbol(Character(letter))) { try ReturnCode(parsing: String(typed)) }
            }
            // In the check position: the check does not match.
            #expect(throws: ReturnCode.ParseError.checkMismatch) { try ReturnCode(parsing: String(code.dropLast()) + letter) }
        }
        // A non-ASCII letter that uppercases to a symbol (dotless ı → I) is not read as that symbol.
        #expect(throws: ReturnCode.ParseError.invalidSymbol("ı")) { try ReturnCode(parsing: "ı" + String(code.dropFirst())) }
    }

    @Test("generated codes never use the hard-to-type check symbols *~$=U")
    func noAwkwardCheckSymbols() {
        for _ in 0..<500 { #expect(!"*~$=U".contains(ReturnCode.random().canonical.last!)) }
    }

    @Test("display groups a nine-symbol code as ABCD-EFGH-J and leaves anything else as it is")
    func displayGroups() {
        #expect(ReturnCode.display("7KQM2XPDA") == "7KQM-2XPD-A")
        let code = ReturnCode.random()
        let c = Array(code.canonical)
        #expect(ReturnCode.display(code.canonical) == String(c[0..<4]) + "-" + String(c[4..<8]) + "-" + String(c[8]))
        #expect(ReturnCode.display("SHORT") == "SHORT")
        #expect(ReturnCode.display("7KQM2XPDA1") == "7KQM2XPDA1")
        // Nine characters that are not all one byte each: grouped by character, as before.
        #expect(ReturnCode.display("ÉKQM2XPDA") == "ÉKQM-2XPD-A")
        // Nine bytes but fewer characters: not a code, left alone.
        #expect(ReturnCode.display("ÉÉÉÉA") == "ÉÉÉÉA")
    }
}
