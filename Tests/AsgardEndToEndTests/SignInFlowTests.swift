import Foundation
import Testing

/// The README's security walk-through, through the CLI against a freshly started server.
@Suite("Signing in from the CLI", .serialized)
struct SignInFlowTests {
    @Test func aDeployerTokenWorksOnItsApplicationAndIsRefusedOnAnother() async throws {
        let scratch = try Scratch("signin")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data", adminToken: nil)
        defer { server.stop() }
        #expect(server.log.contains("Created user 'admin' with the one-time password"))
        let password = try String(contentsOfFile: scratch.path + "/data/admin-password", encoding: .utf8)
        let home = ["ASGARD_URL": server.url, "XDG_CONFIG_HOME": scratch.path + "/config"]
        func asgard(_ args: [String], env: [String: String] = [:], input: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
            try runBlocking(Binaries.asgard, args, environment: home.merging(env) { _, new in new }, input: input)
        }

        let refused = try asgard(["app", "list"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("Sign in first"))

        let login = try asgard(["login", "--user", "admin", "--password-stdin"], input: password)
        #expect(login.status == 0, "\(login.stderr)")
        #expect(login.stdout.hasPrefix("Signed in to \(server.url) as admin (admin)"))
        let credentials = scratch.path + "/config/asgard/credentials.json"
        let mode = (try FileManager.default.attributesOfItem(atPath: credentials)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)

        for app in ["shop", "cart"] {
            #expect(try asgard(["app", "create", app, "--owner", "team", "--email", "\(app)@example.com"]).status == 0)
        }
        let alice = try asgard(["user", "save", "alice", "--role", "viewer", "--app", "shop=deployer"])
        #expect(alice.stdout == "Created user alice: viewer, shop:deployer\n", "\(alice.stderr)")
        let token = try asgard(["token", "create", "--name", "ci", "--user", "alice"])
        #expect(token.status == 0)
        let secret = try #require(token.stdout.split(separator: "\n").last.map(String.init))
        #expect(secret.hasPrefix("asgard_"))

        let onShop = try asgard(["app", "update", "shop", "--description", "Deployed by alice"], env: ["ASGARD_TOKEN": secret])
        #expect(onShop.status == 0, "\(onShop.stderr)")
        let onCart = try asgard(["app", "update", "cart", "--description", "Not yours"], env: ["ASGARD_TOKEN": secret])
        #expect(onCart.status == 1)
        #expect(onCart.stderr == "error: User 'alice' lacks the owner or deployer role on application 'cart' and may not do this\n")

        let audit = try asgard(["audit", "list", "--user", "alice"])
        #expect(audit.status == 0)
        let lines = audit.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[1].contains("forbidden 403") && lines[1].contains("POST /application/update") && lines[1].hasSuffix("cart"))
        #expect(lines[2].contains("succeeded 200") && lines[2].hasSuffix("shop"))

        let revoke = try asgard(["token", "revoke", "ci", "--user", "alice"])
        #expect(revoke.status == 0)
        let afterRevoke = try asgard(["app", "list"], env: ["ASGARD_TOKEN": secret])
        #expect(afterRevoke.status == 1)
        #expect(afterRevoke.stderr.contains("The API token is not valid"))

        let logout = try asgard(["logout"])
        #expect(logout.stdout == "Signed out of \(server.url)\n")
        #expect(try asgard(["app", "list"]).status == 1)
        let tokens = try await HTTP.get(server.url + "/token/list.json?user=admin", token: nil)
        #expect(tokens.status == 401)
    }
}
