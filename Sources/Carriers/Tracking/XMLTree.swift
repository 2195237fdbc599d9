import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element with local names (namespace prefixes dropped), for the SOAP and XML
/// carrier APIs. Entities are not resolved from outside: the parser loads nothing external.
struct XMLElement {
    var name: String
    var children: [XMLElement] = []
    var text = ""

    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    /// Every descendant with this name, depth first.
    func all(_ name: String) -> [XMLElement] {
        children.flatMap { ($0.name == name ? [$0] : []) + $0.all(name) }
    }

    /// Text at a `/`-separated path of child names.
    func value(_ path: String) -> String? {
        var current: XMLElement? = self
        for part in path.split(separator: "/") { current = current?.child(String(part)) }
        let t = current?.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return t?.isEmpty == false ? t : nil
    }

    static func parse(_ body: [UInt8]) throws(TrackingResponseError) -> XMLElement {
        guard !body.isEmpty else { throw .malformed("empty body") }
        // Foundation's XMLParser traps on element names that are not UTF-8, which libxml2 passes
        // on when a declaration names an encoding it cannot convert (found by fuzzing). Our
        // carriers answer in UTF-8: refuse anything else, and drop the declaration so libxml2
        // never switches encoding.
        guard var text = String(validating: body, as: UTF8.self), !body.contains(0) else {
            throw .malformed("not UTF-8 text")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        if text.hasPrefix("<?xml") {
            guard let end = text.range(of: "?>") else { throw .malformed("unterminated XML declaration") }
            let declaration = text[..<end.upperBound].lowercased()
            if let enc = declaration.range(of: "encoding") {
                let rest = declaration[enc.upperBound...].drop { " =\"'\t\r\n".contains($0) }
                guard rest.hasPrefix("utf-8") || rest.hasPrefix("utf8") else { throw .malformed("declared encoding is not UTF-8") }
            }
            text = String(text[end.upperBound...])
        }
        // Foundation's XMLParser also dereferences NULL on a processing instruction without data
        // (`<?x?>`, found by fuzzing). Carriers send neither instructions nor DTDs, and refusing
        // DTDs keeps entity expansion out of reach as well.
        guard !text.contains("<?") else { throw .malformed("processing instructions are not accepted") }
        guard !text.contains("<!DOCTYPE"), !text.contains("<!ENTITY") else { throw .malformed("DTDs are not accepted") }
        // XMLParser leaks a small error object on every parse error (seen under LeakSanitizer), so
        // what is plainly not XML never reaches it.
        guard text.first(where: { !$0.isWhitespace }) == "<" else { throw .malformed("not XML") }
        let builder = Builder()
        let parser = XMLParser(data: Data(text.utf8))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else { throw .malformed("not well-formed XML") }
        return root
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLElement] = []
        var root: XMLElement?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            stack.append(XMLElement(name: elementName.split(separator: ":").last.map(String.init) ?? elementName))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !stack.isEmpty { stack[stack.count - 1].text += string }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            guard let done = stack.popLast() else { return }
            if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
        }
    }
}

enum XMLText {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
