import ReturnsCore
import Testing

@Suite("Typed codes folded to ASCII")
struct TypedCodeTests {
    @Test("full-width letters and digits, Unicode spaces and dashes become ASCII; other text is kept", arguments: [
        ("ＲＲ１２３４５６７８５ＦＲ", "RR123456785FR"), // full-width, as an East Asian input method types it
        ("ｒｒ１２３４\u{3000}５６７８５ｆｒ", "rr1234 56785fr"), // ideographic space
        ("7KQM\u{2013}2XPD\u{2014}A", "7KQM-2XPD-A"), // en and em dash
        ("7KQM\u{2011}2XPD\u{2010}A", "7KQM-2XPD-A"), // non-breaking hyphen, hyphen
        ("7KQM\u{00A0}2XPD\u{202F}A", "7KQM 2XPD A"), // no-break spaces
        ("7KQM\u{2212}2XPD\u{FF0D}A", "7KQM-2XPD-A"), // minus sign, full-width hyphen-minus
        ("RR123456785FR", "RR123456785FR"),
        ("Иван-ßŉ", "Иван-ßŉ"), // letters that are no code's stay, and are refused as before
        ("ｶﾀﾅ①²", "ｶﾀﾅ①²"), // no other compatibility folding
        ("", ""),
    ])
    func folded(typed: String, expected: String) {
        #expect(TypedCode.folded(typed) == expected)
    }

    @Test("ASCII comes back as it was, whatever it holds")
    func asciiUntouched() {
        for text in ["rt1:K1:P0123:RR123456785FR:FR:ABC", " a-b c\t", "\u{7F}\u{01}"] {
            #expect(TypedCode.folded(text) == text)
        }
    }
}
