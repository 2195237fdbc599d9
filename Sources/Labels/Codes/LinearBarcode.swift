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
    public let runs: [Int]
    public var totalModules: Int { runs.reduce(0, +) }

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
        let bits: [Bool] = withUnsafeBytes(of: symbol.pointee.encoded_data.0) { row in
            (0..<width).map { (row[$0 >> 3] >> UInt8($0 & 7)) & 1 == 1 }
        }
        var runs: [Int] = []
        var current = true
        var length = 0
        for bit in bits {
            if bit == current { length += 1 } else {
                runs.append(length)
                current = bit
                length = 1
            }
        }
        runs.append(length)
        self.runs = runs
    }
}
