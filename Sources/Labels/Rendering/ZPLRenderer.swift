/// ZPL II for thermal printers: text as fields, the codes as `^BC`/`^BQN` commands so that the
/// printer draws them at its own resolution. UTF-8 via `^CI28`; every field goes through `^FH`
/// so that a buyer's name cannot smuggle in printer commands.
/// Written straight into bytes: ZPL is the format kiosks fetch most, and it is all text.
enum ZPLRenderer {
    static func render(_ layout: LabelLayout) -> [UInt8] {
        var z = ZPLWriter(dot: layout.dot)
        z.out.reserveCapacity(160 + layout.elements.count * 72)
        z.raw("^XA\n^CI28\n^PW"); z.dots(layout.width); z.raw("\n^LL"); z.dots(layout.height); z.raw("\n^LH0,0\n")
        for element in layout.elements {
            switch element {
            case .text(let s, let x, let y, let size, let weight, let maxWidth):
                let h = z.d(size)
                // ^A0 is the scalable font; bold is approximated by a wider character cell.
                let w = weight == .bold ? Int(Double(h) * 1.1) : h
                z.origin(x, y); z.raw("^A0N,"); z.int(h); z.raw(","); z.int(w)
                z.raw("^FB"); z.dots(maxWidth); z.raw(",1,0,L,0^FH_^FD"); z.escaped(s); z.raw("^FS\n")
            case .rect(let x, let y, let w, let h):
                let thickness = max(1, min(z.d(w), z.d(h)))
                z.origin(x, y); z.raw("^GB"); z.int(max(1, z.d(w))); z.raw(","); z.int(max(1, z.d(h))); z.raw(",")
                z.int(thickness); z.raw("^FS\n")
            case .barcode(let bars, let x, let y, let module, let height):
                z.origin(x, y); z.raw("^BY"); z.int(max(1, z.d(module))); z.raw("^BCN,"); z.dots(height); z.raw(",N,N,N^FH_^FD")
                // >; starts subset C, >8 is FNC1: the GS1-128 form of an all-digit number.
                if bars.symbology == .gs1_128 { z.raw(">;>8"); z.raw(bars.text) } else { z.escaped(bars.text) }
                z.raw("^FS\n")
            case .qr(_, let data, let x, let y, let module), .printerQR(let data, let x, let y, let module):
                // ^BQN model 2; "MA," = error correction M, automatic mode, as in the PNG.
                z.origin(x, y); z.raw("^BQN,2,"); z.int(max(1, min(10, z.d(module)))); z.raw("^FH_^FDMA,")
                z.escaped(data); z.raw("^FS\n")
            }
        }
        z.raw("^XZ\n")
        return z.out
    }
}

private struct ZPLWriter {
    let dot: Double
    var out: [UInt8] = []

    func d(_ points: Double) -> Int { Int((points / dot).rounded()) }

    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    mutating func raw(_ s: String) { out.append(contentsOf: s.utf8) }

    mutating func int(_ v: Int) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        var rest = v.magnitude
        var divisor: UInt = 1
        while divisor <= rest / 10 { divisor *= 10 }
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        } while divisor > 0
    }

    mutating func dots(_ points: Double) { int(d(points)) }

    mutating func origin(_ x: Double, _ y: Double) {
        raw("^FO"); dots(x); raw(","); dots(y)
    }

    /// Field data under `^FH_`: `^`, `~` and `_` as hex escapes, line breaks as spaces.
    mutating func escaped(_ s: String) {
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "^"): raw("_5E")
            case UInt8(ascii: "~"): raw("_7E")
            case UInt8(ascii: "_"): raw("_5F")
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): out.append(UInt8(ascii: " "))
            default: out.append(byte)
            }
        }
    }
}
