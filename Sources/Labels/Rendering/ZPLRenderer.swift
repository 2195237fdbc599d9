/// ZPL II for thermal printers: text as fields, the codes as `^BC`/`^BQN` commands so that the
/// printer draws them at its own resolution. UTF-8 via `^CI28`; every field goes through `^FH`
/// so that a buyer's name cannot smuggle in printer commands.
enum ZPLRenderer {
    static func render(_ layout: LabelLayout) -> String {
        let d = { (pt: Double) in Int((pt / layout.dot).rounded()) }
        var z = "^XA\n^CI28\n^PW\(d(layout.width))\n^LL\(d(layout.height))\n^LH0,0\n"
        for element in layout.elements {
            switch element {
            case .text(let s, let x, let y, let size, let weight, let maxWidth):
                let h = d(size)
                // ^A0 is the scalable font; bold is approximated by a wider character cell.
                let w = weight == .bold ? Int(Double(h) * 1.1) : h
                z += "^FO\(d(x)),\(d(y))^A0N,\(h),\(w)^FB\(d(maxWidth)),1,0,L,0^FH_^FD\(escape(s))^FS\n"
            case .rect(let x, let y, let w, let h):
                let thickness = max(1, min(d(w), d(h)))
                z += "^FO\(d(x)),\(d(y))^GB\(max(1, d(w))),\(max(1, d(h))),\(thickness)^FS\n"
            case .barcode(let bars, let x, let y, let module, let height):
                // >; starts subset C, >8 is FNC1: the GS1-128 form of an all-digit number.
                let data = bars.symbology == .gs1_128 ? ">;>8" + bars.text : escape(bars.text)
                z += "^FO\(d(x)),\(d(y))^BY\(max(1, d(module)))^BCN,\(d(height)),N,N,N^FH_^FD\(data)^FS\n"
            case .qr(_, let data, let x, let y, let module):
                // ^BQN model 2; "MA," = error correction M, automatic mode, as in the PNG.
                z += "^FO\(d(x)),\(d(y))^BQN,2,\(max(1, min(10, d(module))))^FH_^FDMA,\(escape(data))^FS\n"
            }
        }
        return z + "^XZ\n"
    }

    /// `^`, `~` and the `_` hex indicator itself become `_XX` escapes under `^FH_`.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "^": out += "_5E"
            case "~": out += "_7E"
            case "_": out += "_5F"
            case "\n", "\r", "\t": out += " "
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
