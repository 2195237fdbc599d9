import Yams

extension Node {
    /// How many values the document holds once its aliases (`*name`) are expanded, counted up
    /// to `limit` and no further. A few lines of nested aliases ("billion laughs") stand for
    /// millions of values: a reader that walks them all (swift-configuration's flattening of a
    /// configuration file) held returnd's start for more than 30 s. Yams keeps an alias as its
    /// anchored node, so the composed tree is small; only walking it expands it.
    public func expandedSize(limit: Int) -> Int {
        var count = 0
        func walk(_ node: Node) {
            guard count < limit else { return }
            count += 1
            switch node {
            case .scalar, .alias: break
            case .sequence(let sequence): for child in sequence where count < limit { walk(child) }
            case .mapping(let mapping): for (key, value) in mapping where count < limit { walk(key); walk(value) }
            }
        }
        walk(self)
        return count
    }
}
