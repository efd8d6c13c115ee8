import AsgardAPI
import AsgardCore
import Foundation
import Testing

/// Custom deployments with judgments, automatic rollbacks, and deployments resumed after a crash
/// at every step, end to end: the real server, sample-app instances behind a real load balancer,
/// and a load of at least 2,000 requests that must not see one failure.
@Suite("Custom deployments and rollbacks", .serialized, .heavy)
struct CustomDeploymentTests {
    let base = DeploymentTests()

    /// Starts a deployment from a JSON document.
    func start(_ server: ServerProcess, _ document: [String: Any]) async throws -> Int64 {
        var full: [String: Any] = ["cluster": "shop-prod"]
        full.merge(document) { _, new in new }
        let reply = try await HTTP.postJSON(server.url + "/local/deployment/start", try JSONSerialization.data(withJSONObject: full))
        #expect(reply.status == 202, "\(reply.text)")
        return try APIJSON.decoder().decode(TaskAccepted.self, from: reply.body).taskId.rawValue
    }

    /// Waits until the deployment ends and answers it.
    func ended(_ server: ServerProcess, _ id: Int64, seconds: Double = 60) async throws -> DeploymentJSON {
        var last: DeploymentJSON?
        try await waitUntil("deployment \(id) to end", seconds: seconds) {
            last = try await base.deployment(server, id)
            return last?.status.isFinished == true
        }
        return try #require(last)
    }

    /// Versions answered by `count` requests through the load balancer.
    func versions(_ port: Int, _ count: Int = 20) async throws -> Set<String> {
        var seen = Set<String>()
        for _ in 0..<count { seen.insert(try await base.version(port)) }
        return seen
    }

    /// Runs `body` under a load through the load balancer at `port`, then goes on until at least
    /// `minimum` requests succeeded, and expects that none failed.
    func underLoad<T: Sendable>(_ port: Int, minimum: Int = 2_000, _ body: @Sendable (Load) async throws -> T) async throws -> T {
        let (load, value) = try await Load.during("http://127.0.0.1:\(port)/") { load in
            // A machine busy with the other suites may need a while for the first 200 answers.
            do {
                try await waitUntil("traffic before the deployment", seconds: 120) { load.ok > 200 }
            } catch {
                Issue.record("only \(load.ok) answers, \(load.failures.count) failed, e.g. \(load.failures.prefix(2))")
                throw error
            }
            let value = try await body(load)
            try await waitUntil("\(minimum) requests", seconds: 120) { load.ok >= minimum }
            return value
        }
        #expect(load.failures.isEmpty, "\(load.failures.count) failed requests, e.g. \(load.failures.prefix(3))")
        #expect(load.ok >= minimum)
        return value
    }

    /// A server with the shop application, versions 1 and 2 of the sample app, its load
    /// balancer, and version 1 deployed with two instances.
    func shopOnVersion1(_ server: ServerProcess) async throws -> (v1: String, v2: String, port: Int) {
        try await registerShop(server)
        let v1 = try await base.registerVersion(server, "1.0.0")
        let v2 = try await base.registerVersion(server, "2.0.0")
        let port = try await LoadBalancerTests().createBalancer(server)
        _ = try await base.finish(server, try await base.start(server, image: v1, strategy: "redBlack", loadBalancers: ["shop-prod"]))
        return (v1, v2, port)
    }

    static var canarySteps: [[String: Any]] {
        [["type": "createGroup"], ["type": "resize", "capacity": 1], ["type": "judgment", "minutes": 5],
         ["type": "resize", "percent": 100], ["type": "disableGroup", "target": "previous"]]
    }

    static var crashSteps: [[String: Any]] {
        [["type": "createGroup"], ["type": "resize", "capacity": 1], ["type": "wait", "seconds": 1],
         ["type": "resize", "percent": 100], ["type": "disableGroup"], ["type": "deleteGroup"]]
    }

    @Test func aCustomDeploymentWaitsForAJudgmentThenProceedsWithoutAFailedRequest() async throws {
        let scratch = try Scratch("custom-proceed")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let hook = try WebhookReceiver(scratch)
        defer { hook.stop() }
        let (_, v2, port) = try await shopOnVersion1(server)
        let cli = CLI(server)
        let configured = try cli("app", "update", "shop", "--webhook-url", hook.url)
        #expect(configured.status == 0, "\(configured.stderr)")
        let refused = try cli("app", "update", "shop", "--webhook-url", "mailto:ops@example.com")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("webhookUrl: 'mailto:ops@example.com' must be an http:// or https:// URL"))

        let done = try await underLoad(port) { load in
            let id = try await start(server, ["imageId": v2, "strategy": "custom", "capacity": ["min": 1, "desired": 2, "max": 4], "steps": Self.canarySteps])
            try await waitUntil("the judgment") { try await base.deployment(server, id).status == .waiting }
            let waiting = try await base.deployment(server, id)
            #expect(waiting.steps.map(\.state) == ["done", "done", "waiting", "pending", "pending"])
            #expect(waiting.steps[1].description == "resize the new group to 1")
            #expect(try await versions(port, 30) == ["1.0.0", "2.0.0"], "the canary serves next to version 1")
            try await waitUntil("the judgmentNeeded event at the application's webhook") { hook.events.contains("judgmentNeeded") }
            let early = try await HTTP.postForm(server.url + "/deployment/proceed", [("id", "999999")])
            #expect(early.status == 404)

            let proceeded = try cli("deployment", "proceed", String(id))
            #expect(proceeded.status == 0, "\(proceeded.stderr)")
            let done = try await ended(server, id)
            let twice = try cli("deployment", "proceed", String(id))
            #expect(twice.status != 0)
            #expect(twice.stderr.contains("has already succeeded"))
            let atEnd = load.ok
            try await waitUntil("traffic after the deployment") { load.ok > atEnd + 200 }
            return done
        }
        #expect(done.status == .succeeded, "\(done.log?.map(\.message) ?? [])")
        #expect(done.log?.contains { $0.message == "Judgment: \(adminName) decided to proceed" } == true)
        #expect(try await versions(port) == ["2.0.0"])
        #expect(try await LocalCloudTests().group(server, "shop-prod-v001").desiredCapacity == 2)
        #expect(try await LocalCloudTests().group(server, "shop-prod-v000").trafficState == "disabled")
        try await waitUntil("the succeeded event") { hook.events.contains("succeeded") }
        #expect(hook.events.starts(with: ["started", "judgmentNeeded"]))
    }

    @Test func aJudgmentAnsweredNoOrNotAnsweredRollsBackWithoutAFailedRequest() async throws {
        let scratch = try Scratch("custom-rollback")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let (_, v2, port) = try await shopOnVersion1(server)

        let answeredNo = try await underLoad(port) { _ in
            let id = try await start(server, ["imageId": v2, "strategy": "custom", "capacity": ["desired": 2], "steps": Self.canarySteps])
            try await waitUntil("the judgment") { try await base.deployment(server, id).status == .waiting }
            // Someone who may only look cannot decide.
            _ = try await HTTP.postForm(server.url + "/user/save", [("name", "watcher"), ("password", "correct horse battery"), ("roles", "viewer")])
            let token = try await HTTP.postForm(server.url + "/token/create", [("name", "watch"), ("user", "watcher")])
            let watcher = try #require((try JSONSerialization.jsonObject(with: token.body) as? [String: Any])?["token"] as? String)
            for path in ["/deployment/proceed", "/deployment/rollback", "/task/cancel"] {
                let refused = try await HTTP.postForm(server.url + path, [("id", String(id))], token: watcher)
                #expect(refused.status == 403, "\(path): \(refused.text)")
            }
            #expect(try await base.deployment(server, id).status == .waiting)
            let reply = try await HTTP.postForm(server.url + "/deployment/rollback", [("id", String(id))])
            #expect(reply.status == 200, "\(reply.text)")
            return try await ended(server, id)
        }
        // Turned down by a person: rolled back, not failed.
        #expect(answeredNo.status == .rolledBack)
        #expect(answeredNo.rollbackReason == "judgment: \(adminName) decided to roll back")
        #expect(answeredNo.steps.map(\.state) == ["done", "done", "rolledBack", "pending", "pending"])
        #expect(try await versions(port) == ["1.0.0"])
        #expect(try await LocalCloudTests().group(server, "shop-prod-v001").trafficState == "disabled", "the new group is kept, disabled")

        // Nobody answers: the judgment's timeout rolls back.
        let timedOut = try await underLoad(port, minimum: 500) { _ in
            let steps: [[String: Any]] = [["type": "createGroup"], ["type": "judgment", "seconds": 2], ["type": "disableGroup"]]
            let id = try await start(server, ["imageId": v2, "strategy": "custom", "capacity": ["desired": 1], "steps": steps])
            return try await ended(server, id)
        }
        #expect(timedOut.status == .failed)
        #expect(timedOut.rollbackReason == "no judgment within 2 seconds")
        #expect(try await versions(port) == ["1.0.0"])
        let groups = try await LocalCloudTests().cluster(server, "shop-prod")
        #expect(groups.filter { $0.trafficState == "enabled" }.map(\.autoScalingGroupName) == ["shop-prod-v000"])
    }

    @Test func aDeploymentThatFailsOrIsCanceledRollsBackByItself() async throws {
        let scratch = try Scratch("auto-rollback")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let (_, v2, port) = try await shopOnVersion1(server)
        let broken = try await base.registerVersion(server, "3.0.0", extra: ["--unhealthy"])

        // From the CLI on a terminal (a pty from script(1)): the steps are drawn in place, and the
        // exit code says the deployment failed and was rolled back.
        let failed = try await underLoad(port, minimum: 1_000) { _ in
            let command = [Binaries.asgard, "deploy", "shop-prod", "--image", broken, "--strategy", "redBlack", "--desired", "2",
                           "--startup-timeout", "2", "--wait"].joined(separator: " ")
            let shown = try await run("/usr/bin/script", ["-qec", command, "/dev/null"], environment: CLI(server).environment)
            #expect(shown.status != 0)
            #expect(shown.stdout.contains("\u{1B}[2K"), "redrawn in place: \(shown.stdout)")
            #expect(shown.stdout.contains("✓ 1. create the new group"))
            #expect(shown.stdout.contains("✗ 2. wait until the new group is healthy  (failed)"))
            #expect(shown.stdout.contains("failed and was rolled back: waitHealthy failed"), "\(shown.stdout)")
            let listed = try APIJSON.decoder().decode([DeploymentJSON].self, from: try await HTTP.get(server.url + "/deployment/list.json").body)
            return try await ended(server, try #require(listed.first).id.rawValue)
        }
        #expect(failed.status == .failed)
        #expect(failed.rollbackReason?.hasPrefix("waitHealthy failed: shop-prod-v001 had 0 of 2 healthy instances") == true, "\(failed.rollbackReason ?? "")")
        #expect(failed.log?.contains { $0.message.hasPrefix("Rolled back: disabled shop-prod-v001, kept for inspection; shop-prod-v000 serves shop-prod") } == true,
                "\(failed.log?.map(\.message) ?? [])")
        #expect(try await versions(port) == ["1.0.0"])

        // A cancel in the middle of a red/black deployment after the previous group was
        // disabled: it is enabled again before the new one is disabled.
        let canceled = try await underLoad(port) { _ in
            let steps: [[String: Any]] = [["type": "createGroup"], ["type": "disableGroup"], ["type": "wait", "seconds": 600], ["type": "deleteGroup"]]
            let id = try await start(server, ["imageId": v2, "strategy": "custom", "capacity": ["desired": 2], "steps": steps])
            try await waitUntil("the wait step") { try await base.deployment(server, id).steps[2].state == "running" }
            #expect(try await versions(port) == ["2.0.0"])
            let reply = try CLI(server)("task", "cancel", String(id))
            #expect(reply.status == 0, "\(reply.stderr)")
            return try await ended(server, id)
        }
        #expect(canceled.status == .canceled)
        #expect(canceled.rollbackReason == "canceled by \(adminName) during wait")
        let log = canceled.log?.map(\.message) ?? []
        let enabled = log.firstIndex { $0.hasPrefix("Enabled shop-prod-v000") }
        let disabled = log.firstIndex { $0.hasPrefix("Disabled shop-prod-v002") }
        #expect(enabled != nil && disabled != nil && enabled! < disabled!, "the previous group is enabled first: \(log)")
        #expect(try await versions(port) == ["1.0.0"])
    }

    @Test func aResizeInBatchesHoldsTheClusterAndResumesAfterACrash() async throws {
        let scratch = try Scratch("resize-crash")
        defer { scratch.remove() }
        let dataDir = scratch.path + "/data"
        let first = try await ServerProcess(dataDir: dataDir)
        defer { first.stop() }
        let (_, _, port) = try await shopOnVersion1(first)
        first.crash()

        let crashing = try await ServerProcess(dataDir: dataDir, environment: ["ASGARD_FAULT_CRASH_AFTER_STEP": "1"])
        defer { crashing.stop() }
        // The answer never comes: the server is killed after the first batch.
        let url = crashing.url
        async let answer = HTTP.postForm(url + "/local/cluster/resize", [("name", "shop-prod-v000"), ("desiredCapacity", "4"), ("batchSize", "1")])
        try await crashing.waitForExit()
        _ = try? await answer

        let second = try await ServerProcess(dataDir: dataDir)
        defer { second.stop() }
        let recent = try APIJSON.decoder().decode([TaskJSON].self, from: try await HTTP.get(second.url + "/task/list.json?objectType=cluster").body)
        let resize = try #require(recent.first { $0.operation == "Resize shop-prod-v000" })
        try await waitUntil("the resumed resize to end", seconds: 60) {
            try APIJSON.decoder().decode(TaskJSON.self, from: try await HTTP.get(second.url + "/task/show/\(resize.id).json").body).status.isFinished
        }
        let done = try APIJSON.decoder().decode(TaskJSON.self, from: try await HTTP.get(second.url + "/task/show/\(resize.id).json").body)
        let log = done.log?.map(\.message) ?? []
        #expect(done.status == .succeeded, "\(log)")
        #expect(log.contains("Resuming after a restart of the server"))
        #expect(log.filter { $0.hasSuffix("InService and healthy") || $0.contains("instances InService and healthy after") }.count == 2, "batch 1 (to 3) before the crash, batch 2 (to 4) after it: \(log)")
        let group = try await LocalCloudTests().group(second, "shop-prod-v000")
        #expect(group.desiredCapacity == 4)
        #expect(group.instances.filter { $0.lifecycleState == .inService }.count == 4)
        #expect(try await versions(port) == ["1.0.0"])

        // While a deployment holds the cluster, a resize waits its turn.
        let slow = try await base.registerVersion(second, "1.1.0", extra: ["--startup-delay-ms", "3000"])
        let id = try await start(second, ["imageId": slow, "strategy": "redBlack", "capacity": ["desired": 1]])
        let busy = try await HTTP.postForm(second.url + "/local/cluster/resize", [("name", "shop-prod-v000"), ("desiredCapacity", "2")])
        #expect(busy.status == 409, "\(busy.text)")
        #expect(busy.text.contains("busy with task \(id)"))
    }

    @Test(arguments: ["redBlack", "highlander", "rolling", "custom"])
    func aDeploymentKilledAfterEveryStepFinishesAfterEachRestart(_ strategy: String) async throws {
        let scratch = try Scratch("crash-\(strategy)")
        defer { scratch.remove() }
        let dataDir = scratch.path + "/data"
        let first = try await ServerProcess(dataDir: dataDir)
        defer { first.stop() }
        let (_, v2, port) = try await shopOnVersion1(first)
        first.crash()

        let count = ["redBlack": 4, "highlander": 4, "rolling": 2, "custom": Self.crashSteps.count][strategy] ?? 0
        let fault = "ASGARD_FAULT_CRASH_AFTER_STEP"
        let id = try await underLoad(port) { _ in
            let starter = try await ServerProcess(dataDir: dataDir, environment: [fault: "1"])
            defer { starter.stop() }
            var document: [String: Any] = ["imageId": v2, "strategy": strategy, "capacity": ["desired": 2]]
            if strategy == "custom" { document["steps"] = Self.crashSteps }
            // A first step that needs no waiting (rolling's updateImage) may end, and kill the
            // server, before the answer to the start is written: the id is found afterwards then.
            let id = try? await start(starter, document)
            try await starter.waitForExit()
            // Each start resumes the deployment and is killed after its next step.
            for step in 2...count {
                let round = try await ServerProcess(dataDir: dataDir, environment: [fault: String(step)], untilExit: true)
                round.stop()
            }
            return id
        }
        let last = try await ServerProcess(dataDir: dataDir)
        defer { last.stop() }
        let listed = try APIJSON.decoder().decode([DeploymentJSON].self, from: try await HTTP.get(last.url + "/deployment/list.json").body)
        let done = try await ended(last, try #require(id ?? listed.first?.id.rawValue))
        #expect(done.status == .succeeded, "\(done.log?.map(\.message) ?? [])")
        #expect(done.steps.allSatisfy { $0.state == "done" })
        let resumes = done.log?.filter { $0.message.hasPrefix("Resuming after a restart of the server at ") }.map(\.message) ?? []
        #expect(resumes.count == count, "killed after each of its \(count) steps: \(resumes)")
        #expect(resumes.last == "Resuming after a restart of the server at its end")
        // The load balancer was re-adopted by the last start; on a busy machine its first health
        // checks may still be under way, but it must settle on version 2 alone.
        var seen = Set<String>()
        let settled = (try? await waitUntil("only version 2 through the load balancer", seconds: 15) {
            seen = try await versions(port)
            return seen == ["2.0.0"]
        }) != nil
        #expect(settled, "answers seen: \(seen)")
        let groups = try await LocalCloudTests().cluster(last, "shop-prod").map(\.autoScalingGroupName)
        switch strategy {
        case "redBlack": #expect(groups == ["shop-prod-v000", "shop-prod-v001"])
        case "rolling": #expect(groups == ["shop-prod-v000"])
        default: #expect(groups == ["shop-prod-v001"])
        }
    }
}

/// A small HTTP server that records the deployment events posted to it.
final class WebhookReceiver: @unchecked Sendable {
    let process = Process()
    let path: String
    let url: String

    init(_ scratch: Scratch) throws {
        let port = try freePort()
        path = scratch.path + "/hook-\(port).jsonl"
        url = "http://127.0.0.1:\(port)/deploys"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import http.server, sys
            class Hook(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers["Content-Length"]))
                    with open(sys.argv[1], "ab") as out: out.write(body + b"\\n")
                    self.send_response(204); self.end_headers()
                def log_message(self, *args): pass
            http.server.HTTPServer(("127.0.0.1", int(sys.argv[2])), Hook).serve_forever()
            """, path, String(port)]
        try process.run()
    }

    /// The events received so far, in order.
    var events: [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["event"] as? String
        }
    }

    /// SIGKILL: a child of the test runner may inherit a blocked SIGTERM.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
