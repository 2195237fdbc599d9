import CZint

/// A Code 128 or GS1-128 bar pattern made by libzint: the widths, in modules, of alternating
/// bars and spaces, starting with a bar. No quiet zone included.
public struct LinearBarcode: Sendable, Hashable {
    public enum Symbology: Sendable, Hashable {
        case code128
        /// GS1-128 with the data's leading two digits as the application identifier (USPS IMpb: 9x).
        case gs1_128
    }

    public let text: String
    public let symbology: Symbology
    public let totalModules: Int
    private let packed: [UInt8]

    /// The widths, in modules, of alternating bars and spaces, starting with a bar.
    public var runs: [Int] {
        var runs: [Int] = []
        var current = true
        var length = 0
        for i in 0..<totalModules {
            let bit = (packed[i >> 3] >> UInt8(i & 7)) & 1 == 1
            if bit == current { length += 1 } else {
                runs.append(length)
                current = bit
                length = 1
            }
        }
        runs.append(length)
        return runs
    }

    public enum Error: Swift.Error, Equatable { case encodingFailed(String) }

    public init(text: String, symbology: Symbology) throws(Error) {
        self.text = text
        self.symbology = symbology
        guard let symbol = ZBarcode_Create() else { throw .encodingFailed("out of memory") }
        defer { ZBarcode_Delete(symbol) }
        let input: String
        switch symbology {
        case .code128:
            symbol.pointee.symbology = BARCODE_CODE128
            input = text
        case .gs1_128:
            symbol.pointee.symbology = BARCODE_GS1_128
            guard text.count > 2 else { throw .encodingFailed("GS1-128 data too short") }
            input = "[\(text.prefix(2))]\(text.dropFirst(2))"
        }
        let status = input.withCString { ptr in
            ptr.withMemoryRebound(to: UInt8.self, capacity: input.utf8.count) {
                ZBarcode_Encode(symbol, $0, Int32(input.utf8.count))
            }
        }
        guard status < ZINT_ERROR else {
            let message = withUnsafeBytes(of: symbol.pointee.errtxt) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw .encodingFailed(message)
        }
        let width = Int(symbol.pointee.width)
        // Row 0 of encoded_data is bit-packed, least significant bit first (zint's module_is_set).
        // Kept packed: ZPL needs only the width, and the runs are read off when drawn.
        totalModules = width
        packed = withUnsafeBytes(of: symbol.pointee.encoded_data.0) { Array($0.prefix((width + 7) / 8)) }
    }
}
