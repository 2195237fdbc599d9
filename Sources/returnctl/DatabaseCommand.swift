import API
import ArgumentParser
import Foundation
import Logging
import Store

extension GlobalOptions {
    /// Runs `body` with the store of `url` (default: the configured `database.url`), not migrated,
    /// and the URL it opened; then closes the store whatever `body` did, as `withRuntime` does.
    /// `existing`: refuse a SQLite path with no file, which opening would make an empty store.
    func withStore<T>(url: String? = nil, existing: Bool = false, _ body: (SQLReturnStore, String) async throws -> T) async throws -> T {
        let target: String
        if let url { target = url } else { target = try await load().databaseURL }
        if existing, let path = ReturndBootstrap.sqlitePath(target), !FileManager.default.fileExists(atPath: path) {
            throw CommandFailure(message: "no SQLite store at \(path)")
        }
        var logger = Logger(label: "returnctl")
        logger.logLevel = .warning
        let store: SQLReturnStore
        do { store = try ReturndBootstrap.openStore(url: target, logger: logger) } catch { throw CommandFailure(message: "\(error)") }
        let result: T
        do { result = try await body(store, target) } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
        return result
    }
}

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the database schema (SQLite or PostgreSQL).",
        discussion: "returnd also migrates when it starts; run this first to upgrade before a rollout. Safe to run on a live database and from several hosts at once.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Database URL or SQLite path. Default: database.url of the configuration.") var database: String?

    func run() async throws {
        let (url, dialect, new) = try await options.withStore(url: database) { store, url in
            let before = try await store.backend.migrations().applied
            do { try await store.migrate() } catch { throw CommandFailure(message: "migration failed: \(error)") }
            let after = try await store.backend.migrations().applied
            return (url, store.backend.dialect.name, after.filter { !before.contains($0) })
        }
        print("\(ReturndBootstrap.redactedDatabaseURL(url)) (\(dialect)): \(new.isEmpty ? "already up to date" : "applied \(new.count)")")
        for id in new { print("  \(id)") }
    }
}

struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Check the database, back it up (SQLite), or copy all of it to another (SQLite to PostgreSQL).",
        subcommands: [Check.self, Backup.self, Copy.self])

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a SQLite store into a new file while returnd runs, as it was at one moment.",
            discussion: """
                The copy is one read transaction: returnd keeps answering meanwhile. It is written beside
                FILE as FILE.partial, synced and checked (SQLite's quick_check), and only then renamed to
                FILE. FILE must not exist. Copying the database file with cp while returnd runs can miss
                its WAL; this does not. Restore: stop returnd, put FILE in place of the store (no -wal or
                -shm file beside it: one left there after a crash holds the old store's last commits),
                start returnd. PostgreSQL: use pg_dump.
                """)
        @OptionGroup var options: GlobalOptions
        @Option(help: "Database URL or SQLite path. Default: database.url of the configuration.") var database: String?
        @Option(help: "The new file.") var to: String

        func run() async throws {
            let (backup, url) = try await options.withStore(url: database, existing: true) { store, url in
                do { return (try await store.backup(to: to), url) } catch { throw CommandFailure(message: "backup failed: \(error)") }
            }
            if options.json { return try printJSON(backup) }
            print("\(ReturndBootstrap.redactedDatabaseURL(url)) → \(backup.path): \(backup.bytes / 1_048_576) MiB in \(String(format: "%.1f", backup.seconds)) s, quick_check ok")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Schema version, the backend's own integrity checks and returnd's rules. Exit 1 on any problem.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Database URL or SQLite path. Default: database.url of the configuration.") var database: String?

        struct Output: Encodable {
            var backend: String
            var migrationsPending: [String]
            /// Applied by a newer returnd: this version cannot judge the store.
            var migrationsUnknown: [String]
            var problems: [String]
            var rows: [String: Int]
        }

        func run() async throws {
            let (migrations, output) = try await options.withStore(url: database, existing: true) { store, _ in
                let migrations = try await store.backend.migrations()
                let pending = migrations.known.filter { !migrations.applied.contains($0) }
                let unknown = migrations.applied.filter { !migrations.known.contains($0) }
                // Rules only make sense on a schema this version knows, current.
                let current = pending.isEmpty && unknown.isEmpty
                let problems = current ? try await store.consistencyProblems() : []
                let rows = current ? try await store.rowCounts() : [:]
                return (migrations, Output(backend: store.backend.dialect.name, migrationsPending: pending, migrationsUnknown: unknown, problems: problems, rows: rows))
            }
            let (pending, unknown, problems, rows) = (output.migrationsPending, output.migrationsUnknown, output.problems, output.rows)
            if options.json { try printJSON(output) } else {
                print("backend: \(output.backend)")
                if !unknown.isEmpty {
                    print("schema: newer than this returnctl; \(unknown.count) migration(s) it does not know:")
                    for id in unknown { print("  unknown: \(id)") }
                } else {
                    print(pending.isEmpty ? "schema: current (\(migrations.applied.count) migrations)" : "schema: \(pending.count) migration(s) pending; run returnctl migrate")
                }
                for id in pending { print("  pending: \(id)") }
                if pending.isEmpty && unknown.isEmpty {
                    printTable(["TABLE", "ROWS"], StoreTables.all.map { [$0.name, "\(rows[$0.name] ?? 0)"] })
                    print(problems.isEmpty ? "problems: none" : "problems: \(problems.count)")
                    for p in problems { print("  \(p)") }
                }
            }
            if !unknown.isEmpty { throw CommandFailure(message: SQLReturnStore.newerSchema(unknown)) }
            if !pending.isEmpty { throw CommandFailure(message: "\(pending.count) migration(s) pending") }
            if !problems.isEmpty { throw CommandFailure(message: "\(problems.count) problem(s) found") }
        }
    }

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy every row into another database (migrated first, must be empty), then compare row counts.",
            discussion: """
                Stop returnd first. Typical move to PostgreSQL:
                  returnctl db copy --to 'postgres://returnd:…@db:5432/returnd'
                then set database.url to that URL and start returnd. Exit 1 if any table's counts differ.
                """)
        @OptionGroup var options: GlobalOptions
        @Option(help: "Source. Default: database.url of the configuration.") var from: String?
        @Option(help: "Destination database URL or SQLite path.") var to: String

        /// How to empty a destination a failed copy left rows in, so the next copy is let in.
        static func emptying(_ url: String) -> String {
            if let path = ReturndBootstrap.sqlitePath(url) {
                return "delete \(path) (and \(path)-wal and \(path)-shm if there), then copy again"
            }
            let parts = URLComponents(string: url)
            let database = parts.map { String($0.path.dropFirst()) }.flatMap { $0.isEmpty ? nil : $0 } ?? "returnd"
            let owner = parts?.user ?? "returnd"
            return "as a PostgreSQL superuser run DROP DATABASE \(database); CREATE DATABASE \(database) OWNER \(owner); then copy again"
        }

        func run() async throws {
            let source: String
            if let from { source = from } else { source = try await options.load().databaseURL }
            // Said as what it is, not as "the destination already holds data".
            if let a = ReturndBootstrap.sqlitePath(source), let b = ReturndBootstrap.sqlitePath(to),
               URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath() == URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath() {
                throw CommandFailure(message: "--to \(to) is the source store itself; name another file or a postgres:// URL")
            }
            let (counts, sourceURL, destinationURL) = try await options.withStore(url: source, existing: true) { source, sourceURL in
                try await options.withStore(url: to) { destination, destinationURL in
                    do {
                        try await source.migrate()
                        try await destination.migrate()
                        let counts = try await source.copy(to: destination) { table, n in
                            if n % 100_000 == 0 { FileHandle.standardError.write(Data("  \(table): \(n) rows\n".utf8)) }
                        }
                        return (counts, sourceURL, destinationURL)
                    } catch let failure as CommandFailure {
                        throw failure
                    } catch let stopped as StoreCopyStopped {
                        throw CommandFailure(message: "copy failed: \(stopped). The destination keeps the rows copied so far; \(Self.emptying(destinationURL))")
                    } catch let notEmpty as StoreCopyDestinationNotEmpty {
                        throw CommandFailure(message: "\(notEmpty). If a copy that failed left it there, \(Self.emptying(destinationURL))")
                    } catch {
                        throw CommandFailure(message: "copy failed: \(error)")
                    }
                }
            }
            if options.json { try printJSON(counts) } else {
                print("\(ReturndBootstrap.redactedDatabaseURL(sourceURL)) → \(ReturndBootstrap.redactedDatabaseURL(destinationURL))")
                printTable(["TABLE", "SOURCE", "COPIED", ""], counts.map { [$0.table, "\($0.source)", "\($0.destination)", $0.source == $0.destination ? "ok" : "MISMATCH"] })
            }
            if counts.contains(where: { $0.source != $0.destination }) { throw CommandFailure(message: "row counts differ; the destination is incomplete") }
        }
    }
}
