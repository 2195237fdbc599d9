extension PostalAddress {
    /// The lines under the street lines, as the post of the address's country writes them (UPU
    /// S42): the postal code before the town in most of the countries served, after the town
    /// (and its state or province, which the request carries in `city`) in the United States,
    /// Canada and Australia, and on a line of its own under the post town in the United Kingdom.
    /// A label printed "91761 Ontario, CA" for a US warehouse, a line a US sorter does not read.
    /// Plain string work: this is in every label's layout, and Foundation's trimming here halved
    /// the ZPL labels a second.
    public var townLines: [String] {
        switch country {
        case "US", "CA", "AU": Self.line(city, postalCode)
        case "GB": Self.line(city) + Self.line(postalCode)
        default: Self.line(postalCode, city)
        }
    }

    private static func line(_ first: String, _ second: String = "") -> [String] {
        if first.isEmpty { return second.isEmpty ? [] : [second] }
        return second.isEmpty ? [first] : [first + " " + second]
    }
}
