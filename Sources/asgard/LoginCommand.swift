import ArgumentParser
import AsgardAPI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `/auth/login` and `/auth/whoami.json` answer.
struct WhoAmI: Decodable {
    struct Token: Decodable {
        var name: String
        var token: String
        var expiresTime: Date?
    }

    var user: String
    var roles: [String]
    var applications: [String: String]
    var via: String
    var token: Token?
    var tokenName: String?
}

/// `asgard login`: stores an API token for the server in the user's credentials file.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign in and store an API token for the other commands (file mode 0600).",
        discussion: """
        With --user, asks for the password (or reads it from standard input with --password-stdin)
        and creates a token named cli-HOST-TIME. With --token, checks and stores an existing token.

        Example:
          asgard login --user admin
          asgard login --token "$CI_TOKEN"
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The user to sign in as.") var user: String?
    @Flag(help: "Read the password from standard input instead of asking.") var passwordStdin = false
    @Option(help: "The token's lifetime in days (1–3650).") var expiresInDays = 30

    func run() async throws {
        try await runReporting {
            let store = CredentialsFile()
            let token: String
            let who: WhoAmI
            if let user {
                let password = try readPassword()
                var host = [CChar](repeating: 0, count: 256)
                gethostname(&host, host.count)
                let hostName = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let stamp = Int(Date().timeIntervalSince1970)
                let reply = try await APIClient(server: global.server, token: nil).post("/auth/login", document: [
                    "name": user, "password": password, "issueToken": "true",
                    "tokenName": "cli-\(hostName.isEmpty ? "host" : hostName)-\(stamp)", "expiresInDays": String(expiresInDays),
                ])
                who = try APIJSON.decoder().decode(WhoAmI.self, from: reply.body)
                guard let issued = who.token?.token else { throw CLIError(description: "The server did not issue a token") }
                token = issued
            } else if let given = global.token ?? ProcessInfo.processInfo.environment["ASGARD_TOKEN"] {
                token = given
                let reply = try await APIClient(server: global.server, token: token).get("/auth/whoami.json")
                who = try APIJSON.decoder().decode(WhoAmI.self, from: reply.body)
            } else {
                throw CLIError(description: "Give --user NAME to sign in with a password, or --token TOKEN to store a token")
            }
            try store.store(token, for: global.server)
            let roles = (who.roles + who.applications.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }).joined(separator: ", ")
            print("Signed in to \(global.server) as \(who.user) (\(roles.isEmpty ? "no roles" : roles)); token stored in \(store.path)")
        }
    }

    private func readPassword() throws -> String {
        if passwordStdin || isatty(STDIN_FILENO) == 0 {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw CLIError(description: "No password on standard input")
            }
            return line
        }
        guard let entered = getpass("Password for \(user ?? ""): ") else { throw CLIError(description: "No password entered") }
        return String(cString: entered)
    }
}

/// `asgard logout`: revokes and forgets the stored token.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Revoke the token `asgard login` stored for the server and forget it.",
        discussion: "Example:\n  asgard logout")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await runReporting {
            let store = CredentialsFile()
            guard let token = store.token(for: global.server) else {
                print("Not signed in to \(global.server)")
                return
            }
            let client = APIClient(server: global.server, token: token)
            if let reply = try? await client.get("/auth/whoami.json"),
               let who = try? APIJSON.decoder().decode(WhoAmI.self, from: reply.body), let name = who.tokenName {
                _ = try? await client.post("/token/revoke", fields: ["name": name])
            }
            _ = try store.remove(for: global.server)
            print("Signed out of \(global.server)")
        }
    }
}
