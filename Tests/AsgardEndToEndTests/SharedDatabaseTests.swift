import AsgardAPI
import AsgardCore
import AsgardTestSupport
import Foundation
import Testing

/// Consoles on a real PostgreSQL server and a real moto: the state lives in the database, not
/// the data directory; a killed console's deployment is taken over once its lease expires; an
/// outage answers 503 and deployments wait it out; the local cloud is refused.
@Suite("A console on PostgreSQL", .serialized, .heavy)
struct SharedDatabaseTests {
    func config(_ scratch: Scratch, moto: MotoServer, local: Bool = false) throws -> String {
        let path = scratch.path + "/asgard-\(UUID().uuidString.prefix(6)).yaml"
        try """
            accounts:
            \(local ? "  - name: local\n    provider: local\n    regions: [local]\n" : "")  - name: test
                provider: aws
                regions: [us-east-1]
                endpoint: \(moto.url.absoluteString)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func console(_ scratch: Scratch, _ name: String, config: String, database: String, untilExit: Bool = false) async throws -> ServerProcess {
        try await ServerProcess(dataDir: scratch.path + "/" + name, extraArguments: ["--config", config, "--database-url", database],
                                environment: ["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": AWSProviderTests.secret, "AWS_PROFILE": ""],
                                untilExit: untilExit)
    }

    func log(_ server: ServerProcess) -> String { (try? String(contentsOfFile: server.logPath, encoding: .utf8)) ?? "" }

    @Test func twoConsolesShareTheStateAndOneFinishesTheDeploymentOfAKilledOne() async throws {
        let postgres = try await PostgresServer()
        defer { postgres.stop() }
        let moto = try await MotoServer()
        defer { moto.stop() }
        let scratch = try Scratch("shared-db")
        defer { scratch.remove() }
        let images = try await AWSProviderTests.boto3(moto, "images", "shop-1.0.0-h1", "shop-1.1.0-h2") as? [String] ?? []
        try #require(images.count == 2)
        let config = try config(scratch, moto: moto)

        let first = try await console(scratch, "a", config: config, database: postgres.url)
        defer { first.stop() }
        #expect(log(first).contains("(data in postgres://asgard:***@127.0.0.1:\(postgres.port)/asgard?sslmode=disable)"), "\(log(first))")
        let second = try await console(scratch, "b", config: config, database: postgres.url)
        defer { second.stop() }
        let replicas = try APIJSON.decoder().decode([ReplicaJSON].self, from: try await HTTP.get(second.url + "/server/replicas.json").body)
        #expect(replicas.count == 2 && replicas.allSatisfy(\.alive) && replicas.first?.current == true, "\(replicas)")
        #expect(replicas.allSatisfy { $0.holds.allSatisfy { !$0.hasPrefix("task ") } }, "no task runs yet: \(replicas)")
        let home = try await HTTP.get(first.url + "/", accept: "text/html")
        #expect(home.text.contains("id=\"replicas-line\"") && home.text.contains("2 consoles on this database"), "\(home.text)")
        #expect(!log(second).contains(postgres.password) && !log(first).contains(postgres.password))

        // What is made through one console shows through the other.
        let asgard = CLI(first)
        #expect(try await asgard.nonBlocking("app", "create", "shop", "--owner", "Shop team", "--email", "shop@example.com").status == 0)
        #expect(try await asgard.nonBlocking("lb", "create", "shop-prod", "--port", "7001", "--region", "us-east-1").status == 0)
        // The second console has read the region already; the group made through the first shows
        // in its reads within a second of the call's return.
        #expect(try await HTTP.get(second.url + "/us-east-1/autoScaling/list.json").status == 200)
        let created = try await asgard.nonBlocking("asg", "create", "shop", "--stack", "prod", "--image", images[0], "--desired", "1",
                                                   "--load-balancer", "shop-prod", "--region", "us-east-1")
        #expect(created.status == 0, "\(created)")
        let returned = ContinuousClock.now
        try await waitUntil("the second console to show the group made through the first", seconds: 5) {
            try await HTTP.get(second.url + "/us-east-1/autoScaling/list.json").text.contains("shop-prod-v000")
        }
        let seenAfter = ContinuousClock.now - returned
        print("A group made through one console showed in the other's reads \(seenAfter) after the call returned")
        #expect(seenAfter < .seconds(1), "took \(seenAfter)")
        let deployed = try await asgard.nonBlocking("deploy", "shop-prod", "--image", images[1], "--desired", "1", "--region", "us-east-1", "--wait")
        #expect(deployed.status == 0 && deployed.stdout.contains("succeeded"), "\(deployed)")
        let apps = try APIJSON.decoder().decode([AppRecord].self, from: try await HTTP.get(second.url + "/application/list.json").body)
        #expect(apps.map(\.name.rawValue) == ["shop"])
        let deployments = try APIJSON.decoder().decode([DeploymentJSON].self, from: try await HTTP.get(second.url + "/deployment/list.json").body)
        #expect(deployments.first?.status == .succeeded && deployments.first?.newGroup == "shop-prod-v001", "\(deployments)")
        let audit = try await HTTP.get(second.url + "/audit/list.json")
        #expect(audit.status == 200 && audit.text.contains("POST /application/save"), "the audit log is shared too")
        // One browser, either console: sessions and CSRF secrets live in the database.
        let user = try await HTTP.postForm(first.url + "/user/save", [("name", "ann"), ("password", "correct horse battery"), ("roles", "admin")])
        #expect(user.status == 201, "\(user.text)")
        let script = Binaries.packageRoot.appendingPathComponent("Tests/browser/shared_session.py").path
        let browser = try await runWithoutBlocking("/usr/bin/env", ["python3", script, first.url, second.url, "ann", "correct horse battery"])
        #expect(browser.status == 0 && browser.stdout.contains("PASS signing out on one console signs out of both"), "\(browser.stdout)\n\(browser.stderr)")

        // A deployment waits for a judgment when its console is killed: its lease runs out, and
        // the other console takes it over within the lease time and a poll, and finishes it.
        let document = #"{"cluster": "shop-prod", "imageId": "\#(images[0])", "strategy": "custom", "capacity": {"min": 1, "desired": 1, "max": 1}, "steps": [{"type": "createGroup"}, {"type": "judgment", "minutes": 30}, {"type": "disableGroup", "target": "previous"}]}"#
        let started = try await HTTP.postJSON(first.url + "/us-east-1/deployment/start", Data(document.utf8))
        #expect(started.status == 202, "\(started.text)")
        let id = try APIJSON.decoder().decode(TaskAccepted.self, from: started.body).taskId.rawValue
        try await waitUntil("the deployment to wait for its judgment", seconds: 60) {
            try APIJSON.decoder().decode(DeploymentJSON.self, from: try await HTTP.get(second.url + "/deployment/show/\(id).json").body).status == .waiting
        }
        try await waitUntil("the first console to show it holds the deployment", seconds: 10) {
            let seen = try APIJSON.decoder().decode([ReplicaJSON].self, from: try await HTTP.get(second.url + "/server/replicas.json").body)
            return seen.first { !$0.current }?.holds.contains("task \(id) (epoch 1)") == true
        }
        first.crash()
        let killed = ContinuousClock.now
        var last: DeploymentJSON?
        try await waitUntil("the second console to take the deployment over", seconds: 30) {
            last = try APIJSON.decoder().decode(DeploymentJSON.self, from: try await HTTP.get(second.url + "/deployment/show/\(id).json").body)
            return last?.log?.contains { $0.message.hasPrefix("Taken over from a console that stopped") } == true
        }
        let takeover = ContinuousClock.now - killed
        print("Deployment \(id) was taken over \(takeover) after kill -9 of its console")
        #expect(takeover < .seconds(12), "took \(takeover)")
        #expect(last?.status == .waiting, "it waits for its judgment again: \(last?.log?.map(\.message) ?? [])")
        let proceed = try await HTTP.postForm(second.url + "/deployment/proceed", [("id", String(id))])
        #expect(proceed.status == 200, "\(proceed.text)")
        try? await waitUntil("the deployment to finish on the console that took over", seconds: 60) {
            last = try APIJSON.decoder().decode(DeploymentJSON.self, from: try await HTTP.get(second.url + "/deployment/show/\(id).json").body)
            return last?.status.isFinished == true
        }
        #expect(last?.status == .succeeded && last?.newGroup == "shop-prod-v002", "\(last?.log?.map(\.message) ?? []) \(log(second))")
        let seen = try APIJSON.decoder().decode([ReplicaJSON].self, from: try await HTTP.get(second.url + "/server/replicas.json").body)
        #expect(seen.count == 2 && seen.filter(\.alive).map(\.current) == [true], "the killed console is no longer alive: \(seen)")
        let aws = try await AWSProviderTests.state(moto)
        #expect(aws.groups.keys.sorted() == ["shop-prod-v000", "shop-prod-v001", "shop-prod-v002"], "each group created once: \(aws.groups.keys)")
        #expect(aws.running == 3, "one instance per group: \(aws.running)")

        // No zombies: a task left running with no owner (as a crash of an older version leaves it)
        // is ended by a console within a lease time, and frees its cluster.
        try await postgres.psql("""
            INSERT INTO task (operation, object_type, object_id, user_name, region, status, start_time, update_time)
            VALUES ('Roll back shop-prod to shop-prod-v001', 'cluster', 'shop-prod', 'admin', 'us-east-1', 'running', 0, 0)
            """)
        let zombies = try APIJSON.decoder().decode([TaskJSON].self, from: try await HTTP.get(second.url + "/task/list.json?objectType=cluster&objectId=shop-prod").body)
        let zombie = try #require(zombies.first { $0.operation == "Roll back shop-prod to shop-prod-v001" })
        let inserted = ContinuousClock.now
        var ended: TaskJSON?
        try await waitUntil("the ownerless task to be ended", seconds: 20) {
            ended = try APIJSON.decoder().decode(TaskJSON.self, from: try await HTTP.get(second.url + "/task/show/\(zombie.id).json").body)
            return ended?.status.isFinished == true
        }
        print("An ownerless running task was ended \(ContinuousClock.now - inserted) after it appeared")
        #expect(ended?.status == .failed && ended?.log?.last?.message.hasPrefix("Interrupted by the stop of the console that ran it") == true,
                "\(ended?.log?.map(\.message) ?? [])")
    }

    @Test func aDatabaseOutageAnswers503AndADeploymentWaitsItOut() async throws {
        let postgres = try await PostgresServer()
        defer { postgres.stop() }
        let moto = try await MotoServer()
        defer { moto.stop() }
        let scratch = try Scratch("shared-db-outage")
        defer { scratch.remove() }
        let images = try await AWSProviderTests.boto3(moto, "images", "shop-1.0.0-h1", "shop-1.1.0-h2") as? [String] ?? []
        try #require(images.count == 2)
        let server = try await console(scratch, "a", config: try config(scratch, moto: moto), database: postgres.url)
        defer { server.stop() }
        let asgard = CLI(server)
        #expect(try await asgard.nonBlocking("app", "create", "shop", "--owner", "Shop team", "--email", "shop@example.com").status == 0)
        #expect(try await asgard.nonBlocking("lb", "create", "shop-prod", "--port", "7001", "--region", "us-east-1").status == 0)
        #expect(try await asgard.nonBlocking("asg", "create", "shop", "--stack", "prod", "--image", images[0], "--desired", "1",
                                             "--load-balancer", "shop-prod", "--region", "us-east-1").status == 0)
        let document = #"{"cluster": "shop-prod", "imageId": "\#(images[1])", "strategy": "custom", "capacity": {"min": 1, "desired": 1, "max": 1}, "steps": [{"type": "createGroup"}, {"type": "judgment", "minutes": 30}, {"type": "disableGroup", "target": "previous"}]}"#
        let started = try await HTTP.postJSON(server.url + "/us-east-1/deployment/start", Data(document.utf8))
        #expect(started.status == 202, "\(started.text)")
        let id = try APIJSON.decoder().decode(TaskAccepted.self, from: started.body).taskId.rawValue
        try await waitUntil("the deployment to wait for its judgment", seconds: 60) {
            try APIJSON.decoder().decode(DeploymentJSON.self, from: try await HTTP.get(server.url + "/deployment/show/\(id).json").body).status == .waiting
        }

        try await postgres.halt()
        let asked = ContinuousClock.now
        let away = try await HTTP.get(server.url + "/application/list.json")
        #expect(away.status == 503 && away.text.contains("\"code\" : \"databaseUnavailable\""), "\(away.text)")
        #expect(ContinuousClock.now - asked < .seconds(8), "a 503 comes fast, not after a hang")
        #expect(!away.text.contains(postgres.password))
        let health = try await HTTP.get(server.url + "/healthcheck", accept: "*/*", token: nil)
        #expect(health.status == 503 && health.text.contains("unhealthy: the database postgres://asgard:***@127.0.0.1:\(postgres.port)/asgard"), "\(health.text)")
        // Past the lease's length the console says so and keeps running.
        try await waitUntil("the console to notice it cannot renew its leases", seconds: 30) { log(server).contains("Cannot renew this console's leases") }
        #expect(server.process.isRunning)

        try await postgres.resume()
        try await waitUntil("the console to answer again", seconds: 30) {
            try await HTTP.get(server.url + "/healthcheck", accept: "*/*", token: nil).status == 200
        }
        let proceed = try await HTTP.postForm(server.url + "/deployment/proceed", [("id", String(id))])
        #expect(proceed.status == 200, "\(proceed.text)")
        var last: DeploymentJSON?
        try await waitUntil("the deployment to finish after the outage", seconds: 60) {
            last = try APIJSON.decoder().decode(DeploymentJSON.self, from: try await HTTP.get(server.url + "/deployment/show/\(id).json").body)
            return last?.status.isFinished == true
        }
        #expect(last?.status == .succeeded, "\(last?.log?.map(\.message) ?? [])")
        #expect(server.process.isRunning, "no restart was needed")
    }

    @Test func theLocalCloudAndABadURLAreRefusedAtStart() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let scratch = try Scratch("shared-db-refused")
        defer { scratch.remove() }
        let withLocal = try await console(scratch, "a", config: try config(scratch, moto: moto, local: true),
                                          database: "postgres://asgard:hidden-pw@127.0.0.1:1/asgard", untilExit: true)
        #expect(log(withLocal).contains("is a local account: the local cloud is a single-host sandbox"), "\(log(withLocal))")
        #expect(!log(withLocal).contains("hidden-pw"))
        let bad = try await console(scratch, "b", config: try config(scratch, moto: moto), database: "mysql://x@h/db", untilExit: true)
        #expect(log(bad).contains("error: --database-url must start with postgres://"), "\(log(bad))")
        let away = try await console(scratch, "c", config: try config(scratch, moto: moto),
                                     database: "postgres://asgard:hidden-pw@127.0.0.1:\(try FreePort().port)/asgard?sslmode=disable", untilExit: true)
        #expect(log(away).contains("Cannot use the database postgres://asgard:***@127.0.0.1:") && !log(away).contains("hidden-pw"), "\(log(away))")
    }
}
