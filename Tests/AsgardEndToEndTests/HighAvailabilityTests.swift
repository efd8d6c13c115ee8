import AsgardAPI
import AsgardCore
import AsgardTestSupport
import Foundation
import Synchronization
import Testing

/// Three consoles on one real PostgreSQL, in front of a real moto behind a counting proxy: a
/// killed console's red/black, rolling push and canary each finish on another console, once; a
/// paused console is fenced off; a decision sent to any console reaches the owner at once.
@Suite("Three consoles on one database", .serialized, .heavy)
struct HighAvailabilityTests {
    /// PostgreSQL, moto, the proxy that counts AWS calls and the consoles' configuration.
    final class Site: @unchecked Sendable {
        let postgres: PostgresServer
        let moto: MotoServer
        let scratch: Scratch
        let proxy = Process()
        let proxyPort: Int
        let config: String
        private let started = Mutex(0)
        /// Every console started, to stop those a failing test leaves running.
        private let consoles = Mutex<[ServerProcess]>([])

        init(_ name: String, extra: String = "") async throws {
            postgres = try await PostgresServer()
            moto = try await MotoServer()
            scratch = try Scratch(name)
            proxyPort = try FreePort().port
            proxy.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            proxy.arguments = ["python3", Binaries.packageRoot.appendingPathComponent("Tests/aws/fault_proxy.py").path, String(proxyPort),
                               moto.url.absoluteString, "0", "1", "count"]
            proxy.standardOutput = FileHandle.nullDevice
            try proxy.run()
            config = scratch.path + "/asgard.yaml"
            try """
                accounts:
                  - name: test
                    provider: aws
                    regions: [us-east-1]
                    endpoint: http://127.0.0.1:\(proxyPort)/
                \(extra)
                """.write(toFile: config, atomically: true, encoding: .utf8)
            let port = proxyPort
            try await waitUntil("the counting proxy to listen") { FreePort.isOpen(port) }
        }

        /// Starts a console on the site's database; `crashAfterStep` makes it kill itself once a
        /// deployment it runs saved that many steps.
        func console(crashAfterStep: Int? = nil) async throws -> ServerProcess {
            let index = started.withLock { count in
                count += 1
                return count
            }
            var environment = ["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": AWSProviderTests.secret, "AWS_PROFILE": ""]
            if let crashAfterStep { environment["ASGARD_FAULT_CRASH_AFTER_STEP"] = String(crashAfterStep) }
            let console = try await ServerProcess(dataDir: scratch.path + "/console-\(index)",
                                                  extraArguments: ["--config", config, "--database-url", postgres.url], environment: environment)
            consoles.withLock { $0.append(console) }
            return console
        }

        /// The AWS calls made so far through the proxy, by action.
        func calls() async throws -> [String: Int] {
            let lines = try await HTTP.get("http://127.0.0.1:\(proxyPort)/faults", token: nil).text.split(separator: "\n")
            var counts: [String: Int] = [:]
            for line in lines {
                if let call = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String], let action = call.first { counts[action, default: 0] += 1 }
            }
            return counts
        }

        /// Ends everything at once (kill -9 for the consoles: a graceful stop of each would hold a
        /// test thread for seconds) and removes it.
        func stop() {
            for console in consoles.withLock({ $0 }) {
                if console.process.isRunning { console.crash() }
                try? FileManager.default.removeItem(atPath: console.logPath)
            }
            kill(proxy.processIdentifier, SIGKILL)
            proxy.waitUntilExit()
            moto.stop()
            postgres.stop()
            scratch.remove()
        }
    }

    static func deployment(_ id: Int64, on server: ServerProcess) async throws -> DeploymentJSON {
        try APIJSON.decoder().decode(DeploymentJSON.self, from: try await HTTP.get(server.url + "/deployment/show/\(id).json").body)
    }

    /// Starts a deployment through the CLI of `server`, without waiting for it; answers its id.
    static func start(_ server: ServerProcess, _ args: String...) async throws -> Int64 {
        let started = try await CLI(server).nonBlocking(arguments: ["deploy"] + args + ["--region", "us-east-1"])
        let id = started.stdout.split(separator: " ").dropFirst(2).first.flatMap { Int64($0) }
        guard started.status == 0, let id else { throw E2EError("deploy \(args) did not start: \(started)") }
        return id
    }

    /// Waits until a console other than the dead one logs that it took deployment `id` over;
    /// answers how long that took from `since`.
    static func takeover(of id: Int64, on server: ServerProcess, since: ContinuousClock.Instant) async throws -> Duration {
        try await waitUntil("deployment \(id) to be taken over", seconds: 40) {
            try await deployment(id, on: server).log?.contains { $0.message.hasPrefix("Taken over from a console that stopped") } == true
        }
        return ContinuousClock.now - since
    }

    /// Waits until deployment `id` ends and answers it.
    static func end(of id: Int64, on server: ServerProcess, seconds: Double = 120) async throws -> DeploymentJSON {
        var last: DeploymentJSON?
        try? await waitUntil("deployment \(id) to end", seconds: seconds) {
            last = try await deployment(id, on: server)
            return last?.status.isFinished == true
        }
        return try #require(last)
    }

    @Test func theRedBlackRollingPushAndCanaryOfAKilledConsoleEachFinishOnAnotherOnce() async throws {
        let site = try await Site("ha-takeover")
        defer { site.stop() }
        let images = try await AWSProviderTests.boto3(site.moto, "images", "shop-1.0.0-h1", "shop-1.1.0-h2", "shop-1.2.0-h3", "shop-1.3.0-h4") as? [String] ?? []
        try #require(images.count == 4)
        let b = try await site.console(), c = try await site.console()
        let asgard = CLI(b)
        #expect(try await asgard.nonBlocking("app", "create", "shop", "--owner", "Shop team", "--email", "shop@example.com").status == 0)
        #expect(try await asgard.nonBlocking("lb", "create", "shop-prod", "--port", "7001", "--region", "us-east-1").status == 0)
        #expect(try await asgard.nonBlocking("lb", "create", "shop-web", "--port", "80", "--type", "application", "--region", "us-east-1").status == 0)
        for (stack, balancer) in [("prod", "shop-prod"), ("web", "shop-web")] {
            let created = try await asgard.nonBlocking("asg", "create", "shop", "--stack", stack, "--image", images[0], "--desired", "2",
                                                       "--load-balancer", balancer, "--region", "us-east-1")
            #expect(created.status == 0, "\(created)")
        }
        var takeovers: [Duration] = []

        // Red/black: its console dies once the new group is created.
        var a = try await site.console(crashAfterStep: 1)
        let redBlack = try await Self.start(a, "shop-prod", "--image", images[1], "--desired", "2")
        try await a.waitForExit()
        takeovers.append(try await Self.takeover(of: redBlack, on: b, since: .now))
        let redBlackEnd = try await Self.end(of: redBlack, on: c)
        #expect(redBlackEnd.status == .succeeded && redBlackEnd.newGroup == "shop-prod-v001", "\(redBlackEnd.log?.map(\.message) ?? [])")

        // Rolling push: its console dies once the group has the new image.
        a = try await site.console(crashAfterStep: 1)
        let rolling = try await Self.start(a, "shop-prod", "--image", images[2], "--strategy", "rolling", "--desired", "2")
        try await a.waitForExit()
        takeovers.append(try await Self.takeover(of: rolling, on: c, since: .now))
        let rollingEnd = try await Self.end(of: rolling, on: b)
        #expect(rollingEnd.status == .succeeded && rollingEnd.newGroup == "shop-prod-v001", "\(rollingEnd.log?.map(\.message) ?? [])")

        // Canary: its console dies after the first analysis; the canary's figures keep coming.
        a = try await site.console(crashAfterStep: 3)
        async let pushed = AWSProviderTests.boto3(site.moto, "push", "shop-web", "shop-web-v001", "pass", "120")
        let canary = try await Self.start(a, "shop-web", "--image", images[3], "--strategy", "canary", "--steps", "50,100",
                                          "--analysis-seconds", "4", "--interval-seconds", "2", "--desired", "2")
        try await a.waitForExit()
        takeovers.append(try await Self.takeover(of: canary, on: b, since: .now))
        let canaryEnd = try await Self.end(of: canary, on: c)
        #expect(canaryEnd.status == .succeeded && canaryEnd.newGroup == "shop-web-v001", "\(canaryEnd.log?.map(\.message) ?? [])")
        _ = try await pushed

        print("Takeover after kill -9 of the owning console: \(takeovers.map { String(format: "%.1f s", Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18) })")
        #expect(takeovers.allSatisfy { $0 < .seconds(12) }, "\(takeovers)")
        for id in [redBlack, rolling, canary] {
            let log = try await Self.deployment(id, on: b).log?.map(\.message) ?? []
            #expect(log.filter { $0.hasPrefix("Taken over from a console that stopped") }.count == 1, "taken over once: \(log)")
            #expect(log.filter { $0.hasPrefix("Deployment finished") }.count == 1, "finished once: \(log)")
        }
        // Each group was created once, with its instances once.
        let aws = try await AWSProviderTests.state(site.moto)
        #expect(aws.groups.keys.sorted() == ["shop-prod-v000", "shop-prod-v001", "shop-web-v000", "shop-web-v001"], "\(aws.groups.keys)")
        let calls = try await site.calls()
        #expect(calls["CreateAutoScalingGroup"] == 4, "\(calls)")
        let instances = aws.groups.values.map { ($0["instances"] as? [String])?.count ?? 0 }
        #expect(aws.running == instances.reduce(0, +), "no instance left over: \(aws.running) running, \(instances) in groups")
    }

    @Test func aPausedConsoleIsFencedOffAndADecisionReachesTheOwnerFromAnyConsole() async throws {
        let site = try await Site("ha-fencing")
        defer { site.stop() }
        let images = try await AWSProviderTests.boto3(site.moto, "images", "shop-1.0.0-h1", "shop-1.1.0-h2") as? [String] ?? []
        try #require(images.count == 2)
        let a = try await site.console(), b = try await site.console(), c = try await site.console()
        let asgard = CLI(a)
        #expect(try await asgard.nonBlocking("app", "create", "shop", "--owner", "Shop team", "--email", "shop@example.com").status == 0)
        #expect(try await asgard.nonBlocking("lb", "create", "shop-prod", "--port", "7001", "--region", "us-east-1").status == 0)
        #expect(try await asgard.nonBlocking("asg", "create", "shop", "--stack", "prod", "--image", images[0], "--desired", "1",
                                             "--load-balancer", "shop-prod", "--region", "us-east-1").status == 0)
        let document = #"{"cluster": "shop-prod", "imageId": "\#(images[1])", "strategy": "custom", "capacity": {"min": 1, "desired": 1, "max": 1}, "steps": [{"type": "createGroup"}, {"type": "judgment", "minutes": 30}, {"type": "wait", "seconds": 4}, {"type": "disableGroup", "target": "previous"}]}"#
        let started = try await HTTP.postJSON(a.url + "/us-east-1/deployment/start", Data(document.utf8))
        #expect(started.status == 202, "\(started.text)")
        let id = try APIJSON.decoder().decode(TaskAccepted.self, from: started.body).taskId.rawValue
        try await waitUntil("the deployment to wait for its judgment", seconds: 60) { try await Self.deployment(id, on: c).status == .waiting }

        // A proceed sent to a console that does not run the deployment reaches its owner at once.
        let sent = ContinuousClock.now
        let proceed = try await HTTP.postForm(b.url + "/deployment/proceed", [("id", String(id))])
        #expect(proceed.status == 200, "\(proceed.text)")
        try await waitUntil("the owner to take the proceed", seconds: 10) {
            try await Self.deployment(id, on: c).log?.contains { $0.message.hasPrefix("Judgment: admin decided to proceed") } == true
        }
        let reached = ContinuousClock.now - sent
        print("A proceed sent to another console reached the owner in \(reached)")
        #expect(reached < .seconds(1), "took \(reached)")

        // The owner is paused in its wait, past its lease: another console takes the deployment
        // over and finishes it; when the paused one wakes it writes nothing more.
        kill(a.process.processIdentifier, SIGSTOP)
        let paused = ContinuousClock.now
        let takeover = try await Self.takeover(of: id, on: b, since: paused)
        let end = try await Self.end(of: id, on: c)
        #expect(end.status == .succeeded && end.newGroup == "shop-prod-v001", "\(end.log?.map(\.message) ?? [])")
        try await Task.sleep(until: paused + .seconds(15))
        kill(a.process.processIdentifier, SIGCONT)
        try await waitUntil("the paused console to stop running the deployment it lost", seconds: 20) {
            a.log.contains("Another console took over tasks \(id)") || a.log.contains("Stopped a deployment another console took over")
        }
        print("Taken over \(takeover) after the owner was paused")
        #expect(takeover < .seconds(12))
        let after = try await Self.deployment(id, on: b)
        let log = after.log?.map(\.message) ?? []
        #expect(after.status == .succeeded && log.last?.hasPrefix("Deployment finished") == true, "nothing written after the end: \(log)")
        #expect(log.filter { $0.hasPrefix("Deployment finished") }.count == 1 && log.filter { $0.hasPrefix("Disabled") }.count <= 1, "\(log)")
        #expect(try await site.calls()["CreateAutoScalingGroup"] == 2)
        let replicas = try APIJSON.decoder().decode([ReplicaJSON].self, from: try await HTTP.get(a.url + "/server/replicas.json").body)
        #expect(replicas.filter(\.alive).count == 3 && replicas.allSatisfy { !$0.holds.contains { $0.hasPrefix("task \(id) ") } }, "\(replicas)")
    }

    @Test func oneConsoleReadsTheRegionPerIntervalAndEveryConsoleSeesWhatChangedOutside() async throws {
        let interval = 3.0
        let site = try await Site("ha-refresh", extra: "aws:\n  cacheRefreshSeconds: \(Int(interval))")
        defer { site.stop() }
        // Started together on an empty database: they migrate once and create one admin.
        async let first = site.console(), second = site.console(), third = site.console()
        let consoles = try await [first, second, third]
        #expect(try await HTTP.get(consoles[2].url + "/user/list.json").text.components(separatedBy: "\"name\"").count == 2, "one user, the admin")
        /// The consoles holding the region's refresh lease, as the first live one lists them.
        func readers() async throws -> [ReplicaJSON] {
            let alive = consoles.first { $0.process.isRunning } ?? consoles[0]
            return try APIJSON.decoder().decode([ReplicaJSON].self, from: try await HTTP.get(alive.url + "/server/replicas.json").body)
                .filter { $0.alive && $0.holds.contains { $0.hasPrefix("refresh:test/us-east-1 ") } }
        }
        try await waitUntil("one console to hold the region's refresh", seconds: 20) { try await readers().count == 1 }

        // Idle consoles: the whole region (DescribeInstances without ids) is read once per interval, not once per console.
        let window = 4 * interval
        let before = try await site.calls()["DescribeInstances", default: 0]
        let opened = ContinuousClock.now
        try await Task.sleep(until: opened + .seconds(window))
        let reads = try await site.calls()["DescribeInstances", default: 0] - before
        print("Whole-region reads by three consoles in \(window) s with a \(interval) s interval: \(reads)")
        #expect(reads >= 3 && reads <= 5, "\(reads) reads")

        // A group made outside the console shows in every console's reads within the interval (and a look).
        _ = try await AWSProviderTests.boto3(site.moto, "fleet", "1", "1", "outside")
        let made = ContinuousClock.now
        for console in consoles {
            try await waitUntil("every console to show the group made outside", seconds: interval + 5) {
                try await HTTP.get(console.url + "/us-east-1/autoScaling/list.json").text.contains("outside-v000")
            }
        }
        let seen = ContinuousClock.now - made
        print("A group made outside showed in all three consoles after \(seen)")
        #expect(seen < .seconds(interval + 2.5))

        // Its reader killed, another console takes the reading over.
        let reader = try #require(try await readers().first)
        let killed = try #require(consoles.first { reader.id.contains(":\($0.process.processIdentifier):") })
        killed.crash()
        try await waitUntil("another console to take the region's refresh over", seconds: 20) {
            try await readers().contains { $0.id != reader.id }
        }
        let after = try await site.calls()["DescribeInstances", default: 0]
        try await waitUntil("the new reader to read the region", seconds: interval + 3) {
            try await site.calls()["DescribeInstances", default: 0] > after
        }
    }
}
