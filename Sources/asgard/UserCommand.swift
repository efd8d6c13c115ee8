import ArgumentParser
import AsgardAPI
import AsgardCore
import Foundation

/// `asgard user …`: manage users and their roles (admin).
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Create users and give them roles (admin).",
        subcommands: [List.self, Save.self, Delete.self])

    static func rolesText(_ user: UserRecord) -> String {
        (user.roles.map(\.rawValue) + user.applications.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.rawValue)" })
            .joined(separator: ", ")
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.", discussion: "Example:\n  asgard user list")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/user/list.json")
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                let users = try APIJSON.decoder().decode([UserRecord].self, from: reply.body)
                print(TableOutput.render(headers: ["NAME", "ROLES"], rows: users.map { [$0.name.rawValue, UserCommand.rolesText($0)] }))
            }
        }
    }

    struct Save: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user or change their roles and password.",
            discussion: """
            Roles not given keep their values. The password is read from standard input with --password-stdin.

            Example:
              asgard user save alice --role viewer --app shop:deployer
              asgard user save admin --password-stdin < new-password.txt
            """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The login name.") var name: String
        @Option(name: .customLong("role"), help: "A global role: admin or viewer (repeatable).") var roles: [String] = []
        @Option(name: .customLong("app"), help: "An application role as APP:owner or APP:deployer (APP=… works too; repeatable).") var apps: [String] = []
        @Flag(help: "Read a new password from standard input.") var passwordStdin = false

        func run() async throws {
            try await runReporting {
                var document: [String: Any] = ["name": name]
                if !roles.isEmpty { document["roles"] = roles }
                if !apps.isEmpty {
                    var map: [String: String] = [:]
                    for entry in apps {
                        let parts = entry.split(maxSplits: 1, whereSeparator: { $0 == "=" || $0 == ":" }).map(String.init)
                        guard parts.count == 2 else { throw CLIError(description: "--app '\(entry)' must look like shop:deployer") }
                        map[parts[0]] = parts[1]
                    }
                    document["applications"] = map
                }
                if passwordStdin {
                    guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw CLIError(description: "No password on standard input") }
                    document["password"] = line
                }
                let reply = try await global.client().post("/user/save", document: document)
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                let user = try APIJSON.decoder().decode(UserRecord.self, from: reply.body)
                print("\(reply.status == 201 ? "Created" : "Updated") user \(user.name): \(UserCommand.rolesText(user))")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a user with their tokens and sessions.", discussion: "Example:\n  asgard user delete alice --force")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The login name.") var name: String
        @Flag(help: "Confirm the deletion; required.") var force = false

        func run() async throws {
            try await runReporting {
                guard force else { throw CLIError(description: "Deleting user '\(name)' cannot be undone; add --force to confirm") }
                _ = try await global.client().post("/user/delete", fields: ["name": name])
                print("Deleted user \(name)")
            }
        }
    }
}

/// `asgard token …`: API tokens for scripts.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke API tokens.",
        subcommands: [List.self, Create.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens, without their secrets.", discussion: "Example:\n  asgard token list")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this user's tokens (admin).") var user: String?

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/token/list.json", query: user.map { [("user", $0)] } ?? [])
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                let tokens = try APIJSON.decoder().decode([TokenRecord].self, from: reply.body)
                let now = Date()
                print(TableOutput.render(headers: ["NAME", "USER", "STATE", "EXPIRES"], rows: tokens.map {
                    [$0.name, $0.user.rawValue, $0.revokedTime != nil ? "revoked" : ($0.isActive(at: now) ? "active" : "expired"),
                     $0.expiresTime.map(TableOutput.date) ?? "never"]
                }))
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token; its secret is printed this once.",
            discussion: "Example:\n  asgard token create --name ci --user alice --expires-in-days 90")
        @OptionGroup var global: GlobalOptions
        @Option(help: "A name for the token.") var name: String
        @Option(help: "Whose rights it carries (default: yourself).") var user: String?
        @Option(help: "Lifetime in days, 1–3650.") var expiresInDays = 30

        func run() async throws {
            try await runReporting {
                var fields = ["name": name, "expiresInDays": String(expiresInDays)]
                if let user { fields["user"] = user }
                let reply = try await global.client().post("/token/create", fields: fields)
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                let created = try APIJSON.decoder().decode(WhoAmI.Token.self, from: reply.body)
                print("Created token \(created.name); copy it now, it is not shown again:\n\(created.token)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token; it stops working at once.", discussion: "Example:\n  asgard token revoke ci --user alice")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The token's name.") var name: String
        @Option(help: "Whose token (default: yourself).") var user: String?

        func run() async throws {
            try await runReporting {
                var fields = ["name": name]
                if let user { fields["user"] = user }
                _ = try await global.client().post("/token/revoke", fields: fields)
                print("Revoked token \(name)")
            }
        }
    }
}

/// `asgard audit list`: who changed what (admin).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Read the audit log (admin).", subcommands: [List.self])

    struct Entry: Decodable {
        var time: Date
        var user: String
        var action: String
        var objectId: String?
        var outcome: String
        var status: Int
        var address: String
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List audit entries, newest first.",
                                                        discussion: "Example:\n  asgard audit list --user alice --limit 20")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this user's requests.") var user: String?
        @Option(help: "Only requests about this application.") var app: String?
        @Option(help: "At most this many (1–1000).") var limit = 50

        func run() async throws {
            try await runReporting {
                var query = [("limit", String(limit))]
                if let user { query.append(("user", user)) }
                if let app { query.append(("application", app)) }
                let reply = try await global.client().get("/audit/list.json", query: query)
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                let entries = try APIJSON.decoder().decode([Entry].self, from: reply.body)
                print(TableOutput.render(headers: ["TIME", "USER", "ADDRESS", "OUTCOME", "ACTION", "OBJECT"], rows: entries.map {
                    [TableOutput.date($0.time), $0.user, $0.address, "\($0.outcome) \($0.status)", $0.action, $0.objectId ?? ""]
                }))
            }
        }
    }
}
