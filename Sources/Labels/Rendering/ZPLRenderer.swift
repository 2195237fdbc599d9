/// ZPL II for thermal printers: text as fields (as pictures where the printer's font has no
/// glyphs: `ZPLGraphicText`), the codes as `^BC`/`^BQN` commands so that the printer draws them
/// at its own resolution. UTF-8 via `^CI28`; every field goes through `^FH`
/// so that a buyer's name cannot smuggle in printer commands.
/// Written straight into one buffer sized up front: ZPL is the format kiosks fetch most, it is
/// all text, and appending byte by byte to a growing Array was half of a ZPL label's time.
enum ZPLRenderer {
    /// `Int(x.rounded())` (halves away from zero) without a call into libm's `round`, a
    /// twentieth of a label: the fraction left after truncation is exact.
    @inline(__always) static func nearest(_ x: Double) -> Int {
        let whole = Int(x)
        let fraction = x - Double(whole)
        return fraction >= 0.5 ? whole + 1 : fraction <= -0.5 ? whole - 1 : whole
    }

    /// Whether any of eight bytes is `\`, `^` or `_` (0x5C, 0x5E, 0x5F), `~` (0x7E) or below 0x0E
    /// (where tab, LF and CR are). Never false when one is (the word tests below are exact for
    /// "some byte is zero" and "some byte is below n ≤ 128"); true also for `]` (0x5D, in the same
    /// test as the other three, at no extra cost) and other control bytes.
    @inline(__always) static func mayNeedEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        let backslashCaretUnderscore = hasZero((word & ~(0x03 &* ones)) ^ (0x5C &* ones))
        let tilde = hasZero(word ^ (0x7E &* ones))
        let control = (word &- 0x0E &* ones) & ~word & highs != 0
        return backslashCaretUnderscore || tilde || control
    }

    /// The label with every line as text, as nearly every label is (Latin in Windows-1252). The
    /// escaping scan, which reads each field's bytes anyway, notes any byte beyond Latin-1's; only
    /// then is each line checked and the label written again with its pictures. Checking every
    /// line up front cost an all-Latin label's drawing about a quarter of its speed.
    static func render(_ layout: LabelLayout) throws -> [UInt8] {
        let (text, beyondLatin1) = write(layout, pictures: nil)
        guard beyondLatin1, let pictures = try pictures(for: layout) else { return text }
        return write(layout, pictures: pictures).bytes
    }

    /// A line's picture, where it goes.
    typealias Picture = (x: Int, y: Int, field: [UInt8])

    /// The pictures of the lines the printer's font cannot print, by element; nil when there are
    /// none (the line beyond Latin-1 was, say, a euro sign or curly quotes).
    static func pictures(for layout: LabelLayout) throws -> [Picture?]? {
        var pictures: [Picture?]? = nil
        for (index, element) in layout.elements.enumerated() {
            guard case .text(let s, let x, let y, let size, let weight, let maxWidth) = element, !ZPLGraphicText.printerFontPrints(s) else { continue }
            let scale = Double(layout.dpi) / 72
            let box = ZPLGraphicText.box(x: x, y: y, size: size, maxWidth: maxWidth, dpi: layout.dpi,
                                         labelDots: (nearest(layout.width * scale), nearest(layout.height * scale)))
            let bitmap = try CairoCanvas.textBitmap(s, x: x, y: y, size: size, bold: weight == .bold, maxWidth: maxWidth, dpi: layout.dpi, box: box)
            if pictures == nil { pictures = Array(repeating: nil, count: layout.elements.count) }
            pictures![index] = (box.x, box.y, ZPLGraphicText.field(bitmap))
        }
        return pictures
    }

    /// The label with `pictures` in place of their lines, and whether any text line had a byte
    /// beyond Latin-1 (`ZPLWriter.escaped`).
    static func write(_ layout: LabelLayout, pictures: [Picture?]?) -> (bytes: [UInt8], beyondLatin1: Bool) {
        let capacity = ZPLWriter.capacity(for: layout) + (pictures?.reduce(0) { $0 + ($1?.field.count ?? 0) } ?? 0)
        var beyondLatin1 = false
        let written = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            var z = ZPLWriter(buffer: buffer, dpi: layout.dpi)
            z.raw("^XA\n^CI28\n^PW"); z.dots(layout.width); z.raw("\n^LL"); z.dots(layout.height); z.raw("\n^LH0,0\n")
            for (index, element) in layout.elements.enumerated() {
                if let picture = pictures?[index] {
                    z.raw("^FO"); z.int(picture.x); z.raw(","); z.int(picture.y)
                    picture.field.withUnsafeBufferPointer { z.bytes($0) }
                    continue
                }
                switch element {
                case .text(let s, let x, let y, let size, let weight, let maxWidth):
                    let h = z.d(size)
                    // ^A0 is the scalable font; bold is approximated by a wider character cell.
                    let w = weight == .bold ? Int(Double(h) * 1.1) : h
                    z.origin(x, y); z.raw("^A0N,"); z.int(h); z.raw(","); z.int(w)
                    z.raw("^FB"); z.dots(maxWidth); z.raw(",1,0,L,0^FH_^FD"); z.escaped(s, inFieldBlock: true); z.raw("^FS\n")
                case .rect(let x, let y, let w, let h):
                    let thickness = max(1, min(z.d(w), z.d(h)))
                    z.origin(x, y); z.raw("^GB"); z.int(max(1, z.d(w))); z.raw(","); z.int(max(1, z.d(h))); z.raw(",")
                    z.int(thickness); z.raw("^FS\n")
                case .barcode(let bars, let x, let y, let module, let height):
                    z.origin(x, y); z.raw("^BY"); z.int(max(1, z.d(module))); z.raw("^BCN,"); z.dots(height); z.raw(",N,N,N^FH_^FD")
                    // >; starts subset C, >8 is FNC1: the GS1-128 form of an all-digit number.
                    if bars.symbology == .gs1_128 { z.raw(">;>8"); z.verbatim(bars.text) } else { z.escaped(bars.text) }
                    z.raw("^FS\n")
                case .qr(_, let data, let x, let y, let module), .printerQR(let data, let x, let y, let module):
                    // ^BQN model 2; "MA," = error correction M, automatic mode, as in the PNG.
                    z.origin(x, y); z.raw("^BQN,2,"); z.int(max(1, min(10, z.d(module)))); z.raw("^FH_^FDMA,")
                    z.escaped(data); z.raw("^FS\n")
                }
            }
            z.raw("^XZ\n")
            count = z.count
            beyondLatin1 = z.beyondLatin1
        }
        // The estimate is several times the label; cached labels should hold only their bytes.
        return (written.withUnsafeBufferPointer { [UInt8]($0) }, beyondLatin1)
    }
}

/// Writes into a buffer that `capacity(for:)` sized for the worst case. Every write checks the
/// bound, so a wrong estimate traps instead of writing past the end.
struct ZPLWriter {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    /// Dots per point. Multiplying by it instead of dividing by the dot's size: a division's
    /// latency was a sixth of a label. (Both agree except within an ulp of a half dot; every
    /// coordinate of a layout sits on a whole dot.)
    let dotsPerPoint: Double
    var count = 0
    /// Whether a text field had a byte beyond Latin-1 (`escaped`).
    var beyondLatin1 = false

    init(buffer: UnsafeMutableBufferPointer<UInt8>, dpi: Int) {
        self.buffer = buffer
        dotsPerPoint = Double(dpi) / 72
    }

    /// Fixed text and numbers per element stay under 256 bytes (the longest fixed part is 40,
    /// and at most six numbers of at most 20 characters each); escaping at most triples a string.
    static func capacity(for layout: LabelLayout) -> Int {
        var total = 256
        for element in layout.elements {
            total += 256
            switch element {
            case .text(let s, _, _, _, _, _): total += 3 * s.utf8.count
            case .rect: break
            case .barcode(let bars, _, _, _, _): total += 3 * bars.text.utf8.count
            case .qr(_, let data, _, _, _), .printerQR(let data, _, _, _): total += 3 * data.utf8.count
            }
        }
        return total
    }

    @inline(__always) func d(_ points: Double) -> Int { ZPLRenderer.nearest(points * dotsPerPoint) }

    @inline(__always) mutating func byte(_ b: UInt8) {
        precondition(count < buffer.count, "ZPL buffer estimate too small")
        buffer[count] = b
        count += 1
    }

    @inline(__always) mutating func bytes(_ source: UnsafeBufferPointer<UInt8>) {
        precondition(count + source.count <= buffer.count, "ZPL buffer estimate too small")
        guard let base = source.baseAddress, !source.isEmpty else { return }
        (buffer.baseAddress! + count).update(from: base, count: source.count)
        count += source.count
    }

    @inline(__always) mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes($0) }
    }

    mutating func verbatim(_ s: String) {
        var s = s
        s.withUTF8 { bytes($0) }
    }

    /// Decimal digits written back to front: one bound check per number; the length found by
    /// comparisons, not a division per digit (coordinates have at most four digits). (Two digits
    /// at a time from a table was slower: 282k against 375k finished layouts a second.)
    mutating func int(_ v: Int) {
        if v < 0 { byte(UInt8(ascii: "-")) }
        var rest = v.magnitude
        let digits = rest < 10 ? 1 : rest < 100 ? 2 : rest < 1_000 ? 3 : rest < 10_000 ? 4 : Self.digitCount(rest)
        precondition(count + digits <= buffer.count, "ZPL buffer estimate too small")
        var i = count + digits
        repeat {
            i -= 1
            buffer[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        } while i > count
        count += digits
    }

    static func digitCount(_ v: UInt) -> Int {
        var digits = 1, n = v
        while n >= 10 { digits += 1; n /= 10 }
        return digits
    }

    mutating func dots(_ points: Double) { int(d(points)) }

    mutating func origin(_ x: Double, _ y: Double) {
        raw("^FO"); dots(x); raw(","); dots(y)
    }

    /// Field data under `^FH_`: `^`, `~` and `_` as hex escapes, line breaks and tabs as spaces.
    /// In a field block (`^FB`, every text field) a backslash starts a command of its own (`\&`
    /// a line break, `\(x)` a soft hyphen: ZPL II Programming Guide, ^FB), so a buyer's `\` is
    /// written `\\`, which the block prints as one; codes keep theirs.
    /// Runs of ordinary bytes, nearly all of a label, are copied whole, and found eight bytes
    /// at a time: a switch per byte was an eighth of a label.
    /// A text field's bytes beyond Latin-1 (anything but ASCII, `C3 xx` and `C2 A0`-`BF`) set
    /// `beyondLatin1`: the line may need a picture (`ZPLRenderer.render`).
    mutating func escaped(_ s: String, inFieldBlock: Bool = false) {
        var s = s
        s.withUTF8 { source in
            guard let base = source.baseAddress else { return }
            let n = source.count
            var start = 0, i = 0
            while i < n {
                if i + 8 <= n {
                    let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 == 0, !ZPLRenderer.mayNeedEscape(word) {
                        i += 8
                        continue
                    }
                }
                let replacement: StaticString
                switch base[i] {
                case UInt8(ascii: "^"): replacement = "_5E"
                case UInt8(ascii: "~"): replacement = "_7E"
                case UInt8(ascii: "_"): replacement = "_5F"
                case UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): replacement = " "
                case UInt8(ascii: "\\") where inFieldBlock: replacement = "\\\\"
                case 0xC3 where i + 1 < n, 0xC2 where i + 1 < n && base[i + 1] >= 0xA0:
                    // Latin-1's letters and signs; their second byte never needs escaping.
                    i += 2
                    continue
                case 0x80...:
                    if inFieldBlock { beyondLatin1 = true }
                    i += 1
                    continue
                default:
                    i += 1
                    continue
                }
                bytes(UnsafeBufferPointer(start: base + start, count: i - start))
                raw(replacement)
                i += 1
                start = i
            }
            bytes(UnsafeBufferPointer(start: base + start, count: n - start))
        }
    }
}
