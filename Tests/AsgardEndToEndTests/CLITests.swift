import AsgardAPI
import AsgardCore
import Foundation
import Testing

@Suite("The asgard CLI against a real server", .serialized)
struct CLITests {
    @Test func managesApplicationsAsTheAPIDoes() async throws {
        let scratch = try Scratch("cli")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let env = ["ASGARD_URL": server.url, "ASGARD_TOKEN": adminToken]
        func asgard(_ args: String...) throws -> (status: Int32, stdout: String, stderr: String) {
            try runBlocking(Binaries.asgard, args, environment: env)
        }

        let created = try asgard("app", "create", "Shop", "--owner", "Shop team", "--email", "shop@example.com",
                                 "--description", "The web shop")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.hasPrefix("Created application shop (task 2)"))

        let list = try asgard("app", "list")
        #expect(list.status == 0)
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("NAME  TYPE         OWNER      EMAIL") == true)
        #expect(lines.dropFirst().first?.hasPrefix("shop  Web Service  Shop team  shop@example.com") == true)

        let json = try asgard("app", "list", "--output", "json")
        let fromCLI = try APIJSON.decoder().decode([AppRecord].self, from: Data(json.stdout.utf8))
        let fromAPI = try APIJSON.decoder().decode([AppRecord].self, from: try await HTTP.get(server.url + "/application/list.json").body)
        #expect(fromCLI == fromAPI)

        let updated = try asgard("app", "update", "shop", "--owner", "Checkout")
        #expect(updated.status == 0)
        #expect(updated.stdout.contains("Owner        Checkout"))
        #expect(try asgard("app", "show", "shop").stdout.contains("Description  The web shop"))

        let bad = try asgard("app", "create", "bad-name", "--owner", "o", "--email", "o@example.com")
        #expect(bad.status == 1)
        #expect(bad.stderr == "error: name: at most 28 characters of a-z, 0-9, '.' and '_'\n")
        let missing = try asgard("app", "show", "ghost")
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("error: Application 'ghost' not found"))

        let unforced = try asgard("app", "delete", "shop")
        #expect(unforced.status == 1)
        #expect(unforced.stderr.contains("--force"))
        let deleted = try asgard("app", "delete", "shop", "--force")
        #expect(deleted.status == 0)
        #expect(deleted.stdout == "Deleted application shop (task 4)\n")

        let tasks = try asgard("task", "list")
        #expect(tasks.status == 0)
        #expect(tasks.stdout.contains("Delete application 'shop'"))
        let task = try asgard("task", "show", "2")
        #expect(task.stdout.contains("Created application 'shop'"))
        let badTask = try asgard("task", "list", "--status", "done")
        #expect(badTask.status == 1)
        #expect(badTask.stderr.hasPrefix("error: status: 'done' is not one of running"))

        // The server's pointers to its pages come out as the commands that show the same.
        let noGroup = try asgard("asg", "show", "nope-v000")
        #expect(noGroup.status == 1)
        #expect(noGroup.stderr.contains("see `asgard asg list`"), "\(noGroup.stderr)")

        // Global options come before or after the subcommand alike.
        let before = try await run(Binaries.asgard, ["--server", server.url, "--output", "json", "task", "list"], environment: ["ASGARD_TOKEN": adminToken])
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.stdout.hasPrefix("["))
        let equals = try await run(Binaries.asgard, ["--server=\(server.url)", "app", "list"], environment: ["ASGARD_TOKEN": adminToken])
        #expect(equals.status == 0, "\(equals.stderr)")
    }

    @Test(arguments: [(["ap", "list"], "'ap' is not a command of asgard; did you mean 'app'?"),
                      (["app", "craete", "x"], "'craete' is not a command of asgard app; did you mean 'create'?"),
                      (["deploymnt", "list"], "did you mean 'deployment'")])
    func aMistypedCommandGetsASuggestion(_ arguments: [String], _ expected: String) throws {
        let result = try runBlocking(Binaries.asgard, arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains(expected), "\(result.stderr)")
    }

    @Test func saysSoWhenNoServerAnswers() throws {
        let result = try runBlocking(Binaries.asgard, ["app", "list", "--server", "http://127.0.0.1:9"])
        #expect(result.status == 1)
        #expect(result.stderr == "error: No Asgard server answers at http://127.0.0.1:9; start one with `asgard serve` or point --server (or ASGARD_URL) at yours\n")
    }

    @Test(arguments: [["--help"], ["serve", "--help"], ["app", "create", "--help"], ["app", "list", "--help"], ["app", "show", "--help"],
                      ["app", "update", "--help"], ["app", "delete", "--help"], ["task", "list", "--help"], ["task", "show", "--help"],
                      ["login", "--help"], ["logout", "--help"], ["user", "list", "--help"], ["user", "save", "--help"],
                      ["user", "delete", "--help"], ["token", "list", "--help"], ["token", "create", "--help"],
                      ["token", "revoke", "--help"], ["audit", "list", "--help"], ["image", "register", "--help"],
                      ["image", "list", "--help"], ["image", "show", "--help"], ["image", "delete", "--help"],
                      ["asg", "create", "--help"], ["asg", "list", "--help"], ["asg", "show", "--help"], ["asg", "resize", "--help"],
                      ["asg", "update", "--help"], ["asg", "delete", "--help"], ["instance", "list", "--help"],
                      ["instance", "show", "--help"], ["instance", "terminate", "--help"], ["instance", "reboot", "--help"],
                      ["instance", "console", "--help"], ["cluster", "list", "--help"], ["cluster", "show", "--help"]])
    func everyCommandsHelpHasAnExample(_ arguments: [String]) throws {
        let result = try runBlocking(Binaries.asgard, arguments)
        #expect(result.status == 0)
        #expect(result.stdout.contains("Example:"))
        #expect(result.stdout.contains("asgard "))
    }
}
