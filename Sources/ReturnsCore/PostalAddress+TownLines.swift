import Foundation

extension PostalAddress {
    /// The lines under the street lines, as the post of the address's country writes them (UPU
    /// S42): the postal code before the town in most of the countries served, after the town
    /// (and its state or province, which the request carries in `city`) in the United States,
    /// Canada and Australia, and on a line of its own under the post town in the United Kingdom.
    /// A label printed "91761 Ontario, CA" for a US warehouse, a line a US sorter does not read.
    public var townLines: [String] {
        let city = city.trimmingCharacters(in: .whitespaces), code = postalCode.trimmingCharacters(in: .whitespaces)
        func line(_ parts: String...) -> [String] {
            let kept = parts.filter { !$0.isEmpty }
            return kept.isEmpty ? [] : [kept.joined(separator: " ")]
        }
        switch country.uppercased() {
        case "US", "CA", "AU": return line(city, code)
        case "GB": return line(city) + line(code)
        default: return line(code, city)
        }
    }
}
