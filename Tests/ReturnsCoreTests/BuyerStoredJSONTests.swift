import Foundation
import Testing
@testable import ReturnsCore

@Suite("Buyers read back from the store")
struct BuyerStoredJSONTests {
    static func buyer(_ g: inout some RandomNumberGenerator) -> Buyer {
        func text() -> String { DisputeEventJSONTests.text(&g) }
        return Buyer(id: text(), name: text(), email: Bool.random(using: &g) ? text() : nil,
                     address: PostalAddress(lines: (0..<Int.random(in: 0...4, using: &g)).map { _ in text() }, city: text(), postalCode: text(), country: text()))
    }

    static func decoded(_ json: String) -> Result<Buyer, DecodeFailed> {
        Result { try JSONDecoder.returnd.decode(Buyer.self, from: Data(json.utf8)) }.mapError { _ in DecodeFailed() }
    }

    struct DecodeFailed: Error, Equatable {}

    @Test("what JSONEncoder.returnd stores is read by hand, to the same buyer, for random buyers with hostile text")
    func storedShapeReadByHand() throws {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let b = Self.buyer(&g)
            let json = String(decoding: try JSONEncoder.returnd.encode(b), as: UTF8.self)
            // The hand-written path itself, not the fallback, must give the buyer back.
            #expect(StoredBuyerReader.read(json) == b, "\(json)")
            #expect(try Buyer.decodeStored(json) == b)
        }
    }

    @Test("other spellings of the same JSON (escapes, whitespace, key order, null) read as JSONDecoder reads them")
    func otherSpellingsMatchJSONDecoder() throws {
        let inputs = [
            #"{"address":{"city":"Lyon","country":"FR","lines":[],"postal_code":"69001"},"id":"B","name":"\u00e9\ud83d\udce6\/\b\f\n\r\t\"\\"}"#,
            #"{"address":{"city":"C","country":"FR","lines":["a","b"],"postal_code":"1"},"email":null,"id":"B","name":"N"}"#,
            #"{ "address": {"city":"C","country":"FR","lines":["a"],"postal_code":"1"}, "id":"B", "name":"N" }"#,
            #"{"id":"B","name":"N","address":{"postal_code":"1","lines":["a"],"country":"FR","city":"C"}}"#,
            #"{"address":{"city":"C","country":"FR","lines":["a"],"postal_code":"1"},"id":"B","name":"\u0000\u001F\uFEFF"}"#,
        ]
        for json in inputs {
            #expect(Result { try Buyer.decodeStored(json) }.mapError { _ in DecodeFailed() } == Self.decoded(json), "\(json)")
            #expect(try Buyer.decodeStored(json).id == "B")
        }
        // Escapes in the stored shape stay on the hand-written path.
        #expect(StoredBuyerReader.read(inputs[0])?.name == "é📦/\u{08}\u{0C}\n\r\t\"\\")
    }

    @Test("damaged JSON (random bytes changed, cut or added) is refused or read exactly as JSONDecoder does")
    func damagedInputMatchesJSONDecoder() throws {
        var g = SystemRandomNumberGenerator()
        let noise = Array(#"{}[]",:\"u0aFdD8\ nulx é"#.utf8) + [0x00, 0x1F, 0x7F]
        var handRead = 0, refused = 0
        for _ in 0..<20_000 {
            var bytes = Array(try JSONEncoder.returnd.encode(Self.buyer(&g)))
            for _ in 0..<Int.random(in: 1...3, using: &g) {
                let at = Int.random(in: 0..<bytes.count, using: &g)
                switch Int.random(in: 0..<3, using: &g) {
                case 0: bytes[at] = noise.randomElement(using: &g)!
                case 1: bytes.remove(at: at)
                default: bytes.insert(noise.randomElement(using: &g)!, at: at)
                }
                if bytes.isEmpty { break }
            }
            // Stored text is always valid UTF-8: a damaged multi-byte character is repaired the way String does.
            let json = String(decoding: bytes, as: UTF8.self)
            let ours = Result { try Buyer.decodeStored(json) }.mapError { _ in DecodeFailed() }
            #expect(ours == Self.decoded(json), "\(json)")
            if StoredBuyerReader.read(json) != nil { handRead += 1 }
            if case .failure = ours { refused += 1 }
        }
        // Both outcomes occur, and some damaged input still reaches the hand-written path.
        #expect(handRead > 100 && refused > 1_000)
    }
}
