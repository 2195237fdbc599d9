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

    /// Bytes a symbol of each version (1...40) holds in byte mode at ECC level M.
    static let byteCapacityM = [
        14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666,
        711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809, 1911, 1989, 2099, 2213, 2331,
    ]

    /// The side, in modules, of the largest symbol at ECC level M that any encoder needs for
    /// `byteCount` bytes (byte mode is the least dense), or nil past version 40. For codes a
    /// printer draws (ZPL `^BQN`): it picks its own mode, so room is kept for the worst case.
    public static func maximumSide(byteCount: Int) -> Int? {
        guard let index = byteCapacityM.firstIndex(where: { $0 >= byteCount }) else { return nil }
        return 17 + 4 * (index + 1)
    }
}
