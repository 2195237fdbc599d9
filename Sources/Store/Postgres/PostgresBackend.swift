import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// PostgreSQL for several returnd instances on one database. The store's logic is synchronous
/// (one body for both backends), so transactions run on a pool of `poolSize` threads, each
/// with a connection of its own; the async callers wait on the thread pool, not on a lock.
///
/// Transactions are READ COMMITTED with row locks where the logic changes a row, and are
/// retried (with a short random pause) on deadlock, serialization failure and a unique
/// violation: two instances opening the same buyer's parcel at once, say. The retry then
/// finds the other's row and joins it.
public final class PostgresBackend: SQLBackend {
    public let settings: PostgresSettings
    let logger: Logger
    let threads: NIOThreadPool
    let eventLoops: any EventLoopGroup
    let tls: PostgresConnection.Configuration.TLS
    private let idle = Mutex<[PostgresConnection]>([])
    private let nextID = Atomic<Int>(1)

    static let maxAttempts = 6
    /// SQLSTATEs worth another go: unique_violation, serialization_failure, deadlock_detected.
    static let retryable: Set<String> = ["23505", "40001", "40P01"]

    public init(settings: PostgresSettings, logger: Logger = Logger(label: "returnd.store")) throws {
        self.settings = settings
        self.logger = logger
        eventLoops = MultiThreadedEventLoopGroup.singleton
        tls = try Self.tls(settings)
        threads = NIOThreadPool(numberOfThreads: settings.poolSize)
        threads.start()
    }

    public convenience init(url: String, logger: Logger = Logger(label: "returnd.store")) throws {
        try self.init(settings: PostgresSettings(url: url), logger: logger)
    }

    static func tls(_ s: PostgresSettings) throws -> PostgresConnection.Configuration.TLS {
        switch s.tls {
        case .disable: return .disable
        case .prefer, .require:
            var config = TLSConfiguration.makeClientConfiguration()
            config.certificateVerification = .none
            let context = try NIOSSLContext(configuration: config)
            return s.tls == .prefer ? .prefer(context) : .require(context)
        case .verifyFull:
            var config = TLSConfiguration.makeClientConfiguration()
            config.certificateVerification = .fullVerification
            if let path = s.rootCertificatePath { config.trustRoots = .file(path) }
            return .require(try NIOSSLContext(configuration: config))
        }
    }

    public var dialect: SQLDialect { .postgres }

    /// The server cancels a statement after statement_timeout; two seconds more for its answer
    /// to arrive, then the connection is given up (see `PostgresSession.answerDeadline`).
    var answerDeadline: TimeAmount { .milliseconds(Int64(settings.statementTimeoutMilliseconds) + 2_000) }

    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        try await threads.runIfActive { try self.transaction("BEGIN", body) }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLSession) throws -> T) async throws -> T {
        // One snapshot for every query of the read (a parcel, its items and history agree).
        try await threads.runIfActive { try self.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body) }
    }

    func transaction<T>(_ begin: String, _ body: (any SQLSession) throws -> T) throws -> T {
        do { return try attempts(begin, body) } catch { throw Self.storeError(error) }
    }

    /// The store's own error for what PostgresNIO or a bounded wait threw; anything else as is.
    /// A server that gave no answer in time is `unavailable` (503, retry), like one that is gone.
    static func storeError(_ error: any Error) -> any Error {
        switch error {
        case let error as PSQLError: describe(error)
        case let error as PostgresSession.NoAnswer: StoreError.unavailable("\(error)")
        default: error
        }
    }

    /// PSQLError prints a deliberately empty sentence; operators need the server's words
    /// (never the query's values, which may hold token hashes). A server that cannot be reached
    /// or that is going away is `unavailable`, which the API answers 503 (retry), not 500.
    static func describe(_ error: PSQLError) -> StoreError {
        if let info = error.serverInfo {
            let parts = [info[.sqlState].map { "SQLSTATE \($0)" }, info[.message], info[.detail]].compactMap { $0 }
            let sentence = "PostgreSQL: " + parts.joined(separator: ": ")
            return isUnavailable(sqlState: info[.sqlState]) ? .unavailable(sentence) : .database(sentence)
        }
        let cause = error.underlying.map { ": \($0)" } ?? ""
        let sentence = "PostgreSQL: \(error.code)\(cause)"
        return Self.connectionLost.contains(error.code) ? .unavailable(sentence) : .database(sentence)
    }

    static let connectionLost: [PSQLError.Code] = [.connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown]

    /// Class 08 (connection exception), the server shutting down or not yet accepting
    /// connections (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now), and
    /// the server short of a resource or its disk failing it: 53100 disk full, 53200 out of
    /// memory, 53300 too many connections, 58030 I/O error, as SQLite's full disk and I/O errors
    /// are; and a statement that ran past statement_timeout (57014) or waited past lock_timeout
    /// for a row another transaction holds (55P03), as SQLite's busy timeout is; and a write
    /// refused by a read-only server (25006, a standby after a failover). A full disk on
    /// the server was answered 500 until 2026-12-05 (reproduced on a tmpfs); the same request
    /// succeeds once an operator frees space.
    static func isUnavailable(sqlState: String?) -> Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03", "53100", "53200", "53300", "58030", "57014", "55P03", "25006"].contains(sqlState)
    }

    private func attempts<T>(_ begin: String, _ body: (any SQLSession) throws -> T) throws -> T {
        let (connection, session) = try begun(begin)
        var broken = false
        defer { checkin(connection, broken: broken) }
        var attempt = 0
        while true {
            attempt += 1
            do {
                if attempt > 1 { try session.execute(begin) }
                let result = try body(session)
                try session.execute("COMMIT")
                return result
            } catch {
                if connection.isClosed || error is PostgresSession.NoAnswer {
                    // The body may have run and COMMIT may have landed: only the caller can
                    // tell whether to try again, so this one is not retried.
                    broken = true
                    throw error
                }
                _ = try? session.execute("ROLLBACK")
                if Self.sqlState(error) == "25006" {
                    // A read-only server: a standby the name or address now leads to after a
                    // failover. Not reused: the next call connects again, to the new primary.
                    broken = true
                    throw error
                }
                guard attempt < Self.maxAttempts, let state = Self.sqlState(error), Self.retryable.contains(state) else { throw error }
                logger.debug("store.transaction_retry", metadata: ["sqlstate": "\(state)", "attempt": "\(attempt)"])
                usleep(UInt32.random(in: 1_000...(5_000 * UInt32(attempt))))
            }
        }
    }

    /// A connection with the transaction begun. An idle connection the server has closed
    /// meanwhile (PostgreSQL restarted, a failover, an idle timeout) fails at BEGIN, before
    /// anything ran: it is dropped and the next one tried, then a new one, so a restart of
    /// the database costs callers nothing.
    private func begun(_ begin: String) throws -> (PostgresConnection, PostgresSession) {
        while let connection = idle.withLock({ $0.popLast() }) {
            let session = PostgresSession(connection: connection, logger: logger, answerDeadline: answerDeadline)
            if !connection.isClosed, (try? session.execute(begin)) != nil { return (connection, session) }
            if !connection.isClosed {
                // BEGIN failed on a live connection: state unknown, so it is not reused.
                logger.warning("store.connection_dropped", metadata: ["reason": "BEGIN failed on an idle connection"])
            } else {
                logger.info("store.connection_reopened", metadata: ["reason": "the server closed an idle connection"])
            }
            checkin(connection, broken: true)
        }
        let connection = try connect()
        let session = PostgresSession(connection: connection, logger: logger, answerDeadline: answerDeadline)
        do { try session.execute(begin) } catch {
            checkin(connection, broken: true)
            throw error
        }
        return (connection, session)
    }

    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    private func checkout() throws -> PostgresConnection {
        while let connection = idle.withLock({ $0.popLast() }) {
            if !connection.isClosed { return connection }
            checkin(connection, broken: true)
        }
        return try connect()
    }

    private func checkin(_ connection: PostgresConnection, broken: Bool) {
        if broken || connection.isClosed {
            connection.closeInBackground()
            return
        }
        idle.withLock { $0.append(connection) }
    }

    func connect() throws -> PostgresConnection {
        var config: PostgresConnection.Configuration
        if let socket = settings.unixSocketPath {
            config = .init(unixSocketPath: socket, username: settings.username, password: settings.password, database: settings.database)
        } else {
            config = .init(host: settings.host, port: settings.port, username: settings.username, password: settings.password,
                           database: settings.database, tls: tls)
        }
        config.options.connectTimeout = .seconds(10)
        config.options.additionalStartupParameters = [
            ("application_name", "returnd"),
            ("statement_timeout", "\(settings.statementTimeoutMilliseconds)"),
            ("lock_timeout", "\(settings.statementTimeoutMilliseconds)"),
            ("TimeZone", "UTC"),
        ]
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        // The handshake after the TCP connect is bounded too: a server that accepts and then
        // says nothing must not hold a thread of the pool.
        let connecting = PostgresConnection.connect(on: eventLoops.next(), configuration: config, id: id, logger: logger)
        return try PostgresSession.wait(for: connecting, atMost: .seconds(10) + answerDeadline) {
            connecting.whenSuccess { $0.closeInBackground() }
        }
    }

    /// Runs one statement outside any transaction (`CREATE DATABASE`, `VACUUM`).
    public func executeOutsideTransaction(_ sql: String) async throws {
        try await threads.runIfActive {
            let connection = try self.checkout()
            var broken = false
            defer { self.checkin(connection, broken: broken) }
            do { try PostgresSession(connection: connection, logger: self.logger, answerDeadline: self.answerDeadline).execute(sql) } catch {
                broken = connection.isClosed || error is PostgresSession.NoAnswer
                throw Self.storeError(error)
            }
        }
    }

    public func migrate() async throws {
        try await write { db in try PostgresMigrations.migrate(db) }
    }

    public func migrations() async throws -> (known: [String], applied: [String]) {
        let applied = try await read { db in try PostgresMigrations.applied(db) }
        return (PostgresMigrations.all.map(\.id), applied)
    }

    public func integrityProblems() async throws -> [String] {
        // Foreign keys are enforced by PostgreSQL itself; indexes it checks on use.
        []
    }

    deinit {
        // Dropped without close() (an early error): close what is left.
        for connection in idle.withLock({ $0 }) { connection.closeInBackground() }
        threads.shutdownGracefully { _ in }
    }

    public func close() async throws {
        let connections = idle.withLock { c -> [PostgresConnection] in defer { c.removeAll() }; return c }
        for c in connections { try? await c.close() }
        try await threads.shutdownGracefully()
    }
}
