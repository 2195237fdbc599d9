import CFriBidi

/// Right-to-left text for cairo's text API, which places glyphs left to right in the order it
/// is given: libfribidi applies the Unicode bidirectional algorithm (reordering and mirrored
/// brackets) so that Hebrew reads right to left and numbers inside it stay left to right.
/// Hebrew needs no shaping, so reordering is all it takes; Arabic would need more.
enum BidiText {
    /// The line in visual order, left to right as drawn. The paragraph direction comes from the
    /// first strong character. Text with no right-to-left character comes back unchanged.
    static func visual(_ line: String) -> String {
        // Everything below U+0590 (Latin, Greek, Cyrillic) is left to right: skip libfribidi.
        guard line.unicodeScalars.contains(where: { $0.value >= 0x0590 }) else { return line }
        let logical = line.unicodeScalars.map { FriBidiChar($0.value) }
        var visual = [FriBidiChar](repeating: 0, count: logical.count)
        var direction: FriBidiParType = FRIBIDI_PAR_ON
        let levels = logical.withUnsafeBufferPointer { input in
            visual.withUnsafeMutableBufferPointer { output in
                fribidi_log2vis(input.baseAddress, FriBidiStrIndex(input.count), &direction, output.baseAddress, nil, nil, nil)
            }
        }
        // 0 means libfribidi failed (out of memory): drawing the text as it is beats no text.
        guard levels != 0 else { return line }
        var out = String.UnicodeScalarView()
        for c in visual { if let scalar = Unicode.Scalar(c) { out.append(scalar) } }
        return String(out)
    }
}
