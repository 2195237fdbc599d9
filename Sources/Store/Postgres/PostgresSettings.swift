import Foundation

/// Where and how to reach PostgreSQL, read from `database.url`:
/// `postgres://user:password@host:5432/dbname?sslmode=require`, or over a Unix socket
/// `postgres://user@/dbname?host=/run/postgresql&port=5432`.
public struct PostgresSettings: Sendable, Equatable {
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP (a socket or a private network).
        case disable
        /// TLS if the server offers it, certificate not checked (libpq's default).
        case prefer
        /// TLS or no connection, certificate not checked.
        case require
        /// TLS with the certificate checked against the system roots (or `sslrootcert`) and host.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    /// Set when connecting over a Unix socket (`host=/path` in the URL).
    public var unixSocketPath: String?
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// A CA bundle (PEM) for `verify-full`.
    public var rootCertificatePath: String?
    /// Connections held open; each runs one transaction at a time.
    public var poolSize: Int
    /// No statement runs longer: a stuck query gives an error, not a hung request.
    public var statementTimeoutMilliseconds: Int

    public struct InvalidURL: Error, CustomStringConvertible {
        public var description: String
    }

    public static func isPostgresURL(_ url: String) -> Bool {
        url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
    }

    public init(url: String, poolSize: Int = 8, statementTimeoutMilliseconds: Int = 30_000) throws {
        guard Self.isPostgresURL(url), let c = URLComponents(string: url) else {
            throw InvalidURL(description: "database.url: expected postgres://user:password@host:port/dbname, got \(Self.redacted(url))")
        }
        let query = Dictionary((c.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, b in b })
        let known: Set = ["sslmode", "sslrootcert", "host", "port", "pool_size", "statement_timeout_ms"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw InvalidURL(description: "database.url: unknown parameter \(unknown) (known: \(known.sorted().joined(separator: ", ")))")
        }
        if let p = query["port"] {
            guard let n = Int(p), (1...65535).contains(n) else { throw InvalidURL(description: "database.url: port must be 1 to 65535, got \(p)") }
            port = n
        } else {
            port = c.port ?? 5432
        }
        if let socketDir = query["host"], socketDir.hasPrefix("/") {
            unixSocketPath = "\(socketDir)/.s.PGSQL.\(port)"
            host = socketDir
        } else {
            unixSocketPath = nil
            host = c.host.flatMap { $0.isEmpty ? nil : $0 } ?? query["host"] ?? "localhost"
        }
        username = c.percentEncodedUser?.removingPercentEncoding ?? "returnd"
        password = c.percentEncodedPassword?.removingPercentEncoding
        let name = String(c.path.drop(while: { $0 == "/" }))
        database = name.isEmpty ? username : name
        let mode = query["sslmode"] ?? (unixSocketPath == nil ? "prefer" : "disable")
        guard let tls = TLSMode(rawValue: mode) else {
            throw InvalidURL(description: "database.url: sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")), got \(mode)")
        }
        self.tls = tls
        rootCertificatePath = query["sslrootcert"]
        if let size = query["pool_size"] {
            guard let n = Int(size), (1...256).contains(n) else { throw InvalidURL(description: "database.url: pool_size must be 1 to 256, got \(size)") }
            self.poolSize = n
        } else {
            self.poolSize = poolSize
        }
        if let ms = query["statement_timeout_ms"] {
            guard let n = Int(ms), n > 0 else { throw InvalidURL(description: "database.url: statement_timeout_ms must be a positive number, got \(ms)") }
            self.statementTimeoutMilliseconds = n
        } else {
            self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        }
    }

    /// The URL without its password, for logs and errors.
    public static func redacted(_ url: String) -> String {
        guard var c = URLComponents(string: url), c.password != nil else { return url }
        c.password = "***"
        return c.string ?? "postgres://…"
    }
}
