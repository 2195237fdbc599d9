import CPNG

/// A 1-bit image, rows packed most significant bit first, 1 = white (PNG grayscale order).
struct MonochromeBitmap: Sendable {
    var width: Int
    var height: Int
    var bytesPerRow: Int
    var bits: [UInt8]
}

/// Writes 1-bit grayscale PNGs with libpng. A low zlib level is the speed/size sweet spot for
/// labels: mostly white rows compress well at any level.
enum PNGEncoder {
    final class Sink {
        var bytes: [UInt8] = []
    }

    struct Failed: Error {}

    static func encode(_ bitmap: MonochromeBitmap, dpi: Int, compressionLevel: Int = 2) throws -> [UInt8] {
        let sink = Sink()
        sink.bytes.reserveCapacity(32 * 1024)
        let write: png_rw_ptr = { png, data, length in
            guard let io = png_get_io_ptr(png), let data else { return }
            let sink = Unmanaged<Sink>.fromOpaque(io).takeUnretainedValue()
            sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
        }
        let status = bitmap.bits.withUnsafeBufferPointer { bits in
            withExtendedLifetime(sink) {
                returnd_png_write_gray1(
                    bits.baseAddress, UInt32(bitmap.width), UInt32(bitmap.height), bitmap.bytesPerRow,
                    Int32(compressionLevel), Int32(dpi), write, Unmanaged.passUnretained(sink).toOpaque())
            }
        }
        guard status == 0 else { throw Failed() }
        return sink.bytes
    }
}
