import ReturnsCore
import Testing

@Suite("Text written out for a terminal or a log line")
struct ControlCharactersTests {
    @Test("every control character is written out, C0, DEL and C1 alike; line breaks and tabs by their usual escapes")
    func controlsWrittenOut() {
        #expect("Pris en charge\u{1B}]0;owned\u{7}\u{1B}[2J".controlCharactersEscaped == "Pris en charge\\u{1B}]0;owned\\u{7}\\u{1B}[2J")
        #expect("a\r\nb\tc\u{0}d\u{7F}e\u{85}f\u{9B}g".controlCharactersEscaped == "a\\r\\nb\\tc\\u{0}d\\u{7F}e\\u{85}f\\u{9B}g")
    }

    @Test("text without a control character comes back as it is, other scripts, marks and emoji included")
    func plainTextUnchanged() {
        for text in ["", "Colis livré à Lyon", "Иван Петров", "שלום", "e\u{301}", "👩‍👩‍👧", "\u{A0}\u{200B}\u{202E}", "Â\u{A0}"] {
            #expect(text.controlCharactersEscaped == text)
        }
    }

    @Test("a client's text quoted in a message is cut at a number of scalars, so one letter carrying 3,000 marks is cut too; shorter text is quoted whole")
    func quotedInMessageIsBounded() {
        let marks = "e" + String(repeating: "\u{301}", count: 3000)
        #expect(marks.count == 1)  // one character: a bound in characters let it all through
        #expect(marks.quotedInMessage(max: 20) == "e" + String(repeating: "\u{301}", count: 19) + "… (6001 bytes)")
        #expect(String(repeating: "A", count: 100).quotedInMessage() == String(repeating: "A", count: 80) + "… (100 bytes)")
        for text in ["", "FR", String(repeating: "Ж", count: 80), "👩‍👩‍👧"] {
            #expect(text.quotedInMessage() == text)
        }
    }
}
