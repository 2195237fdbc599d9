/// Text a Zebra printer's resident font cannot print, sent as a picture of itself (`^GFA`).
///
/// A ZPL label left its text to the printer's font (`^A0`), which prints Latin (Windows-1252's
/// letters) but has no Hebrew, Cyrillic or Chinese glyphs unless one is loaded: an Israeli kiosk
/// printed its buyer's address as blanks or question marks, and Hebrew needed firmware with
/// bidirectional layout on as well. Such a line is drawn by cairo as the PNG label draws it
/// (same faces, same right-to-left order, same fitting) and sent as a graphic field, which every
/// ZPL printer prints; label software does the same for characters outside the printer's code
/// page. Latin lines stay text: smaller, and printed at the printer's own resolution.
enum ZPLGraphicText {
    /// Whether the printer's resident font prints every character of `s`: the letters and signs
    /// of Windows-1252 (Latin-1 and Œ, Š, Ž, €, curly quotes, dashes…). Control characters count
    /// as printable: the text field turns line breaks and tabs into spaces, as before.
    static func printerFontPrints(_ s: String) -> Bool {
        // Nearly every label's text is ASCII or Latin-1 (C3 xx, or C2 A0-BF): settled on its
        // bytes, eight at a time where they are ASCII. Decoding each line's scalars was a tenth of
        // a ZPL label's time.
        let settled: Bool? = s.utf8.withContiguousStorageIfAvailable { bytes in
            let n = bytes.count
            var i = 0
            while i < n {
                if i + 8 <= n, UnsafeRawPointer(bytes.baseAddress! + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    i += 8
                    continue
                }
                let b = bytes[i]
                if b < 0x80 {
                    i += 1
                } else if i + 1 < n, b == 0xC3 || (b == 0xC2 && bytes[i + 1] >= 0xA0) {
                    i += 2
                } else {
                    return false
                }
            }
            return true
        }
        if settled == true { return true }
        return s.unicodeScalars.allSatisfy { scalar in
            let v = scalar.value
            return v < 0x80 || (0xA0...0xFF).contains(v) || windows1252Extras.contains(v)
        }
    }

    /// Windows-1252's characters at 0x80-0x9F, as Unicode.
    static let windows1252Extras: Set<UInt32> = [
        0x20AC, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x017D,
        0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x017E, 0x0178,
    ]

    /// Room around the text element's box, in dots, for what its glyphs draw outside it: a
    /// negative side bearing, an accent above a capital, a descender, a CJK glyph's full height.
    static let margin = (left: 4, right: 4, top: 0.3, bottom: 0.45)

    /// The box drawn for a text element at (x, y) points, `size` points high, `maxWidth` wide, in
    /// whole dots, kept on the label.
    static func box(x: Double, y: Double, size: Double, maxWidth: Double, dpi: Int, labelDots: (width: Int, height: Int)) -> (x: Int, y: Int, width: Int, height: Int) {
        let scale = Double(dpi) / 72
        let left = max(0, Int((x * scale).rounded(.down)) - margin.left)
        let top = max(0, Int(((y - size * margin.top) * scale).rounded(.down)))
        let right = min(labelDots.width, Int(((x + maxWidth) * scale).rounded(.up)) + margin.right)
        let bottom = min(labelDots.height, Int(((y + size * (1 + margin.bottom)) * scale).rounded(.up)))
        return (left, top, max(1, right - left), max(1, bottom - top))
    }

    /// `^GFA,total,total,bytes per row,data^FS` for a bitmap whose 1 bits are white (the PNG's
    /// order; ZPL prints its 1 bits). The data is hexadecimal in ZPL's own compression (ZPL II
    /// Programming Guide, "Alternative Data Compression Scheme for ~DG and ~DB"), which every ZPL
    /// printer reads: a run of one digit written as its count and the digit (G to Y are 1 to 19,
    /// g to y 20 to 380), `,` ends a row that is white to its end, `:` repeats the row before.
    /// A line of text is mostly white: a few hundred bytes instead of a few thousand.
    static func field(_ bitmap: MonochromeBitmap) -> [UInt8] {
        let total = bitmap.bytesPerRow * bitmap.height
        var out = Array("^GFA,\(total),\(total),\(bitmap.bytesPerRow),".utf8)
        out.reserveCapacity(out.count + total / 2 + bitmap.height + 4)
        var previous: [UInt8]? = nil
        var row: [UInt8] = []
        row.reserveCapacity(bitmap.bytesPerRow * 2 + 1)
        for y in 0..<bitmap.height {
            row.removeAll(keepingCapacity: true)
            let start = y * bitmap.bytesPerRow
            // Trailing white bytes are left to `,`.
            var end = start + bitmap.bytesPerRow
            while end > start, bitmap.bits[end - 1] == 0xFF { end -= 1 }
            var digits: [UInt8] = []
            digits.reserveCapacity((end - start) * 2)
            for i in start..<end {
                let ink = ~bitmap.bits[i]
                digits.append(hex[Int(ink >> 4)])
                digits.append(hex[Int(ink & 0x0F)])
            }
            var i = 0
            while i < digits.count {
                var j = i + 1
                while j < digits.count, digits[j] == digits[i] { j += 1 }
                let run = j - i
                if run >= 3 { appendCount(run, to: &row) } else if run == 2 { row.append(digits[i]) }
                row.append(digits[i])
                i = j
            }
            if end < start + bitmap.bytesPerRow { row.append(UInt8(ascii: ",")) }
            if row == previous {
                out.append(UInt8(ascii: ":"))
            } else {
                out.append(contentsOf: row)
                previous = row
            }
        }
        out.append(contentsOf: "^FS\n".utf8)
        return out
    }

    private static let hex = Array("0123456789ABCDEF".utf8)

    /// A run's count in the scheme's letters: z for each 400, one of g-y for the twenties, one of
    /// G-Y for the rest (a row is at most a few hundred digits; longer runs take more z's).
    static func appendCount(_ count: Int, to out: inout [UInt8]) {
        var rest = count
        while rest >= 400 { out.append(UInt8(ascii: "z")); rest -= 400 }
        if rest >= 20 { out.append(UInt8(ascii: "g") + UInt8(rest / 20 - 1)); rest %= 20 }
        if rest > 0 { out.append(UInt8(ascii: "G") + UInt8(rest - 1)) }
    }
}
