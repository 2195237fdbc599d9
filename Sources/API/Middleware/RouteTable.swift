import Synchronization

/// The routes the router serves, by path pattern (`/v1/parcels/{id}/label`), so that a request
/// for a known path with an unknown method is answered 405 rather than 404.
final class RouteTable: Sendable {
    private let entries = Mutex<[(segments: [Substring], method: String)]>([])

    func fill(_ routes: [(path: String, method: String)]) {
        entries.withLock { $0 = routes.map { (Self.segments($0.path), $0.method) } }
    }

    func methods(for path: String) -> [String] {
        let parts = Self.segments(path)
        let found = entries.withLock { list in
            list.filter { entry in
                entry.segments.count == parts.count
                    && zip(entry.segments, parts).allSatisfy { pattern, part in Self.isParameter(pattern) || pattern == part }
            }.map(\.method)
        }
        // The router answers HEAD wherever it answers GET.
        return Array(Set(found + (found.contains("GET") ? ["HEAD"] : []))).sorted()
    }

    /// Hummingbird describes a parameter as `{id}`; `:id` is how routes are declared.
    static func isParameter(_ segment: Substring) -> Bool { segment.hasPrefix("{") || segment.hasPrefix(":") }

    static func segments(_ path: String) -> [Substring] { path.split(separator: "/") }
}
