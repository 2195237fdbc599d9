import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The store's SQL session on one PostgreSQL connection, inside a transaction. It runs on a
/// thread of the backend's own pool and waits for each answer there, never on an event loop
/// or a task executor.
struct PostgresSession: SQLSession {
    let connection: PostgresConnection
    let logger: Logger
    /// How long to wait for any answer: the server's statement_timeout plus a margin. The server
    /// cancels a slow statement itself; this bounds the cases it cannot, where no answer ever
    /// comes (a server or network gone silent, or PostgresNIO leaving a query pending when its
    /// connection closes under it, which once kept an instance from stopping after a restart).
    let answerDeadline: TimeAmount
    var dialect: SQLDialect { .postgres }

    /// No answer within `answerDeadline`: the connection was closed and must not be reused.
    struct NoAnswer: Error, CustomStringConvertible {
        let seconds: Double
        var description: String { "PostgreSQL did not answer within \(seconds) s; the connection was closed" }
    }

    func execute(_ sql: String, _ arguments: [any SQLBindable]) throws -> Int {
        try query(sql, arguments).metadata.rows ?? 0
    }

    func rows(_ sql: String, _ arguments: [any SQLBindable]) throws -> [SQLRow] {
        let result = try query(sql, arguments)
        guard let first = result.rows.first else { return [] }
        let columns = first.map(\.columnName)
        return try result.rows.map { row in SQLRow(columns: columns, values: try row.map(Self.value)) }
    }

    func query(_ sql: String, _ arguments: [any SQLBindable]) throws -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument.sqlValue {
            case .null: binds.appendNull()
            case .int(let i): binds.append(i)
            case .text(let s): binds.append(s)
            case .date(let d): binds.append(d)
            }
        }
        let answer = connection.query(PostgresQuery(unsafeSQL: Self.numbered(sql), binds: binds), logger: logger)
        // Closing fails whatever PostgresNIO still has pending on the connection.
        return try Self.wait(for: answer, atMost: answerDeadline) { [connection] in connection.closeInBackground() }
    }

    /// `future.wait()`, bounded: after `deadline` the wait fails with `NoAnswer` and
    /// `giveUp` runs. A late answer is dropped (a promise completes once).
    static func wait<T: Sendable>(for future: EventLoopFuture<T>, atMost deadline: TimeAmount, giveUp: @escaping @Sendable () -> Void) throws -> T {
        let bounded = future.eventLoop.makePromise(of: T.self)
        future.cascade(to: bounded)
        let seconds = Double(deadline.nanoseconds) / 1e9
        let timer = future.eventLoop.scheduleTask(in: deadline) {
            bounded.fail(NoAnswer(seconds: seconds))
            giveUp()
        }
        bounded.futureResult.whenComplete { _ in timer.cancel() }
        return try bounded.futureResult.wait()
    }

    /// `?` placeholders become `$1`, `$2`…; quoted text is left alone.
    static func numbered(_ sql: String) -> String {
        guard sql.contains("?") else { return sql }
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var n = 0
        var quoted = false
        for ch in sql {
            if ch == "'" { quoted.toggle() }
            if ch == "?" && !quoted {
                n += 1
                out += "$\(n)"
            } else {
                out.append(ch)
            }
        }
        return out
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .int(try cell.decode(Int64.self))
        case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
        case .timestamptz, .timestamp, .date: return .date(try cell.decode(Date.self))
        default: return .text(try cell.decode(String.self))
        }
    }
}

extension PostgresConnection {
    /// Closes without waiting; the closure keeps the connection alive until the close
    /// completes, as PostgresNIO requires.
    func closeInBackground() {
        close().whenComplete { _ in withExtendedLifetime(self) {} }
    }
}
