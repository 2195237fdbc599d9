import Foundation
import Yams

/// What `Node.keyShape(ofYAML:)` found.
public enum YAMLKeyShape: Equatable, Sendable {
    /// Every mapping key is a plain name: the real read may go ahead.
    case plainNames
    /// A key is an alias, a list or a mapping.
    case notPlainName
    /// The text is not valid YAML; Yams's reason, as the real read would give it.
    case unreadable(String)
}

extension Node {
    /// Whether every mapping key in the YAML `text` is a plain name, found before Yams composes
    /// it. Yams hashes every mapping key while it composes a document, to find duplicates, and
    /// a key holding aliases is hashed as all the values they stand for: a 2.5 KB file a fuzzer
    /// made (`? {status_map: *a7}` over nine-fold nested aliases) took 18 s in Yams, before
    /// `expandedSize` could refuse it. So this first read takes each alias as a plain value (its
    /// key stays small) and looks at the keys. Neither returnd.yaml nor a carrier file has such a
    /// key. Text this read cannot parse is `unreadable` with Yams's reason, never handed to the
    /// real read: a fuzzer's file with such a key and a duplicate key (this read's error) took
    /// 15 s there.
    public static func keyShape(ofYAML text: String) -> YAMLKeyShape {
        // One character for one: the reason's line, column and quoted text are the file's own
        // once it is put back. U+E000 (private use) is a plain scalar's character, in no file.
        let alias = "\u{E000}"
        let defanged = text.replacingOccurrences(of: #"\*(?=[^\s,\[\]{}])"#, with: alias, options: .regularExpression)
        let node: Node?
        do { node = try Yams.compose(yaml: defanged) } catch let YamlError.duplicatedKeysInMapping(duplicates, context) {
            // Yams's own sentence quotes the whole file, a database password with it.
            let names = duplicates.map { "'\($0.replacingOccurrences(of: alias, with: "*"))'" }.joined(separator: ", ")
            return .unreadable("a mapping holds the key\(duplicates.count > 1 ? "s" : "") \(names) more than once (the first at line \(context.mark.line), column \(context.mark.column))")
        } catch {
            return .unreadable("\(error)".replacingOccurrences(of: alias, with: "*"))
        }
        guard let node else { return .plainNames }
        func found(in node: Node) -> Bool {
            switch node {
            case .scalar, .alias: return false
            case .sequence(let sequence): return sequence.contains { found(in: $0) }
            case .mapping(let mapping):
                return mapping.contains { key, value in
                    guard let name = key.scalar?.string, !name.hasPrefix(alias) else { return true }
                    return found(in: value)
                }
            }
        }
        return found(in: node) ? .notPlainName : .plainNames
    }
}
