import CCairo
import Foundation
import ReturnsCore

/// Draws a `LabelLayout` with cairo: vector PDF and SVG, or a 1-bit bitmap for PNG.
/// The only file that touches cairo; every cairo object is destroyed by `defer`.
enum CairoCanvas {
    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    private final class Sink {
        var bytes: [UInt8] = []
    }

    private static let write: cairo_write_func_t = { closure, data, length in
        guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
        Unmanaged<Sink>.fromOpaque(closure).takeUnretainedValue()
            .bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
        return CAIRO_STATUS_SUCCESS
    }

    /// `created` is the document's creation date: cairo would write the second it draws, and a
    /// label drawn again (by another instance, after a restart, by `returnctl label render`)
    /// would not be the same bytes.
    static func pdf(_ layout: LabelLayout, title: String, created: Date) throws -> [UInt8] {
        try vector(layout, target: .pdf) { sink in
            let surface = cairo_pdf_surface_create_for_stream(write, sink, layout.width, layout.height)
            cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title)
            cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "returnd")
            if let date = UTCDateTime(flooringToSecond: created) {
                cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, date.iso8601Text)
            }
            return surface
        }
    }

    static func svg(_ layout: LabelLayout) throws -> [UInt8] {
        var bytes = try vector(layout, target: .svg) { sink in
            let surface = cairo_svg_surface_create_for_stream(write, sink, layout.width, layout.height)
            cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PT)
            return surface
        }
        numberFirstSurface(&bytes)
        return bytes
    }

    /// cairo names the SVG's drawing `<g id="surfaceN">` after a counter of every surface the
    /// process made: named as the first one, a label is the same bytes whoever drew it.
    static func numberFirstSurface(_ svg: inout [UInt8]) {
        let marker = Array(#"<g id="surface"#.utf8)
        let offset: Int? = svg.withUnsafeBytes { all in
            marker.withUnsafeBytes { m in
                guard let base = all.baseAddress else { return nil }
                var at = 0
                while at + m.count <= all.count, let tag = memchr(base + at, Int32(m[0]), all.count - at) {
                    at = base.distance(to: UnsafeRawPointer(tag))
                    if at + m.count <= all.count, memcmp(base + at, m.baseAddress!, m.count) == 0 { return at }
                    at += 1
                }
                return nil
            }
        }
        guard let offset else { return }
        let start = offset + marker.count
        var end = start
        while end < svg.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(svg[end]) { end += 1 }
        guard end > start, end < svg.count, svg[end] == UInt8(ascii: "\"") else { return }
        svg.replaceSubrange(start..<end, with: [UInt8(ascii: "1")])
    }

    /// What `draw` draws on: how its runs of dark modules become cairo paths depends on it.
    private enum Target {
        case pdf, svg, raster
    }

    private static func vector(_ layout: LabelLayout, target: Target, makeSurface: (UnsafeMutableRawPointer) -> OpaquePointer?) throws -> [UInt8] {
        let sink = Sink()
        try withExtendedLifetime(sink) {
            guard let surface = makeSurface(Unmanaged.passUnretained(sink).toOpaque()) else { throw Failed(description: "no surface") }
            defer { cairo_surface_destroy(surface) }
            try check(cairo_surface_status(surface))
            guard let cr = cairo_create(surface) else { throw Failed(description: "no context") }
            defer { cairo_destroy(cr) }
            draw(layout, cr, target: target)
            try check(cairo_status(cr))
            cairo_surface_finish(surface)
            try check(cairo_surface_status(surface))
        }
        return sink.bytes
    }

    /// Rasterizes at the layout's dpi into an alpha-only surface (ink = alpha), then thresholds
    /// to one bit: thermal printers print dots, not greys.
    static func bitmap(_ layout: LabelLayout) throws -> MonochromeBitmap {
        let scale = Double(layout.dpi) / 72
        let width = Int((layout.width * scale).rounded()), height = Int((layout.height * scale).rounded())
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_A8, Int32(width), Int32(height)) else { throw Failed(description: "no surface") }
        defer { cairo_surface_destroy(surface) }
        try check(cairo_surface_status(surface))
        guard let cr = cairo_create(surface) else { throw Failed(description: "no context") }
        defer { cairo_destroy(cr) }
        cairo_scale(cr, scale, scale)
        draw(layout, cr, target: .raster)
        try check(cairo_status(cr))
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        guard let data = cairo_image_surface_get_data(surface) else { throw Failed(description: "no pixels") }
        return threshold(UnsafeRawBufferPointer(start: data, count: stride * height), width: width, height: height, stride: stride)
    }

    /// One bit per pixel from an 8-bit alpha image (ink = alpha): alpha below half is white, and
    /// so are the pad bits past the right edge. Eight pixels at a time: a pixel-by-pixel loop was
    /// a quarter of a PNG label's time.
    static func threshold(_ alpha: UnsafeRawBufferPointer, width: Int, height: Int, stride: Int) -> MonochromeBitmap {
        precondition(width >= 0 && height >= 0 && stride >= width && alpha.count >= stride * height)
        let bytesPerRow = (width + 7) / 8
        var bits = [UInt8](repeating: 0, count: bytesPerRow * height)
        let whole = width / 8
        bits.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let row = y * stride, outRow = y * bytesPerRow
                for byte in 0..<whole {
                    // Pixel i's top bit is bit 8i + 7; flipped, it is 1 for white. Multiplying by
                    // the sum of 2^9j moves byte i's bit to bit 63 - i, where no other (i, j) in
                    // 0..<8 lands (8i + 9j), so the top byte holds the eight pixels, the first one
                    // as its most significant bit.
                    let eight = UInt64(littleEndian: alpha.loadUnaligned(fromByteOffset: row + byte * 8, as: UInt64.self))
                    let white = (~eight & 0x8080_8080_8080_8080) >> 7
                    out[outRow + byte] = UInt8(truncatingIfNeeded: (white &* 0x8040_2010_0804_0201) >> 56)
                }
                if whole < bytesPerRow {
                    var packed: UInt8 = 0
                    for bit in 0..<8 {
                        let x = whole * 8 + bit
                        let white = x >= width || alpha[row + x] < 128
                        packed |= (white ? 1 : 0) << UInt8(7 - bit)
                    }
                    out[outRow + whole] = packed
                }
            }
        }
        return MonochromeBitmap(width: width, height: height, bytesPerRow: bytesPerRow, bits: bits)
    }

    private static func check(_ status: cairo_status_t) throws {
        guard status == CAIRO_STATUS_SUCCESS else {
            throw Failed(description: String(cString: cairo_status_to_string(status)))
        }
    }

    /// One text element alone, drawn as `bitmap` draws it in a whole label, on a surface that
    /// covers `box` (in dots): a ZPL label's line that the printer's font cannot print
    /// (`ZPLGraphicText`). The box starts on a whole dot, so the glyphs land on the same pixels.
    static func textBitmap(_ s: String, x: Double, y: Double, size: Double, bold: Bool, maxWidth: Double, dpi: Int,
                           box: (x: Int, y: Int, width: Int, height: Int)) throws -> MonochromeBitmap {
        let scale = Double(dpi) / 72
        guard let surface = cairo_image_surface_create(CAIRO_FORMAT_A8, Int32(box.width), Int32(box.height)) else { throw Failed(description: "no surface") }
        defer { cairo_surface_destroy(surface) }
        try check(cairo_surface_status(surface))
        guard let cr = cairo_create(surface) else { throw Failed(description: "no context") }
        defer { cairo_destroy(cr) }
        cairo_translate(cr, -Double(box.x), -Double(box.y))
        cairo_scale(cr, scale, scale)
        prepare(cr, target: .raster)
        text(cr, s, x: x, y: y, size: size, bold: bold, maxWidth: maxWidth)
        try check(cairo_status(cr))
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        guard let data = cairo_image_surface_get_data(surface) else { throw Failed(description: "no pixels") }
        return threshold(UnsafeRawBufferPointer(start: data, count: stride * box.height), width: box.width, height: box.height, stride: stride)
    }

    /// What every drawing starts with, a whole label or one line of it.
    private static func prepare(_ cr: OpaquePointer, target: Target) {
        // Text unhinted, as the vector surfaces draw it, for every target. Left to the surface,
        // a bitmap's glyphs followed whichever surface first used the font in the process (4,028
        // pixels of a PNG label differed between one drawn first and one drawn after a PDF).
        if let options = cairo_font_options_create() {
            defer { cairo_font_options_destroy(options) }
            cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
            cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
            cairo_set_font_options(cr, options)
        }
        if target != .raster {
            cairo_set_source_rgb(cr, 1, 1, 1)
            cairo_paint(cr)
        }
        cairo_set_source_rgb(cr, 0, 0, 0)
        // Crisp edges for bars and modules; they sit on whole printer dots anyway.
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE)
    }

    private static func draw(_ layout: LabelLayout, _ cr: OpaquePointer, target: Target) {
        prepare(cr, target: target)
        for element in layout.elements {
            switch element {
            case .rect(let x, let y, let w, let h):
                cairo_rectangle(cr, x, y, w, h)
                cairo_fill(cr)
            case .barcode(let bars, let x, let y, let module, let height):
                var cursor = x
                for (i, run) in bars.runs.enumerated() {
                    let w = Double(run) * module
                    if i % 2 == 0 { darkRun(cr, cursor, y, w, height, target) }
                    cursor += w
                }
                cairo_fill(cr)
            case .printerQR(let data, let x, let y, let module):
                // A layout made for a printer drawn here after all: encode now.
                if let matrix = try? QRCodeMatrix(text: data) { drawQR(cr, matrix, x: x, y: y, module: module, target) }
            case .qr(let matrix, _, let x, let y, let module):
                drawQR(cr, matrix, x: x, y: y, module: module, target)
            case .text(let s, let x, let y, let size, let weight, let maxWidth):
                text(cr, s, x: x, y: y, size: size, bold: weight == .bold, maxWidth: maxWidth)
            }
        }
    }

    /// One rectangle per horizontal run of dark modules, not per module: about half as many.
    private static func drawQR(_ cr: OpaquePointer, _ matrix: QRCodeMatrix, x: Double, y: Double, module: Double, _ target: Target) {
        let size = matrix.size
        for row in 0..<size {
            var col = 0
            while col < size {
                guard matrix.isDark(x: col, y: row) else { col += 1; continue }
                let start = col
                while col < size && matrix.isDark(x: col, y: row) { col += 1 }
                darkRun(cr, x + Double(start) * module, y + Double(row) * module, Double(col - start) * module, module, target)
            }
        }
        cairo_fill(cr)
    }

    /// Adds a bar or a run of QR modules. In a PDF each is filled on its own: cairo writes a path
    /// that is one rectangle as `x y w h re` but a path of many as a `m l l l h` polygon each,
    /// eight numbers instead of four, and every number goes through snprintf (with the zlib
    /// compression of that text, most of a PDF label's time). SVG and bitmaps take one path.
    private static func darkRun(_ cr: OpaquePointer, _ x: Double, _ y: Double, _ w: Double, _ h: Double, _ target: Target) {
        cairo_rectangle(cr, x, y, w, h)
        if target == .pdf { cairo_fill(cr) }
    }

    private static func text(_ cr: OpaquePointer, _ s: String, x: Double, y: Double, size: Double, bold: Bool, maxWidth: Double) {
        let s = drawable(s)
        let weight = bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL
        select(cr, 0, weight)
        let faces = FaceChoice(cr, weight)
        var fitted = s
        var fontSize = size
        cairo_set_font_size(cr, fontSize)
        var width = advance(cr, fitted, faces)
        if width > maxWidth {
            // Shrink to at most 75 % of the size, then cut with an ellipsis.
            fontSize = max(size * 0.75, size * maxWidth / width)
            cairo_set_font_size(cr, fontSize)
            width = advance(cr, fitted, faces)
            while width > maxWidth && !fitted.isEmpty {
                fitted.removeLast(max(1, fitted.count / 10))
                width = advance(cr, fitted + "…", faces)
            }
            if fitted != s { fitted += "…" }
        }
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT)
        cairo_move_to(cr, x, y + fontSize * 0.93)
        // Fitted in reading order (an ellipsis cuts the end of the words), drawn in visual order;
        // each run continues from where the one before it ended.
        for run in faces.runs(BidiText.visual(fitted)) {
            if run.face != 0 { select(cr, run.face, weight) }
            cairo_show_text(cr, run.text)
            if run.face != 0 { select(cr, 0, weight) }
        }
        cairo_new_path(cr)
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE)
    }

    /// The label's faces, first choice first. DejaVu Sans has Latin, Greek, Cyrillic, Hebrew and
    /// Arabic. A seller's name or an item's title in Chinese, Japanese or Korean (a cross-border
    /// marketplace's sellers write them) was drawn as empty boxes: cairo's font selection takes
    /// one face for a whole string, with no fallback, so those characters take WenQuanYi Micro
    /// Hei's glyphs (`fonts-wqy-microhei`). Emoji in a shop's name or a title take Symbola's
    /// (`fonts-symbola`, monochrome outlines, as a 1-bit label needs; both others drew boxes).
    /// A face fontconfig cannot find resolves to its default, which lacks the glyphs as well:
    /// the text draws as before.
    static let faces = ["DejaVu Sans", "WenQuanYi Micro Hei", "Symbola"]

    fileprivate static func select(_ cr: OpaquePointer, _ face: Int, _ weight: cairo_font_weight_t) {
        cairo_select_font_face(cr, faces[face], CAIRO_FONT_SLANT_NORMAL, weight)
    }

    private static func advance(_ cr: OpaquePointer, _ s: String, _ faces: FaceChoice) -> Double {
        faces.runs(s).reduce(0) { width, run in
            if run.face != 0 { select(cr, run.face, faces.weight) }
            var extents = cairo_text_extents_t()
            cairo_text_extents(cr, run.text, &extents)
            if run.face != 0 { select(cr, 0, faces.weight) }
            return width + extents.x_advance
        }
    }

    /// The text with each Unicode noncharacter (U+FDD0-U+FDEF, U+FFFE and U+FFFF in every plane)
    /// written as U+FFFD. cairo refuses a string holding one as "input string not valid UTF-8",
    /// which failed the whole label, at every fetch: the request rules take such a name (it is
    /// valid Unicode, and a marketplace's data may hold one), so the drawing must too.
    static func drawable(_ s: String) -> String {
        // Every noncharacter is at U+FDD0 or above: most text is settled by that comparison.
        guard s.unicodeScalars.contains(where: { $0.value >= 0xFDD0 && $0.properties.isNoncharacterCodePoint }) else { return s }
        return String(String.UnicodeScalarView(s.unicodeScalars.map { $0.properties.isNoncharacterCodePoint ? "\u{FFFD}" : $0 }))
    }
}

/// Which of `CairoCanvas.faces` draws each character of one text element: the first with a
/// glyph for it (glyph 0 is the box drawn for a missing one), else the first face (a box, as
/// before). The first face is selected before and after each call, as everywhere in `text`.
/// Each character is asked once per element, of the faces' fonts held here, so the fitting
/// loop's repeated measuring of a long Chinese title does not ask again.
private final class FaceChoice {
    struct Run {
        var text: String
        var face: Int
    }

    let cr: OpaquePointer
    let weight: cairo_font_weight_t
    private var fonts: [OpaquePointer?] = Array(repeating: nil, count: CairoCanvas.faces.count)
    private var chosen: [Unicode.Scalar: Int] = [:]

    init(_ cr: OpaquePointer, _ weight: cairo_font_weight_t) {
        self.cr = cr
        self.weight = weight
    }

    deinit {
        for font in fonts { cairo_scaled_font_destroy(font) }
    }

    /// Latin, Cyrillic and the dashes, dots and ellipsis of the layout's own lines, which the
    /// first face has: most of a label's text, settled without asking a font.
    static func isPlain(_ s: String) -> Bool {
        s.unicodeScalars.allSatisfy { $0.value < 0x0250 || (0x0400...0x04FF).contains($0.value) || (0x2010...0x2027).contains($0.value) }
    }

    /// `s` in runs of one face each.
    func runs(_ s: String) -> [Run] {
        if Self.isPlain(s) || covers(s, face: 0) { return [Run(text: s, face: 0)] }
        var runs: [Run] = []
        for scalar in s.unicodeScalars {
            let face = face(of: scalar)
            if runs.last?.face == face { runs[runs.count - 1].text.unicodeScalars.append(scalar) } else { runs.append(Run(text: String(scalar), face: face)) }
        }
        return runs
    }

    private func face(of scalar: Unicode.Scalar) -> Int {
        if let face = chosen[scalar] { return face }
        let one = String(scalar)
        let face = CairoCanvas.faces.indices.first { covers(one, face: $0) } ?? 0
        chosen[scalar] = face
        return face
    }

    private func covers(_ s: String, face: Int) -> Bool {
        guard let font = font(face) else { return true }
        var glyphs: UnsafeMutablePointer<cairo_glyph_t>? = nil
        var count: Int32 = 0
        defer { cairo_glyph_free(glyphs) }
        let status = cairo_scaled_font_text_to_glyphs(font, 0, 0, s, -1, &glyphs, &count, nil, nil, nil)
        guard status == CAIRO_STATUS_SUCCESS, let glyphs else { return true }
        return !(0..<Int(count)).contains { glyphs[$0].index == 0 }
    }

    /// The face's font as the context would use it, held until the element is drawn.
    private func font(_ face: Int) -> OpaquePointer? {
        if let font = fonts[face] { return font }
        if face != 0 { CairoCanvas.select(cr, face, weight) }
        let font = cairo_scaled_font_reference(cairo_get_scaled_font(cr))
        if face != 0 { CairoCanvas.select(cr, 0, weight) }
        fonts[face] = font
        return font
    }
}
