/// One line of a response head as libcurl's header callback hands it over, read as bytes: the
/// Foundation path (`lowercased`, `trimmingCharacters`) was a tenth of a tracking poll's CPU.
enum HeaderLine: Equatable {
    /// `HTTP/1.1 200 OK`: a new response starts (after 100 Continue or a redirect).
    case status
    /// `Name: value`, the name lower-cased (ASCII: header names are tokens), the value without
    /// the optional whitespace and line end around it.
    case field(name: String, value: String)
    /// The blank line that ends the head, or a line that is neither.
    case other

    init(_ line: UnsafeBufferPointer<UInt8>) {
        if line.starts(with: "HTTP/".utf8) {
            self = .status
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            self = .other
            return
        }
        let name = String(unsafeUninitializedCapacity: colon) { out in
            for i in 0..<colon {
                let b = line[i]
                out[i] = b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b + 32 : b
            }
            return colon
        }
        var start = colon + 1, end = line.count
        while start < end, Self.isSpace(line[start]) { start += 1 }
        while end > start, Self.isSpace(line[end - 1]) { end -= 1 }
        self = .field(name: name, value: String(decoding: UnsafeBufferPointer(rebasing: line[start..<end]), as: UTF8.self))
    }

    private static func isSpace(_ b: UInt8) -> Bool {
        b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r") || b == UInt8(ascii: "\n") || b == 0x0B || b == 0x0C
    }
}
