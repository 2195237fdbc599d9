import Yams

/// Keys of a YAML file its reader never read. A misspelt key would otherwise leave what it meant
/// on its default without a word (`tracking.enabeld: false`, and tracking stays on), so the
/// loaders of carrier files and of returnd.yaml refuse them, naming the closest known key.
public enum YAMLUnknownKeys {
    public struct Unknown: Hashable, Sendable {
        /// The dotted path of the key in the file.
        public var key: String
        /// The known key (or section, for a key that holds a section) it most looks like, if any is near.
        public var suggestion: String?

        public init(key: String, suggestion: String?) {
            self.key = key
            self.suggestion = suggestion
        }

        /// ` (did you mean tracking.enabled?)`, or nothing when no known key is near.
        public var hint: String { suggestion.map { " (did you mean \($0)?)" } ?? "" }

        /// `tracking.enabeld is not a setting of returnd (did you mean tracking.enabled?)`.
        public func sentence(_ whatItIsNot: String) -> String { "\(key) is not \(whatItIsNot)\(hint)" }
    }

    /// The keys a loader read, collected as it reads: one reference shared by its readers.
    public final class ReadKeys {
        public var keys: Set<String> = []
        public init() {}
    }

    /// `read`: every dotted key the reader read. `open`: sections whose keys are names of their
    /// own (carrier ids, event codes), not checked. A section that is empty or null is accepted.
    public static func find(in mapping: Node.Mapping, read: Set<String>, open: Set<String> = []) -> [Unknown] {
        let sections = Set(read.flatMap { key in
            let parts = key.split(separator: ".")
            return (1..<max(parts.count, 1)).map { parts[..<$0].joined(separator: ".") }
        }).union(open)
        var found: [(key: String, isSection: Bool)] = []
        // Only known sections are entered, so the depth is that of the known keys.
        func walk(_ mapping: Node.Mapping, _ prefix: String) {
            for (k, v) in mapping {
                let name = k.string ?? "\(k)"
                let key = prefix.isEmpty ? name : "\(prefix).\(name)"
                if open.contains(key) { continue }
                if let inner = v.mapping, !inner.isEmpty {
                    if sections.contains(key) { walk(inner, key) } else { found.append((key, true)) }
                } else if !read.contains(key) && !(sections.contains(key) && (v.mapping != nil || v.null != nil)) {
                    found.append((key, false))
                }
            }
        }
        walk(mapping, "")
        // Suggestions cost a distance to every known key: only for the first few, and not for
        // keys longer than any real one (a garbled file must not take minutes to refuse).
        return found.enumerated().map { i, entry in
            guard i < suggestionLimit, entry.key.utf8.count <= 100 else { return Unknown(key: entry.key, suggestion: nil) }
            let near = (entry.isSection ? sections : read).map { (editDistance($0, entry.key), $0) }.min { $0 < $1 }
            return Unknown(key: entry.key, suggestion: near.flatMap { $0.0 <= max(2, entry.key.count / 4) ? $0.1 : nil })
        }
    }

    /// How many unknown keys get a suggestion, and how many a refusal names.
    public static let suggestionLimit = 5

    /// The first `suggestionLimit` unknown keys in sentences, then how many more there are.
    public static func describe(_ unknown: [Unknown], as whatItIsNot: String) -> String {
        let named = unknown.prefix(suggestionLimit).map { $0.sentence(whatItIsNot) }.joined(separator: "; ")
        return unknown.count > suggestionLimit ? "\(named); and \(unknown.count - suggestionLimit) more unknown keys" : named
    }

    /// Levenshtein distance over bytes: how many letters to change to turn one key into the other.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        guard !a.isEmpty else { return b.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var diagonal = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let above = row[j]
                row[j] = min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1))
                diagonal = above
            }
        }
        return row[b.count]
    }
}
