extension UInt8 {
    /// The byte of `a` to `z` as its capital; any other byte as it is.
    public var asciiUppercased: UInt8 { self >= 0x61 && self <= 0x7A ? self - 0x20 : self }
}

extension String {
    /// `a` to `z` in capitals and nothing else. Unicode's capital of some letters is two letters
    /// (`ß` → `SS`, `ﬁ` → `FI`, `ŉ` → `ʼN`), which would turn what a person typed into another
    /// code or country. UTF-8 never uses the bytes of `a` to `z` inside another character, so
    /// they are changed in place; text with none is returned as it is.
    public var asciiUppercased: String {
        guard utf8.contains(where: { $0.asciiUppercased != $0 }) else { return self }
        return String(decoding: utf8.map(\.asciiUppercased), as: UTF8.self)
    }
}
