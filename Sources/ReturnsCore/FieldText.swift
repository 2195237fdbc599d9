/// The rule every free-text field of a request follows.
public enum FieldText {
    /// What is wrong with `text` as a field of at most `max` characters, or nil. Characters are
    /// counted as Unicode scalars, as JSON Schema's `maxLength` counts them in `openapi.yaml`:
    /// counted as grapheme clusters, one letter with 3,000 combining marks was "one character".
    public static func problem(_ text: String, max: Int, mayBeBlank: Bool = false) -> String? {
        if !mayBeBlank && text.unicodeScalars.allSatisfy(\.properties.isWhitespace) { return "must not be empty" }
        if text.unicodeScalars.count > max { return "is longer than \(max) characters" }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return "contains control characters" }
        return nil
    }
}
