import ReturnsCore
import Testing

@Suite("PostalAddress.townLines")
struct PostalAddressTownLinesTests {
    @Test("the postal code goes before the town in France, Russia, Mexico and the rest of the countries served")
    func codeFirst() {
        for country in ["FR", "ES", "BR", "NL", "IL", "DE", "IT", "BE", "PT", "MX", "CL", "UA", "RU"] {
            #expect(PostalAddress(lines: ["1 rue"], city: "Lyon", postalCode: "69001", country: country).townLines == ["69001 Lyon"], "\(country)")
        }
    }

    @Test("the postal code follows the town and its state or province in the US, Canada and Australia")
    func codeLast() {
        #expect(PostalAddress(lines: [], city: "Ontario, CA", postalCode: "91761", country: "US").townLines == ["Ontario, CA 91761"])
        #expect(PostalAddress(lines: [], city: "Mississauga ON", postalCode: "L5T 2V5", country: "CA").townLines == ["Mississauga ON L5T 2V5"])
        #expect(PostalAddress(lines: [], city: "Eastern Creek NSW", postalCode: "2766", country: "AU").townLines == ["Eastern Creek NSW 2766"])
    }

    @Test("a UK postcode has a line of its own under the post town")
    func ukPostcodeOwnLine() {
        #expect(PostalAddress(lines: [], city: "Northampton", postalCode: "NN4 7PW", country: "GB").townLines == ["Northampton", "NN4 7PW"])
    }

    @Test("an empty postal code or town leaves no stray space and no empty line")
    func emptyParts() {
        #expect(PostalAddress(lines: [], city: "Santiago", postalCode: "", country: "CL").townLines == ["Santiago"])
        #expect(PostalAddress(lines: [], city: "Northampton", postalCode: "", country: "GB").townLines == ["Northampton"])
        #expect(PostalAddress(lines: [], city: "", postalCode: "91761", country: "US").townLines == ["91761"])
        #expect(PostalAddress(lines: [], city: "", postalCode: "", country: "US").townLines == [])
    }
}
