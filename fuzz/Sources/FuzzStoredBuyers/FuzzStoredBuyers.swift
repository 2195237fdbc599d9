import Foundation
import ReturnsCore

// The buyer stored with each parcel, read back by hand (`Buyer.decodeStored`). Differential:
// whatever the bytes, it must read what JSONDecoder reads, or refuse where JSONDecoder refuses.
// The text is written by returnd, but from what the marketplace sent, so every byte is possible.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStoredBuyers(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let ours = try? Buyer.decodeStored(text)
    let reference = try? JSONDecoder.returnd.decode(Buyer.self, from: Data(text.utf8))
    precondition(ours == reference, "decodeStored read \(String(describing: ours)), JSONDecoder \(String(describing: reference)): \(text)")
    if let ours {
        // What returnd writes for it is read back by hand to the same buyer.
        let stored = String(decoding: try! JSONEncoder.returnd.encode(ours), as: UTF8.self)
        precondition((try? Buyer.decodeStored(stored)) == ours, "a stored buyer does not read back: \(stored)")
    }
    return 0
}
