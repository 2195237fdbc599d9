@testable import Labels
import Testing

@Suite("1-bit thresholding of rendered labels")
struct MonochromeThresholdTests {
    /// What the packing must give, one pixel at a time: bit 7 of each byte is its first pixel,
    /// 1 is white (alpha below 128), and the pad bits past the right edge are white.
    private func reference(_ alpha: [UInt8], width: Int, height: Int, stride: Int) -> [UInt8] {
        let bytesPerRow = (width + 7) / 8
        var bits = [UInt8](repeating: 0, count: bytesPerRow * height)
        for y in 0..<height {
            for x in 0..<bytesPerRow * 8 where x >= width || alpha[y * stride + x] < 128 {
                bits[y * bytesPerRow + x / 8] |= 0x80 >> UInt8(x % 8)
            }
        }
        return bits
    }

    @Test("eight pixels at a time give the pixel-by-pixel bits, for every width up to 41, padded rows and the values around half")
    func packingMatchesPixelByPixel() {
        var g = SystemRandomNumberGenerator()
        let edges: [UInt8] = [0, 1, 126, 127, 128, 129, 254, 255]
        for width in 0...41 {
            for padding in [0, 3, 8] {
                let height = Int.random(in: 1...7, using: &g), stride = width + padding
                // Random bytes, bytes at the threshold, and runs of one value (rules and bars).
                let alpha = (0..<stride * height).map { i -> UInt8 in
                    switch i % 3 {
                    case 0: UInt8.random(in: 0...255, using: &g)
                    case 1: edges.randomElement(using: &g)!
                    default: i / 16 % 2 == 0 ? 255 : 0
                    }
                }
                let bitmap = alpha.withUnsafeBytes { CairoCanvas.threshold($0, width: width, height: height, stride: stride) }
                #expect(bitmap.width == width && bitmap.height == height && bitmap.bytesPerRow == (width + 7) / 8)
                #expect(bitmap.bits == reference(alpha, width: width, height: height, stride: stride), "width \(width), stride \(stride)")
            }
        }
    }

    @Test("a label-sized image of one value packs to all white or all ink, pad bits white")
    func uniformImages() {
        let width = 812, height = 3
        for (value, expected) in [(UInt8(0), UInt8(0xFF)), (127, 0xFF), (128, 0x00), (255, 0x00)] {
            let alpha = [UInt8](repeating: value, count: width * height)
            let bitmap = alpha.withUnsafeBytes { CairoCanvas.threshold($0, width: width, height: height, stride: width) }
            for y in 0..<height {
                let row = bitmap.bits[(y * bitmap.bytesPerRow)..<((y + 1) * bitmap.bytesPerRow)]
                #expect(row.dropLast().allSatisfy { $0 == expected }, "value \(value)")
                // 812 = 101 * 8 + 4: the last byte holds four pixels and four white pad bits.
                #expect(row.last == (expected & 0xF0) | 0x0F, "value \(value)")
            }
        }
    }
}
