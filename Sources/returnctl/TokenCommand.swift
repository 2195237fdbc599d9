import API
import ArgumentParser
import Foundation
import ReturnsCore

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke API tokens.",
        subcommands: [Create.self, List.self, Revoke.self], aliases: ["tokens"])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; the secret is printed once, alone on the last line (scripts: tail -n1).")
        @OptionGroup var options: GlobalOptions
        @Option(help: "marketplace, kiosk, scanner or operator.") var role: String
        @Option(help: "Service point id for a kiosk (starts with its country: FR-PARIS-0042), warehouse id for a scanner (one a carrier file names).") var scope: String?
        @Option(help: "A note for operators: who holds this token.") var label: String?

        func validate() throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("--role must be one of marketplace, kiosk, scanner, operator") }
            if role.needsScope && (scope ?? "").trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--scope is required for role \(role.rawValue)") }
            if !role.needsScope && scope != nil { throw ValidationError("--scope applies to kiosk and scanner tokens only; \(role.rawValue) tokens have none") }
            if role == .kiosk, let scope, !(scope.count >= 4 && scope.dropFirst(2).first == "-" && ServedCountries.all.contains(String(scope.prefix(2)))) {
                // Say which part is wrong: a served country in lower case, or UK for GB, read as "not served".
                let country = String(scope.prefix(2)), shaped = scope.count >= 4 && scope.dropFirst(2).first == "-"
                let why = !shaped ? ""
                    : ServedCountries.all.contains(country.uppercased()) ? "; write its country in capitals: \(country.uppercased())\(scope.dropFirst(2))"
                    : country.uppercased() == "UK" ? "; \(ServedCountries.ukIsGB): GB\(scope.dropFirst(2))"
                    : "; \(country) is not served (served: \(ServedCountries.listed))"
                throw ValidationError("a kiosk scope starts with its served country and a hyphen, e.g. FR-PARIS-0042\(why)")
            }
        }

        func run() async throws {
            let secret = AccessToken.newSecret()
            let token = AccessToken(id: AccessToken.newID(), role: Role(rawValue: role)!, scope: scope, label: label, createdAt: Date())
            try await options.withRuntime { runtime in
                // A scanner bound to a warehouse no carrier file names would flag every parcel it reads as misrouted.
                if token.role == .scanner, let scope {
                    let warehouses = Set(runtime.snapshot.catalog.services.map(\.warehouse.id)).sorted()
                    guard warehouses.contains(scope) else {
                        throw CommandFailure(message: "no carrier file sends returns to warehouse \(scope); warehouses: \(warehouses.joined(separator: ", "))")
                    }
                }
                try await runtime.store.createToken(token, secretHash: AccessToken.hash(secret: secret))
            }
            print("created token \(token.id) role=\(token.role.rawValue) scope=\(token.scope ?? "-")")
            print("the secret below is shown once; store it now")
            print(secret)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let tokens = try await options.withRuntime { try await $0.store.tokens() }
            if options.json { return try printJSON(tokens) }
            printTable(["ID", "ROLE", "SCOPE", "CREATED", "REVOKED", "LABEL"], tokens.map {
                [$0.id, $0.role.rawValue, $0.scope ?? "-", $0.createdAt.formatted(.iso8601), $0.revokedAt?.formatted(.iso8601) ?? "-", $0.label ?? ""]
            })
            let active = tokens.filter { $0.revokedAt == nil }.count
            print(tokens.isEmpty ? "no tokens: every /v1 request is refused 401; `returnctl token create --role ROLE` makes one"
                : "\(tokens.count) tokens, \(active) active")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token at once.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The token id (tok_…).") var id: String

        func run() async throws {
            let revoked = try await options.withRuntime { try await $0.store.revokeToken(id: typedID(id, prefix: "tok_"), at: Date()) }
            guard revoked else {
                throw CommandFailure(message: "no active token \(id)")
            }
            print("revoked \(id)")
        }
    }
}
