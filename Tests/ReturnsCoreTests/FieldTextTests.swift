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
}
