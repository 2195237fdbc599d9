import API
import ArgumentParser
import Foundation
import Logging
import ReturnsCore
import Store

/// `returnctl`: the operator's companion. Exit 0 on success, 1 on failure (one line on stderr),
/// 2 on wrong usage.
@main
struct Returnctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "returnctl",
        abstract: "Operate returnd: status, parcels, tokens, carriers, labels, the dispute outbox, tracking, the database.",
        discussion: """
            Works on the same store as the daemon (--config, else $RETURND_CONFIG, else config/returnd.yaml).
            Read commands take --json. Exit codes: 0 success, 1 failure (one line on stderr), 2 wrong usage.
            """,
        version: "returnctl " + ReturndVersion.line,
        subcommands: [StatusCommand.self, ParcelCommand.self, TokenCommand.self, OutboxCommand.self, CarriersCommand.self, LabelCommand.self, TrackCommand.self, MigrateCommand.self, DatabaseCommand.self])

    static func main() async {
        // returnctl talks to people: the services it runs (the poller of `track`) log warnings
        // only, on stderr, in returnd's own line format, each written at once so that they stay
        // in order with returnctl's own output.
        ReturndBootstrap.bootstrapLogging(LogLevels((default: .warning, modules: [:])), writer: LogWriter(descriptor: 2, linesPerSecond: 0, synchronous: true))
        do {
            var command = try parseAsRoot(globalOptionsAfterSubcommand(Array(CommandLine.arguments.dropFirst())))
            if var async = command as? any AsyncParsableCommand { try await async.run() } else { try command.run() }
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("returnctl: \(failure.message)\n".utf8))
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            if code == .validationFailure || error is ValidationError {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            let message = fullMessage(for: error)
            FileHandle.standardError.write(Data("returnctl: \(message.isEmpty ? "\(error)" : message)\n".utf8))
            Foundation.exit(code == .failure || code.rawValue == 0 ? 1 : code.rawValue)
        }
    }
}

/// `returnctl --config FILE status`, as DESIGN.md and the README write it: ArgumentParser reads a
/// subcommand's options only after its name, and "Unknown option '--config'" sent an operator
/// with the documented line to the help. `--config` and `--json` given before the subcommand are
/// moved to just after its name (a command that takes no `--json` still refuses it).
func globalOptionsAfterSubcommand(_ arguments: [String], root: any ParsableCommand.Type = Returnctl.self) -> [String] {
    var leading: [String] = [], rest = arguments[...]
    while let first = rest.first {
        if first == "--json" || first.hasPrefix("--config=") {
            leading.append(first)
            rest = rest.dropFirst()
        } else if first == "--config", rest.count >= 2 {
            leading += rest.prefix(2)
            rest = rest.dropFirst(2)
        } else {
            break
        }
    }
    guard !leading.isEmpty else { return arguments }
    var command = root, path: [String] = []
    while let name = rest.first,
          let sub = command.configuration.subcommands.first(where: { $0._commandName == name || $0.configuration.aliases.contains(name) }) {
        path.append(name)
        rest = rest.dropFirst()
        command = sub
    }
    // No command named, or a group of them: the answer is its help or a word it does not know,
    // which the options would only hide behind "Unknown option".
    guard command.configuration.subcommands.isEmpty else { return path + rest }
    return path + leading + rest
}

struct CommandFailure: Error {
    var message: String
}

struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file. Default: $RETURND_CONFIG or config/returnd.yaml.")
    var config: String = ProcessInfo.processInfo.environment["RETURND_CONFIG"] ?? GlobalOptions.defaultConfig

    static let defaultConfig = "config/returnd.yaml"

    @Flag(name: .long, help: "Print JSON instead of a table (read commands).")
    var json = false

    func load() async throws -> ReturndConfiguration {
        do { return try await ReturndConfiguration.load(file: config) } catch { throw CommandFailure(message: "\(error)") }
    }

    /// `loaded`: the configuration, when the command has read it already.
    func runtime(_ loaded: ReturndConfiguration? = nil) async throws -> ReturndRuntime {
        let settings: ReturndConfiguration
        if let loaded { settings = loaded } else { settings = try await load() }
        // Opening a SQLite path makes an empty store there: a typo'd path or the wrong
        // configuration would show an operator no parcels at all. Only `migrate` creates one.
        if let path = ReturndBootstrap.sqlitePath(settings.databaseURL), !FileManager.default.fileExists(atPath: path) {
            throw CommandFailure(message: "no SQLite store at \(path) (database.url): returnd creates it at its first start, or `returnctl migrate` now")
        }
        // returnctl talks to people: warnings only, on stderr.
        var logger = Logger(label: "returnctl")
        logger.logLevel = .warning
        do { return try await ReturndBootstrap.runtime(settings, logger: logger) } catch { throw CommandFailure(message: "\(error)") }
    }

    /// Runs `body` with the runtime, then closes its store whatever `body` did: PostgreSQL's
    /// connections end cleanly, and a SQLite store no daemon has open is left without its WAL.
    func withRuntime<T>(_ loaded: ReturndConfiguration? = nil, _ body: (ReturndRuntime) async throws -> T) async throws -> T {
        let runtime = try await runtime(loaded)
        let result: T
        do { result = try await body(runtime) } catch {
            try? await runtime.store.close()
            throw error
        }
        try await runtime.store.close()
        return result
    }
}

/// A parcel by id, tracking number or return code, as operators have one or the other at hand.
func findParcel(_ typed: String, _ store: any ReturnStore) async throws -> Parcel {
    // Typed by an operator or pasted from a log or an e-mail: case, surrounding spaces, full-width
    // letters and Unicode spaces and dashes do not matter.
    let key = TypedCode.folded(typed.trimmingCharacters(in: .whitespaces))
    if let id = ParcelID.typed(key), let p = try await store.parcel(id: id) { return p }
    // A tracking number copied as its carrier prints it, in groups, as kiosks and scanners take it.
    let number = TrackingNumberScheme.typed(key)
    if let p = try await store.parcel(trackingNumber: number) { return p }
    if let code = try? ReturnCode(parsing: key), let p = try await store.parcel(returnCode: code.canonical) { return p }
    if let slip = TrackingNumberScheme.checkDigitSlip(number) {
        throw CommandFailure(message: "no parcel with tracking number \(typed): \(slip); a digit was mistyped")
    }
    if key.filter({ $0 != "-" && $0 != " " }).count == 9 {
        do { _ = try ReturnCode(parsing: key) } catch { throw CommandFailure(message: "no parcel with return code \(typed): \(error.reason)") }
    }
    throw CommandFailure(message: "no parcel with id, tracking number or return code \(typed)")
}

/// An id as returnd writes it (`evt_` or `tok_`, then capitals) from what an operator typed:
/// case and surrounding spaces do not matter.
func typedID(_ typed: String, prefix: String) -> String {
    let id = typed.trimmingCharacters(in: .whitespaces)
    guard id.lowercased().hasPrefix(prefix) else { return id }
    return prefix + String(id.dropFirst(prefix.count)).asciiUppercased
}

/// `--json` output. Keys are snake_case, as in the HTTP API and the dispute events that
/// `parcel show` and `outbox` print: the store's own types name their fields in Swift's
/// camelCase, and one document held both (`createdAt` beside `created_at`). No output is a
/// dictionary keyed by data the conversion would change (`db check` keys rows by table name).
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// A plain text table: columns padded to their widest cell.
/// Cells are written with their control characters escaped: stored text from outside (a
/// carrier's event description, a dispute service's error) must not reach the operator's
/// terminal as an escape sequence, nor break a row in two.
func printTable(_ header: [String], _ rows: [[String]]) {
    let rows = rows.map { $0.map(\.controlCharactersEscaped) }
    let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max() ?? 0 }
    for row in [header] + rows {
        print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
    }
}
