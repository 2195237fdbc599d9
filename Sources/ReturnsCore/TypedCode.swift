/// A code as a person typed or pasted it (tracking number, return code, parcel id), folded to
/// the ASCII every code is written in: full-width letters and digits (an East Asian input method
/// on a kiosk, or text pasted from one) become ASCII, and every Unicode space and dash (a no-break
/// space or a non-breaking hyphen pasted from an e-mail, an en dash a phone's keyboard put in)
/// becomes the ASCII space or hyphen that grouping allows. Nothing else changes (no general
/// compatibility folding: `ŉ` would become two letters), so a code that is not one is refused
/// as before.
public enum TypedCode {
    public static func folded(_ text: String) -> String {
        // Scanners and kiosks send ASCII: nothing to fold, and nothing spent on the receipt path.
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            // The full-width forms of `!` to `~` are those characters shifted by 0xFEE0.
            case 0xFF01...0xFF5E: out.append(Unicode.Scalar(scalar.value - 0xFEE0)!)
            case 0x2212: out.append("-") // the minus sign, a dash in all but name
            default:
                switch scalar.properties.generalCategory {
                case .spaceSeparator: out.append(" ")
                case .dashPunctuation: out.append("-")
                default: out.append(scalar)
                }
            }
        }
        return String(out)
    }
}
