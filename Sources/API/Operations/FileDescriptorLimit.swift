#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Open files returnd may hold (`RLIMIT_NOFILE`). systemd starts a service with a soft limit of
/// 1,024 (and a hard one of 524,288): at the soft limit every connection past about a thousand
/// hung unanswered, nothing logged, `/healthz` too, and libcurl, SQLite and reloads had no file
/// left either, before `http.max_connections` (1,024 by default) could answer 503. returnd
/// raises its soft limit to the hard one, as systemd asks of programs that need many files (it
/// uses no `select()`), and holds no more connections than the limit leaves room for.
public enum FileDescriptorLimit {
    /// Raises the soft limit to the hard one; the limit in force afterwards.
    public static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return Int(Int32.max) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// Files kept for everything but connections: the store's (SQLite's database, WAL and shared
    /// memory per connection, or PostgreSQL's pool), the carriers' and the dispute service's
    /// requests in flight, the event loops', reloads and fonts.
    public static func reserve(carriers: Int, concurrencyPerCarrier: Int, disputeConcurrency: Int) -> Int {
        256 + carriers * concurrencyPerCarrier + disputeConcurrency
    }

    /// The connections returnd can hold: `configured`, or fewer if the limit has no room for them.
    public static func connections(configured: Int, limit: Int, reserve: Int) -> Int {
        max(1, min(configured, limit - reserve))
    }
}

/// The connections returnd holds at most: `http.max_connections`, or fewer if the open files
/// limit has no room for them beside the rest (`FileDescriptorLimit.reserve`). Worked out at
/// start and again at each reload, whose carriers need files of their own; each new connection
/// is counted against the value in force.
public final class ConnectionCap: Sendable {
    private let value: Atomic<Int>

    public init(_ limit: Int) { value = Atomic(limit) }

    public var limit: Int { value.load(ordering: .relaxed) }

    public func set(_ limit: Int) { value.store(limit, ordering: .relaxed) }
}
