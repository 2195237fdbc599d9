import CQREncode

/// A QR code as a square of dark/light modules, made by libqrencode. No quiet zone included.
public struct QRCodeMatrix: Sendable, Hashable {
    public let size: Int
    /// Row-major, `true` is a dark module.
    public let modules: [Bool]

    public enum Error: Swift.Error, Equatable { case encodingFailed(String) }

    /// Encodes in the densest mode the text allows (alphanumeric for our payloads), ECC level M.
    public init(text: String) throws(Error) {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else {
            throw .encodingFailed(text)
        }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        size = width
        // Bit 0 of each byte is the module's colour; the other bits describe its role.
        modules = (0..<(width * width)).map { code.pointee.data[$0] & 1 == 1 }
    }

    public func isDark(x: Int, y: Int) -> Bool { modules[y * size + x] }
}
