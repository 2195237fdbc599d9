extension String {
    /// The text with every control character written out (`\n`, `\r`, `\t`, else `\u{1B}`), for
    /// a terminal or a log line. Text from outside reaches both (a carrier's event code or
    /// description, a dispute service's error): an escape sequence there could retitle an
    /// operator's terminal, clear it or write to its clipboard, a carriage return could hide the
    /// start of a log line, and journald shows a line holding other control bytes only as
    /// "[N blob data]".
    public var controlCharactersEscaped: String {
        // Most text holds none: one pass over the bytes, nothing copied. C1 controls
        // (U+0080-U+009F) are 0xC2 0x80-0x9F in UTF-8.
        var previous: UInt8 = 0
        let clean = utf8.allSatisfy { b in
            defer { previous = b }
            return b >= 0x20 && b != 0x7F && !(previous == 0xC2 && b < 0xA0 && b >= 0x80)
        }
        if clean { return self }
        var out = ""
        out.reserveCapacity(utf8.count + 16)
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.properties.generalCategory == .control:
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension StringProtocol {
    /// The text as an error message quotes what a client sent: whole up to `max` Unicode scalars,
    /// else its first `max` and its length. Counted in scalars, not characters: one letter may
    /// carry thousands of combining marks, and `prefix` on characters let all of them through.
    public func quotedInMessage(max: Int = 80) -> String {
        unicodeScalars.count <= max ? String(self) : "\(String(String.UnicodeScalarView(unicodeScalars.prefix(max))))… (\(utf8.count) bytes)"
    }
}
