import CZint
import Synchronization

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
        try self.init(text: text, symbology: symbology, reuseSymbol: true)
    }

    /// `reuseSymbol: false` encodes with a symbol of its own, as zint makes it: the tests
    /// compare the two.
    init(text: String, symbology: Symbology, reuseSymbol: Bool) throws(Error) {
        self.text = text
        self.symbology = symbology
        let input: String
        switch symbology {
        case .code128:
            input = text
        case .gs1_128:
            guard text.count > 2 else { throw .encodingFailed("GS1-128 data too short") }
            input = "[\(text.prefix(2))]\(text.dropFirst(2))"
        }
        (totalModules, packed) = try ZintSymbols.shared.withSymbol(symbology, reuse: reuseSymbol) { symbol throws(Error) in
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
            return (width, withUnsafeBytes(of: symbol.pointee.encoded_data.0) { Array($0.prefix((width + 7) / 8)) })
        }
    }
}

/// zint symbols kept for reuse. A symbol is a 30 KB struct (its rows of encoded data) that
/// `ZBarcode_Create` allocates and zeroes: that was a sixteenth of a ZPL label. `ZBarcode_Clear`
/// resets what an encode wrote (rows, width, text, error) and keeps the options, so each
/// symbology has its own symbols and nothing one sets can reach the other. A fresh symbol is
/// made when none is free; at most `keep` per symbology are kept.
private final class ZintSymbols: Sendable {
    static let shared = ZintSymbols()
    private struct Symbol: @unchecked Sendable {
        // Only one caller at a time holds a symbol: taken from and returned to the list under the lock.
        let pointer: UnsafeMutablePointer<zint_symbol>
    }

    private let free = Mutex<[LinearBarcode.Symbology: [Symbol]]>([:])
    private let keep = 8

    func withSymbol<T>(_ symbology: LinearBarcode.Symbology, reuse: Bool, _ body: (UnsafeMutablePointer<zint_symbol>) throws(LinearBarcode.Error) -> T) throws(LinearBarcode.Error) -> T {
        let symbol: Symbol
        if reuse, let reused = free.withLock({ $0[symbology]?.popLast() }) {
            symbol = reused
        } else {
            guard let made = ZBarcode_Create() else { throw .encodingFailed("out of memory") }
            made.pointee.symbology = symbology == .code128 ? BARCODE_CODE128 : BARCODE_GS1_128
            symbol = Symbol(pointer: made)
        }
        defer { giveBack(symbol, symbology, reuse: reuse) }
        return try body(symbol.pointer)
    }

    private func giveBack(_ symbol: Symbol, _ symbology: LinearBarcode.Symbology, reuse: Bool) {
        if reuse {
            ZBarcode_Clear(symbol.pointer)
            let kept = free.withLock { lists -> Bool in
                guard lists[symbology, default: []].count < keep else { return false }
                lists[symbology, default: []].append(symbol)
                return true
            }
            if kept { return }
        }
        ZBarcode_Delete(symbol.pointer)
    }
}
