import AsyncHTTPClient
import AsgardAPI
import AsgardCore
import Foundation
import Testing

@Suite("Durability across kill -9", .serialized)
struct DurabilityTests {
    @Test func committedChangesSurviveAKillAndRestart() async throws {
        let scratch = try Scratch("durability")
        defer { scratch.remove() }
        let data = scratch.path + "/data"

        let first = try await ServerProcess(dataDir: data)
        var expected: [String: String] = [:]
        for i in 0..<30 {
            let name = "app\(i)"
            let reply = try await HTTP.postForm(first.url + "/application/save", [("name", name), ("owner", "owner\(i)"), ("email", "t\(i)@example.com")])
            #expect(reply.status == 201, "\(reply.text)")
            expected[name] = "owner\(i)"
        }
        let updated = try await HTTP.postForm(first.url + "/application/update", [("name", "app7"), ("owner", "changed")])
        #expect(updated.status == 200)
        expected["app7"] = "changed"
        let deleted = try await HTTP.postForm(first.url + "/application/delete", [("name", "app9")])
        #expect(deleted.status == 200)
        expected["app9"] = nil
        // The last change was answered: it is committed. Crash now, without any shutdown.
        first.crash()
        #expect(first.process.terminationReason == .uncaughtSignal)

        let second = try await ServerProcess(dataDir: data)
        defer { second.stop() }
        let apps = try APIJSON.decoder().decode([AppRecord].self, from: try await HTTP.get(second.url + "/application/list.json").body)
        #expect(Dictionary(uniqueKeysWithValues: apps.map { ($0.name.rawValue, $0.owner) }) == expected)
        let tasks = try await HTTP.get(second.url + "/task/list.json?limit=1000")
        let records = try APIJSON.decoder().decode([TaskJSON].self, from: tasks.body)
        #expect(records.count == 33)  // with the admin's creation
        #expect(records.first?.operation == "Delete application 'app9'")
        let log = try APIJSON.decoder().decode(TaskJSON.self, from: try await HTTP.get(second.url + "/task/show/32.json").body)
        #expect(log.log?.last?.message == "Updated application 'app7'")
        // New work continues numbering after the crash.
        let more = try await HTTP.postForm(second.url + "/application/save", [("name", "after"), ("owner", "o"), ("email", "o@example.com")])
        #expect(more.status == 201)
        let task = try await HTTP.get(second.url + "/task/list.json?limit=1")
        #expect(try APIJSON.decoder().decode([TaskJSON].self, from: task.body).first?.id == TaskID(34))
    }

    @Test func aBadConfigFileStopsTheServerNamingFileLineAndKey() async throws {
        let scratch = try Scratch("config")
        defer { scratch.remove() }
        let config = scratch.path + "/asgard.yaml"
        try "port: 8080\nhost: 127.0.0.1\nprot: 9000\n".write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await run(Binaries.asgard, ["serve", "--config", config, "--data-dir", scratch.path + "/data"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(config):3: prot: is not a known key"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/data"))

        try "port: 0\naccounts:\n  - name: local\n    regions: [local, lab]\n".write(toFile: config, atomically: true, encoding: .utf8)
        let server = try await ServerProcess(dataDir: scratch.path + "/data", extraArguments: ["--config", config])
        defer { server.stop() }
        let lab = try await HTTP.get(server.url + "/lab/cluster/list.json")
        #expect(lab.status == 200)
    }

    @Test func createsTheDataDirectoryWhereItRuns() async throws {
        let scratch = try Scratch("datadir")
        defer { scratch.remove() }
        let nested = scratch.path + "/a/b/c"
        let server = try await ServerProcess(dataDir: nested)
        defer { server.stop() }
        #expect(FileManager.default.fileExists(atPath: nested + "/asgard.sqlite"))
        let health = try await HTTP.get(server.url + "/healthcheck", accept: "*/*")
        #expect(health.status == 200)
    }
}

@Suite("Starting the server", .serialized)
struct StartingTests {
    @Test func theServerStopsPromptlyWhileSomeoneFollowsATaskThatWaitsForAJudgment() async throws {
        let scratch = try Scratch("stop-following")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let custom = CustomDeploymentTests()
        let (_, v2, _) = try await custom.shopOnVersion1(server)
        let id = try await custom.start(server, ["imageId": v2, "strategy": "custom", "capacity": ["min": 1, "desired": 2, "max": 4],
                                                 "steps": CustomDeploymentTests.canarySteps])
        try await waitUntil("the judgment") {
            (try JSONSerialization.jsonObject(with: try await HTTP.get(server.url + "/task/show/\(id).json").body) as? [String: Any])?["status"] as? String == "waiting"
        }
        // A follower whose stream is open (its headers came) while nothing happens.
        var request = HTTPClientRequest(url: server.url + "/task/follow/\(id)")
        request.headers.add(name: "Authorization", value: "Bearer \(adminToken)")
        let stream = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        #expect(stream.status == .ok)
        server.process.interrupt()
        do {
            try await waitUntil("the server to stop with a follower connected", seconds: 15) { !server.process.isRunning }
        } catch {
            kill(server.process.processIdentifier, SIGKILL)  // so that the test ends, failed
            throw error
        }
        #expect(server.process.terminationStatus == 0, "a clean stop: \(server.log.suffix(500))")
    }

    @Test func aBusyPortIsReportedInOneLineBeforeAnythingIsCreated() async throws {
        let scratch = try Scratch("busy")
        defer { scratch.remove() }
        let first = try await ServerProcess(dataDir: scratch.path + "/one")
        defer { first.stop() }
        let port = String(first.url.split(separator: ":").last!)
        let second = try await run(Binaries.asgard, ["serve", "--port", port, "--data-dir", scratch.path + "/two"])
        #expect(second.status == 1)
        #expect(second.stderr == "error: cannot listen on 127.0.0.1:\(port): the address is already in use (another asgard serve?); choose another with --port\n")
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/two"))
        // The data directory and the database are private to the server's user.
        let dirMode = (try FileManager.default.attributesOfItem(atPath: scratch.path + "/one")[.posixPermissions] as? NSNumber)?.intValue
        let dbMode = (try FileManager.default.attributesOfItem(atPath: scratch.path + "/one/asgard.sqlite")[.posixPermissions] as? NSNumber)?.intValue
        #expect(dirMode == 0o700)
        #expect(dbMode == 0o600)
    }
}
