@testable import Labels
import Testing

@Suite("Right-to-left text in drawing order")
struct BidiTextTests {
    @Test("Hebrew is reversed for drawing; numbers and Latin inside it keep their order")
    func reordersHebrew() {
        #expect(BidiText.visual("שלום") == "םולש")
        // A Hebrew paragraph: the house number, written after the street, is drawn at the left.
        #expect(BidiText.visual("רחוב הרצל 12") == "12 לצרה בוחר")
        // A Latin paragraph with a Hebrew city: only the Hebrew run turns around.
        #expect(BidiText.visual("Tel Aviv תל אביב") == "Tel Aviv ביבא לת")
        // Brackets are mirrored inside the right-to-left run.
        #expect(BidiText.visual("כהן (ישראל)") == "(לארשי) ןהכ")
    }

    @Test("text with no right-to-left character comes back as it was")
    func leavesOtherScriptsAlone() {
        for s in ["Amélie Ñúñez-Løvgren", "Иван Петров", "12 rue de l'Église (Bâtiment C)", "", "Ελλάδα"] {
            #expect(BidiText.visual(s) == s)
        }
    }
}
