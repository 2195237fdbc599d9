/// The rule every free-text field of a request follows.
public enum FieldText {
    /// What is wrong with `text` as a field of at most `max` characters, or nil. Characters are
    /// counted as Unicode scalars, as JSON Schema's `maxLength` counts them in `openapi.yaml`:
    /// counted as grapheme clusters, one letter with 3,000 combining marks was "one character".
    public static func problem(_ text: String, max: Int, mayBeBlank: Bool = false) -> String? {
        if !mayBeBlank && text.unicodeScalars.allSatisfy(\.properties.isWhitespace) { return "must not be empty" }
        if text.unicodeScalars.count > max { return "is longer than \(max) characters" }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return "contains control characters" }
        if !mayBeBlank && showsNothing(text) {
            return "has no visible character (only spaces, marks or format characters such as a BOM, a zero-width space or a bidi control)"
        }
        return nil
    }

    /// Whether `text` shows nothing: no letter, digit, punctuation or symbol, only spaces, format
    /// characters, marks with nothing to sit on, controls or unassigned code points. A buyer's
    /// name of a lone BOM passed as "not empty", printed as nothing on the label, and showed an
    /// operator reading the dispute an empty name. Format characters inside visible text (the
    /// zero-width joiner some scripts and emoji need, bidi marks) are left alone.
    public static func showsNothing(_ text: String) -> Bool {
        !text.unicodeScalars.contains { visible.contains($0.properties.generalCategory) }
    }

    private static let visible: Set<Unicode.GeneralCategory> = [
        .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
        .decimalNumber, .letterNumber, .otherNumber,
        .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
        .initialPunctuation, .finalPunctuation, .otherPunctuation,
        .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol,
    ]
}
