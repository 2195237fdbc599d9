import ReturnsCore
import Testing

@Suite("The free-text rule of request fields")
struct FieldTextTests {
    @Test("length counts Unicode scalars, as openapi.yaml's maxLength does, not grapheme clusters")
    func lengthInScalars() {
        let marked = "e" + String(repeating: "\u{301}", count: 64)  // one grapheme, 65 scalars
        #expect(FieldText.problem(marked, max: 64) == "is longer than 64 characters")
        #expect(FieldText.problem(String(marked.unicodeScalars.dropLast().map(Character.init)), max: 64) == nil)
        #expect(FieldText.problem(String(repeating: "Ж", count: 64), max: 64) == nil)
    }

    @Test("blank text is refused unless the field may be blank; control characters never pass")
    func blankAndControls() {
        #expect(FieldText.problem(" \t\u{A0}\u{3000}", max: 10) == "must not be empty")
        #expect(FieldText.problem("", max: 10, mayBeBlank: true) == nil)
        for control in ["\u{0}", "\r\n", "\u{7F}", "\u{85}"] {
            #expect(FieldText.problem("a\(control)b", max: 10) == "contains control characters", "\(control.unicodeScalars.map(\.value))")
        }
        #expect(FieldText.problem("שלום 👩‍👩‍👧‍👦", max: 20) == nil)
    }

    @Test("text that shows nothing (a BOM, zero-width or bidi characters, lone marks) is refused where text is required; the same inside visible text passes")
    func invisibleText() {
        for nothing in ["\u{FEFF}", "\u{200B}", "\u{202E}\u{202C}", "\u{301}\u{301}", "\u{200D}", " \u{FEFF} ", "\u{E000}", "\u{2060}\u{3000}"] {
            let problem = FieldText.problem(nothing, max: 10)
            #expect(problem?.hasPrefix("has no visible character") == true, "\(nothing.unicodeScalars.map(\.value)): \(problem ?? "nil")")
            #expect(FieldText.showsNothing(nothing))
            #expect(FieldText.problem(nothing, max: 10, mayBeBlank: true) == nil)
        }
        // Zero-width joiners in emoji and Devanagari conjuncts, bidi controls around a word, a BOM
        // before a name, a lone symbol or dash: all show something.
        for shown in ["\u{202E}evil\u{202C}", "👩‍👩‍👧‍👦", "क्\u{200D}ष", "\u{FEFF}Anna", "€", "—", "٣", "e\u{301}"] {
            #expect(FieldText.problem(shown, max: 20) == nil, "\(shown.unicodeScalars.map(\.value))")
            #expect(!FieldText.showsNothing(shown))
        }
        #expect(FieldText.showsNothing(""))
    }
}
