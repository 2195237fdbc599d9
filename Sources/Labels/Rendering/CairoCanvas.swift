import CCairo

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

    static func pdf(_ layout: LabelLayout, title: String) throws -> [UInt8] {
        try vector(layout) { sink in
            let surface = cairo_pdf_surface_create_for_stream(write, sink, layout.width, layout.height)
            cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title)
            cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "returnd")
            return surface
        }
    }

    static func svg(_ layout: LabelLayout) throws -> [UInt8] {
        try vector(layout) { sink in
            let surface = cairo_svg_surface_create_for_stream(write, sink, layout.width, layout.height)
            cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PT)
            return surface
        }
    }

    private static func vector(_ layout: LabelLayout, makeSurface: (UnsafeMutableRawPointer) -> OpaquePointer?) throws -> [UInt8] {
        let sink = Sink()
        try withExtendedLifetime(sink) {
            guard let surface = makeSurface(Unmanaged.passUnretained(sink).toOpaque()) else { throw Failed(description: "no surface") }
            defer { cairo_surface_destroy(surface) }
            try check(cairo_surface_status(surface))
            guard let cr = cairo_create(surface) else { throw Failed(description: "no context") }
            defer { cairo_destroy(cr) }
            draw(layout, cr, raster: false)
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
        draw(layout, cr, raster: true)
        try check(cairo_status(cr))
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        guard let data = cairo_image_surface_get_data(surface) else { throw Failed(description: "no pixels") }
        let bytesPerRow = (width + 7) / 8
        var bits = [UInt8](repeating: 0, count: bytesPerRow * height)
        bits.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let row = data + y * stride
                let outRow = y * bytesPerRow
                for byte in 0..<bytesPerRow {
                    var packed: UInt8 = 0
                    let x0 = byte * 8
                    for bit in 0..<8 {
                        let x = x0 + bit
                        // Beyond the right edge counts as white; so does alpha below half.
                        let white = x >= width || row[x] < 128
                        packed |= (white ? 1 : 0) << UInt8(7 - bit)
                    }
                    out[outRow + byte] = packed
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

    private static func draw(_ layout: LabelLayout, _ cr: OpaquePointer, raster: Bool) {
        if !raster {
            cairo_set_source_rgb(cr, 1, 1, 1)
            cairo_paint(cr)
        }
        cairo_set_source_rgb(cr, 0, 0, 0)
        // Crisp edges for bars and modules; they sit on whole printer dots anyway.
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE)
        for element in layout.elements {
            switch element {
            case .rect(let x, let y, let w, let h):
                cairo_rectangle(cr, x, y, w, h)
                cairo_fill(cr)
            case .barcode(let bars, let x, let y, let module, let height):
                var cursor = x
                for (i, run) in bars.runs.enumerated() {
                    let w = Double(run) * module
                    if i % 2 == 0 { cairo_rectangle(cr, cursor, y, w, height) }
                    cursor += w
                }
                cairo_fill(cr)
            case .printerQR(let data, let x, let y, let module):
                // A layout made for a printer drawn here after all: encode now.
                if let matrix = try? QRCodeMatrix(text: data) { drawQR(cr, matrix, x: x, y: y, module: module) }
            case .qr(let matrix, _, let x, let y, let module):
                drawQR(cr, matrix, x: x, y: y, module: module)
            case .text(let s, let x, let y, let size, let weight, let maxWidth):
                text(cr, s, x: x, y: y, size: size, bold: weight == .bold, maxWidth: maxWidth)
            }
        }
    }

    private static func drawQR(_ cr: OpaquePointer, _ matrix: QRCodeMatrix, x: Double, y: Double, module: Double) {
        for row in 0..<matrix.size {
            for col in 0..<matrix.size where matrix.isDark(x: col, y: row) {
                cairo_rectangle(cr, x + Double(col) * module, y + Double(row) * module, module, module)
            }
        }
        cairo_fill(cr)
    }

    private static func text(_ cr: OpaquePointer, _ s: String, x: Double, y: Double, size: Double, bold: Bool, maxWidth: Double) {
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        var fitted = s
        var fontSize = size
        cairo_set_font_size(cr, fontSize)
        var width = advance(cr, fitted)
        if width > maxWidth {
            // Shrink to at most 75 % of the size, then cut with an ellipsis.
            fontSize = max(size * 0.75, size * maxWidth / width)
            cairo_set_font_size(cr, fontSize)
            width = advance(cr, fitted)
            while width > maxWidth && !fitted.isEmpty {
                fitted.removeLast(max(1, fitted.count / 10))
                width = advance(cr, fitted + "…")
            }
            if fitted != s { fitted += "…" }
        }
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT)
        cairo_move_to(cr, x, y + fontSize * 0.93)
        // Fitted in reading order (an ellipsis cuts the end of the words), drawn in visual order.
        cairo_show_text(cr, BidiText.visual(fitted))
        cairo_new_path(cr)
        cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE)
    }

    private static func advance(_ cr: OpaquePointer, _ s: String) -> Double {
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, s, &extents)
        return extents.x_advance
    }
}
