import ReturnsCore
import Testing

@Suite("Parcel ids as typed from a label")
struct ParcelIDTests {
    @Test("a random id reads back typed in any case, with O, I and L for 0 and 1")
    func typedInAnyCase() {
        for _ in 0..<200 {
            let id = ParcelID.random()
            #expect(ParcelID.isWellFormed(id))
            #expect(ParcelID.typed(id) == id)
            #expect(ParcelID.typed(id.lowercased()) == id)
            let misread = "P" + String(id.dropFirst().map { $0 == "0" ? "o" : $0 == "1" ? "L" : $0 })
            #expect(ParcelID.typed(misread) == id, "\(misread)")
        }
    }

    @Test("anything not shaped as an id is nil: wrong length, another first letter, a U, a letter beyond ASCII")
    func notAnID() {
        for typed in ["PQ6B15CGM533", "PQ6B15CGM533ZZ", "RR100000003IL", "PQ6B15CGM533U", "PQ6B15CGM533É", "PQ6B15CGM53ß", "P-6B15CGM533Z", ""] {
            #expect(ParcelID.typed(typed) == nil, "\(typed)")
        }
    }
}
