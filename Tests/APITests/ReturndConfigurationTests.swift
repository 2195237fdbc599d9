import API
import Foundation
import Testing

/// returnd.yaml and its environment overrides: what an operator writes wrong at 3 a.m. must stop
/// the daemon with a sentence naming the key, not run on a default or trap.
@Suite struct ReturndConfigurationTests {
    func load(_ yaml: String, environment: [String: String] = [:]) async throws -> ReturndConfiguration {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("returnd.yaml").path
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        return try await ReturndConfiguration.load(file: file, environment: environment)
    }

    func refusal(_ yaml: String, environment: [String: String] = [:]) async -> String? {
        do {
            _ = try await load(yaml, environment: environment)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func theShippedFileLoadsWithItsDocumentedValues() async throws {
        let yaml = try String(contentsOfFile: "config/returnd.yaml", encoding: .utf8)
        let config = try await load(yaml)
        #expect(config.httpPort == 8080)
        #expect(config.policy.windowDays == 15)
        #expect(config.trackingEnabled)
    }

    @Test func aMisspeltKeyIsRefusedNamingItAndTheKeyMeant() async {
        let cases = [
            ("tracking:\n  enabeld: false\n", "tracking.enabeld is not a setting of returnd (did you mean tracking.enabled?)"),
            ("trackng:\n  enabled: false\n", "trackng is not a setting of returnd (did you mean tracking?)"),
            ("log:\n  levels:\n    trakcing: debug\n", "log.levels.trakcing is not a setting of returnd (did you mean log.levels.tracking?)"),
            ("http:\n  port: 8080\n  colour: blue\n", "http.colour is not a setting of returnd"),
            ("tracking: 5\n", "tracking is not a setting of returnd"),
        ]
        for (yaml, expected) in cases {
            let message = await refusal(yaml)
            #expect(message?.contains(expected) == true, "\(yaml): \(message ?? "loaded")")
        }
        let both = await refusal("http:\n  prot: 1\nlog:\n  levle: debug\n")
        #expect(both?.contains("http.prot is not a setting of returnd (did you mean http.port?)") == true, "\(both ?? "loaded")")
        #expect(both?.contains("log.levle is not a setting of returnd (did you mean log.level?)") == true, "\(both ?? "loaded")")
    }

    @Test func aFileOfManyUnknownKeysIsRefusedNamingTheFirstFiveAndCountingTheRest() async {
        // Long garbled keys get no suggestion (a distance to every known key each, for every one).
        let yaml = (0..<1000).map { "k\($0)\(String(repeating: "x", count: 500)): 1" }.joined(separator: "\n")
        let message = await refusal(yaml)
        #expect(message?.hasSuffix("; and 995 more unknown keys") == true, "\(message?.suffix(200) ?? "loaded")")
        #expect(message?.contains("did you mean") == false)
        #expect(message?.components(separatedBy: "is not a setting of returnd").count == 6)
    }

    @Test func carrierIDsUnderEndpointsAndEmptySectionsAreAccepted() async throws {
        let config = try await load("""
            carriers:
              endpoints:
                fr_colissimo: http://127.0.0.1:9/fr
              token_endpoints: {}
            tracking:
            log:
              levels:
                tracking: debug
            """)
        #expect(config.endpointOverrides(for: ["fr_colissimo"]) == ["fr_colissimo": "http://127.0.0.1:9/fr"])
        #expect(config.logLevels.modules["tracking"] == .debug)
    }

    @Test("a RETURND_ variable that names no setting is reported with the closest setting's variable; every setting's variable, RETURND_CONFIG, a carrier's endpoint and a module's log level are not")
    func unknownEnvironmentVariablesAreNamed() async throws {
        let config = try await load("http:\n  port: 8080\n", environment: [
            "RETURND_DATABASE_UR": "postgres://u:p@h:5432/d", "RETURND_HTTP_PROT": "9090", "RETURND_NOT_A_THING_AT_ALL": "1",
            "RETURND_HTTP_PORT": "9091", "RETURND_CONFIG": "/etc/returnd/returnd.yaml", "RETURND_CARRIERS_ENDPOINTS_FR_COLISSIMO": "http://127.0.0.1:9/fr",
            "RETURND_CARRIERS_TOKEN_ENDPOINTS_US_USPS": "http://127.0.0.1:9/token", "RETURND_LOG_LEVELS_HTTP": "debug",
            "RETURND_TRACKING_CREDENTIAL_PREFIX": "carrier_", "PATH": "/usr/bin", "HOME": "/root",
        ])
        #expect(config.httpPort == 9091 && config.logLevels.modules["http"] == .debug)
        #expect(config.unknownEnvironmentVariables.map(\.key) == ["RETURND_DATABASE_UR", "RETURND_HTTP_PROT", "RETURND_NOT_A_THING_AT_ALL"])
        #expect(config.unknownEnvironmentVariables.map(\.suggestion) == ["RETURND_DATABASE_URL", "RETURND_HTTP_PORT", nil])
    }

    @Test("a file of comments only, or empty, runs on every default, environment overrides still read")
    func aFileOfCommentsOnlyTakesEveryDefault() async throws {
        for text in ["", "# every setting at its default\n", "\n---\n"] {
            let config = try await load(text, environment: ["RETURND_HTTP_PORT": "9090"])
            #expect(config.httpPort == 9090 && config.policy.windowDays == 15, "\(text)")
        }
        // A file that is YAML but no mapping is still refused.
        #expect(await refusal("- http\n")?.contains("cannot load configuration") == true)
        #expect(await refusal("http: [unclosed\n")?.contains("cannot load configuration") == true)
    }

    @Test("a database URL of a scheme returnd does not know is refused, without repeating the URL (it may hold a password), where it would have opened an empty SQLite store at that path")
    func anUnknownDatabaseSchemeIsRefused() async throws {
        let message = await refusal("database:\n  url: mysql://returnd:s3cret@db/returnd\n")
        #expect(message?.hasSuffix("returnd.yaml: database.url: a mysql:// URL is not a store returnd knows; give a SQLite path (or sqlite://path) or postgres://user:password@host:port/dbname") == true, "\(message ?? "loaded")")
        #expect(message?.contains("s3cret") == false)
        for url in ["sqlite:///var/lib/returnd/returnd.sqlite", "postgres://u:p@h:5432/d", "postgresql://u:p@h:5432/d", "returnd.sqlite"] {
            #expect(try await load("database:\n  url: \(url)\n").databaseURL.hasSuffix(url.hasPrefix("returnd") ? "/returnd.sqlite" : url), "\(url)")
        }
    }

    @Test func anAbsentKeyTakesItsDefault() async throws {
        let config = try await load("http:\n  host: 127.0.0.1\n")
        #expect(config.httpPort == 8080)
        #expect(config.idleTimeout == .seconds(30))
        #expect(config.maxConnections == 1024)
    }

    @Test func idempotencyKeysAreKeptForEverUnlessDaysAreGiven() async throws {
        #expect(try await load("http:\n  port: 8080\n").deadlines.idempotencyKeysKeptFor == nil)
        #expect(try await load("returns:\n  idempotency_keys_days: 0\n").deadlines.idempotencyKeysKeptFor == nil)
        #expect(try await load("returns:\n  idempotency_keys_days: 90\n").deadlines.idempotencyKeysKeptFor == .seconds(90 * 86400))
        #expect(try await load("http:\n  port: 8080\n", environment: ["RETURND_RETURNS_IDEMPOTENCY_KEYS_DAYS": "30"]).deadlines.idempotencyKeysKeptFor == .seconds(30 * 86400))
        let message = await refusal("returns:\n  idempotency_keys_days: -1\n")
        #expect(message?.contains("returns.idempotency_keys_days") == true, "\(message ?? "loaded")")
    }

    @Test("an unused label waits 24 h past its deadline for its carrier's final check by default; 0, or tracking off, expires it at the deadline")
    func expiryFinalCheckWait() async throws {
        #expect(try await load("http:\n  port: 8080\n").deadlines.expiryFinalCheckWait == .seconds(24 * 3600))
        #expect(try await load("timers:\n  expiry_final_check_hours: 1.5\n").deadlines.expiryFinalCheckWait == .seconds(5400))
        #expect(try await load("timers:\n  expiry_final_check_hours: 0\n").deadlines.expiryFinalCheckWait == nil)
        #expect(try await load("tracking:\n  enabled: false\n").deadlines.expiryFinalCheckWait == nil)
    }

    @Test func aValueThatIsNotANumberIsRefusedNamingTheKey() async {
        let message = await refusal("http:\n  port: eighty\n")
        #expect(message?.contains("http.port: eighty is not a whole number") == true, "\(message ?? "loaded")")
    }

    @Test func hugeAndNonFiniteDurationsAreRefusedInsteadOfTrapping() async {
        for value in ["1e300", ".nan", ".inf", "-5"] {
            let message = await refusal("http:\n  idle_timeout_seconds: \(value)\n")
            #expect(message?.contains("http.idle_timeout_seconds") == true, "\(value): \(message ?? "loaded")")
        }
    }

    @Test("an environment override out of range is refused naming the variable, not only the file's key (the file holds another value)")
    func anOutOfRangeEnvironmentOverrideIsRefused() async {
        let message = await refusal("http:\n  port: 8080\n", environment: ["RETURND_HTTP_PORT": "70000"])
        #expect(message?.hasPrefix("RETURND_HTTP_PORT (in the environment, over http.port in /") == true, "\(message ?? "loaded")")
        #expect(message?.hasSuffix("returnd.yaml): 70000 is out of range; use 1 to 65535") == true, "\(message ?? "loaded")")
        let url = await refusal("", environment: ["RETURND_DISPUTES_WEBHOOK_URL": "localhost:8081/events"])
        #expect(url?.hasPrefix("RETURND_DISPUTES_WEBHOOK_URL (in the environment, over disputes.webhook_url in /") == true, "\(url ?? "loaded")")
        #expect(url?.hasSuffix("): localhost:8081/events is not an http(s) URL") == true, "\(url ?? "loaded")")
        // The same value in the file is named by the file's key.
        let inFile = await refusal("disputes:\n  webhook_url: localhost:8081/events\n")
        #expect(inFile?.hasSuffix("returnd.yaml: disputes.webhook_url: localhost:8081/events is not an http(s) URL") == true, "\(inFile ?? "loaded")")
    }

    @Test("a fractional setting out of range names its bounds as a file would write them") func fractionalBoundsReadAsWritten() async {
        let lease = await refusal("tracking:\n  lease_seconds: -10\n")
        #expect(lease?.contains("tracking.lease_seconds: -10 is out of range; use 1 to 86400") == true, "\(lease ?? "loaded")")
        let growth = await refusal("tracking:\n  growth: 0.5\n")
        #expect(growth?.contains("tracking.growth: 0.5 is out of range; use 1 to 100") == true, "\(growth ?? "loaded")")
    }

    @Test("a configuration file that is a folder, a FIFO, not text or absent is refused saying which, without waiting for a FIFO's writer")
    func aFolderIsNotAConfiguration() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("returnd-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("fifo.yaml").path, binary = dir.appendingPathComponent("binary.yaml")
        #expect(mkfifo(fifo, 0o600) == 0)
        try Data([0x68, 0x74, 0x74, 0x70, 0x3A, 0xFF]).write(to: binary)
        for (file, reason) in [(dir.path, "is a folder, not a file"), (fifo, "is not a regular file (a device, pipe or socket)"),
                               (binary.path, "is not UTF-8 text"), (dir.appendingPathComponent("absent.yaml").path, "does not exist")] {
            let error = await #expect(throws: ReturndConfiguration.Invalid.self) { try await ReturndConfiguration.load(file: file, environment: [:]) }
            #expect(error?.description == "\(file): \(reason)")
        }
        // A relative path is named with where it was looked for: a service's working directory
        // is not the operator's shell's.
        let relative = "no-such-\(UUID().uuidString).yaml"
        let error = await #expect(throws: ReturndConfiguration.Invalid.self) { try await ReturndConfiguration.load(file: relative, environment: [:]) }
        #expect(error?.description == "\(relative) (\(FileManager.default.currentDirectoryPath)/\(relative)): does not exist")
    }

    /// Eight lines whose aliases stand for 9^8 (43 million) values, then `tail`.
    static func aliasBomb(_ tail: String) -> String {
        var lines = ["x0: &a0 {" + (0..<9).map { "k\($0): v" }.joined(separator: ", ") + "}"]
        for i in 1..<8 { lines.append("x\(i): &a\(i) {" + (0..<9).map { "m\($0): *a\(i - 1)" }.joined(separator: ", ") + "}") }
        return lines.joined(separator: "\n") + "\n" + tail
    }

    @Test("a configuration whose aliases stand for millions of values is refused at once, where the loader walked them for minutes")
    func aliasBombRefused() async {
        let message = await refusal(Self.aliasBomb("http: *a7\n"))
        #expect(message?.hasSuffix("returnd.yaml: holds more than 10000 values once its aliases (*name) are expanded: not a configuration") == true, "\(message ?? "loaded")")
    }

    @Test("a configuration whose key holds those aliases is refused at once, where Yams's duplicate-key check took 21 s",
          arguments: ["? {http: *a7}\n: x\n", "*a7 : x\n", "? [*a7]\n: x\n"])
    func complexKeyRefused(tail: String) async {
        let message = await refusal(Self.aliasBomb(tail))
        #expect(message?.hasSuffix("returnd.yaml: has a key that is not a plain name (an alias, a list or a mapping): not a configuration") == true, "\(message ?? "loaded")")
    }

    @Test("a key given twice is refused naming it and where, without quoting the file (its database password with it)")
    func duplicateKeyRefusedWithoutTheFile() async {
        let message = await refusal("http:\n  port: 1\ndatabase:\n  url: postgres://u:secret@h/db\nhttp:\n  port: 2\n")
        #expect(message?.hasSuffix("returnd.yaml: cannot load configuration: not valid YAML: a mapping holds the key 'http' more than once (the first at line 1, column 1)") == true, "\(message ?? "loaded")")
        #expect(message?.contains("secret") == false)
    }

    @Test func zeroWorkersAreRefused() async {
        let message = await refusal("tracking:\n  concurrency_per_carrier: 0\n")
        #expect(message?.contains("tracking.concurrency_per_carrier: 0 is out of range") == true, "\(message ?? "loaded")")
    }

    @Test func aSwitchThatIsNeitherTrueNorFalseIsRefused() async {
        let message = await refusal("tracking:\n  enabled: maybe\n")
        #expect(message?.contains("tracking.enabled: maybe is not true or false") == true, "\(message ?? "loaded")")
    }

    @Test func fractionalSecondsAndWholeNumbersBothRead() async throws {
        let config = try await load("http:\n  request_head_timeout_seconds: 1.5\n  idle_timeout_seconds: 3\n")
        #expect(config.requestHeadTimeout == .milliseconds(1500))
        #expect(config.idleTimeout == .seconds(3))
    }
}
