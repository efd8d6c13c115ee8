import AsgardAPI
import AsgardCore
import Foundation
import Testing

/// The guards of issue "Trust" through the real server process: one server per data directory,
/// busy clusters, deployments that fail fast and keep their deadlines, extremes that cannot trap
/// the scaling service, load balancer timeouts, unreachable clouds and full disks.
@Suite("Trust end to end", .serialized, .heavy)
struct TrustEndToEndTests {
    func registerImage(_ server: ServerProcess, _ version: String, command: [String]) async throws -> String {
        let body = try JSONSerialization.data(withJSONObject: ["name": "shop", "version": version, "command": command])
        let reply = try await HTTP.postJSON(server.url + "/local/image/register", body)
        #expect(reply.status == 201, "\(reply.text)")
        return try APIJSON.decoder().decode(ImageRecord.self, from: reply.body).imageId.rawValue
    }

    func deployment(_ server: ServerProcess, _ id: Int64) async throws -> DeploymentJSON {
        try APIJSON.decoder().decode(DeploymentJSON.self, from: try await HTTP.get(server.url + "/deployment/show/\(id).json").body)
    }

    func started(_ reply: HTTP.Reply) throws -> Int64 {
        #expect(reply.status == 202, "\(reply.text)")
        return try APIJSON.decoder().decode(TaskAccepted.self, from: reply.body).taskId.rawValue
    }

    func errorCode(_ reply: HTTP.Reply) -> String? {
        ((try? JSONSerialization.jsonObject(with: reply.body)) as? [String: [String: Any]])?["error"]?["code"] as? String
    }

    @Test func aSecondServerOnTheSameDataDirectoryExitsAtOnce() async throws {
        let scratch = try Scratch("lock")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let began = Date()
        let second = try await run(Binaries.asgard, ["serve", "--port", "0", "--data-dir", scratch.path + "/data"])
        #expect(second.status != 0)
        #expect(second.stderr.contains("is in use by process \(server.process.processIdentifier)"), "\(second.stderr)")
        #expect(Date().timeIntervalSince(began) < 10)
        #expect(try await HTTP.get(server.url + "/healthcheck", accept: "*/*").status == 200)
        // After the first one is killed, the directory is free again.
        server.crash()
        let third = try await ServerProcess(dataDir: scratch.path + "/data")
        #expect(try await HTTP.get(third.url + "/healthcheck", accept: "*/*").status == 200)
        third.stop()
    }

    @Test func extremesAreRefusedAndAnInvalidStoredDefinitionCannotTrapTheScalingService() async throws {
        let scratch = try Scratch("extremes")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data", extraArguments: ["--metrics-interval", "1"])
        defer { server.stop() }
        try await registerShop(server)
        let image = try await registerImage(server, "1.0.0", command: [LocalCloudTests.sampleApp])
        let group = try await LoadBalancerTests().createGroup(server, image: image, desired: 1, balancer: "")
        let save = server.url + "/local/scalingPolicy/save"
        let huge = try await HTTP.postJSON(save, Data(#"{"policyName": "up", "autoScalingGroupName": "\#(group)", "policyType": "SimpleScaling", "adjustmentType": "ChangeInCapacity", "scalingAdjustment": "9223372036854775807"}"#.utf8))
        #expect(huge.status == 400, "\(huge.text)")
        #expect(huge.text.contains("scalingAdjustment"))
        let tiny = try await HTTP.postJSON(save, Data(#"{"policyName": "track", "autoScalingGroupName": "\#(group)", "targetTrackingConfiguration": {"predefinedMetricSpecification": {"predefinedMetricType": "ALBRequestCountPerTarget"}, "targetValue": 1e-300}}"#.utf8))
        #expect(tiny.status == 400, "\(tiny.text)")
        let judgment = try await HTTP.postJSON(server.url + "/local/deployment/start", Data(#"{"cluster": "shop-prod", "imageId": "\#(image)", "strategy": "custom", "capacity": {"min": 1, "desired": 1, "max": 1}, "steps": [{"type": "createGroup"}, {"type": "judgment", "minutes": 9223372036854775807}, {"type": "disableGroup"}]}"#.utf8))
        #expect(judgment.status == 400, "\(judgment.text)")

        // A policy named with a space is reached by its percent-encoded name.
        let spaced = try await HTTP.postJSON(save, Data(#"{"policyName": "scale out", "autoScalingGroupName": "\#(group)", "policyType": "SimpleScaling", "adjustmentType": "ChangeInCapacity", "scalingAdjustment": 1}"#.utf8))
        #expect(spaced.status == 200, "\(spaced.text)")
        #expect(try await HTTP.get(server.url + "/local/scalingPolicy/show/scale%20out.json").status == 200)

        // What an older version (or a hand) stored out of range, with an alarm that calls it at
        // every tick, is skipped with a log line; the server stays up and can delete it.
        let database = server.dataDir + "/asgard.sqlite"
        let policy = #"{"autoScalingGroupName":"\#(group)","policyName":"huge","policyType":"SimpleScaling","adjustmentType":"ChangeInCapacity","scalingAdjustment":9223372036854775807}"#
        let insert = try await run("/usr/bin/env", ["python3", "-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1], timeout=10)
            db.execute("INSERT INTO scalingObject (kind, serverGroup, name, body) VALUES ('policy', ?, 'huge', ?)", (sys.argv[2], sys.argv[3]))
            db.commit()
            """, database, group, policy])
        #expect(insert.status == 0, "\(insert.stderr)")
        let alarm = try await HTTP.postForm(server.url + "/local/alarm/save", [("alarmName", "always"), ("autoScalingGroupName", group),
            ("metricName", "GroupInServiceInstances"), ("comparisonOperator", "GreaterThanOrEqualToThreshold"), ("threshold", "0"),
            ("period", "1"), ("alarmActions", "scale out")])
        #expect(alarm.status == 200, "\(alarm.text)")
        try await waitUntil("the invalid definition to be skipped at a tick") { server.log.contains("Skipping an invalid stored scaling definition") }
        try await waitUntil("the alarm to go off and a tick after it") {
            let activities = try await HTTP.get(server.url + "/local/autoScaling/activities/\(group).json").text
            return activities.contains("policy scale out changed the desired capacity")
        }
        #expect(server.process.isRunning)
        #expect(try await HTTP.get(server.url + "/healthcheck", accept: "*/*").status == 200)
        let listed = try await HTTP.get(server.url + "/local/scalingPolicy/list.json?autoScalingGroupName=\(group)")
        #expect(listed.text.contains("\"invalid\""))
        let deleted = try await HTTP.postForm(server.url + "/local/scalingPolicy/delete", [("policyName", "huge"), ("autoScalingGroupName", group)])
        #expect(deleted.status == 200, "\(deleted.text)")
    }

    @Test func aBusyClusterRefusesChangesAndAPersonsRollbackIsNoFailure() async throws {
        let scratch = try Scratch("busy")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        try await registerShop(server)
        let v1 = try await registerImage(server, "1.0.0", command: [LocalCloudTests.sampleApp, "--version-label", "1.0.0"])
        let v2 = try await registerImage(server, "2.0.0", command: [LocalCloudTests.sampleApp, "--version-label", "2.0.0"])
        _ = try await LoadBalancerTests().createBalancer(server)
        let first = try await LoadBalancerTests().createGroup(server, image: v1, desired: 1)
        try await waitUntil("\(first) to serve") {
            try APIJSON.decoder().decode(ServerGroupJSON.self, from: try await HTTP.get(server.url + "/local/autoScaling/show/\(first).json").body)
                .instances.contains { $0.lifecycleState == .inService }
        }

        // Taking the traffic off the only enabled group is a disable, with the same guard.
        let suspend = try await HTTP.postForm(server.url + "/local/autoScaling/update", [("name", first), ("suspendedProcesses", "AddToLoadBalancer")])
        #expect(suspend.status == 409, "\(suspend.text)")
        #expect(suspend.text.contains("last enabled server group"))
        let unbalanced = try await HTTP.postForm(server.url + "/local/autoScaling/update", [("name", first), ("selectedLoadBalancers", "")])
        #expect(unbalanced.status == 409)

        let steps: [[String: Any]] = [["type": "createGroup"], ["type": "judgment", "minutes": 30], ["type": "disableGroup"]]
        let document: [String: Any] = ["cluster": "shop-prod", "imageId": v2, "strategy": "custom", "capacity": ["min": 1, "desired": 1, "max": 2], "steps": steps]
        let id = try started(try await HTTP.postJSON(server.url + "/local/deployment/start", try JSONSerialization.data(withJSONObject: document)))
        var waiting: DeploymentJSON?
        try await waitUntil("deployment \(id) to wait for its judgment", seconds: 60) {
            waiting = try await deployment(server, id)
            return waiting?.status == .waiting
        }
        let second = try #require(waiting?.newGroup)
        // The deployment and its task name the image by application and version.
        #expect(waiting?.imageLabel == "shop 2.0.0 (\(v2))")
        let task = try await HTTP.get(server.url + "/task/show/\(id).json").text
        #expect(task.contains("Deploy shop 2.0.0 (\(v2)) to shop-prod (custom)"), "\(task.prefix(500))")
        let instance = try APIJSON.decoder().decode(ServerGroupJSON.self, from: try await HTTP.get(server.url + "/local/autoScaling/show/\(second).json").body)
            .instances[0].instanceId.rawValue
        let changes: [(String, [(String, String)])] = [
            ("/local/autoScaling/update", [("name", second), ("desiredCapacity", "2")]),
            ("/local/autoScaling/delete", [("name", second), ("force", "true")]),
            ("/local/cluster/deactivate", [("name", first)]),
            ("/local/cluster/activate", [("name", second)]),
            ("/local/cluster/resize", [("name", second), ("desiredCapacity", "2")]),
            ("/local/cluster/delete", [("name", first)]),
            ("/local/cluster/createNextGroup", [("name", "shop-prod")]),
            ("/local/instance/terminate", [("instanceId", instance), ("shrink", "true")]),
        ]
        for (path, fields) in changes {
            let refused = try await HTTP.postForm(server.url + path, fields)
            #expect(refused.status == 409, "\(path): \(refused.text)")
            #expect(refused.text.contains("task \(id)"), "\(path): \(refused.text)")
        }
        #expect(try await deployment(server, id).status == .waiting, "the refused changes left the deployment alone")

        let rollback = try await HTTP.postForm(server.url + "/deployment/rollback", [("id", String(id))])
        #expect(rollback.status == 200, "\(rollback.text)")
        var ended: DeploymentJSON?
        try await waitUntil("deployment \(id) to roll back", seconds: 60) {
            ended = try await deployment(server, id)
            return ended?.status.isFinished == true
        }
        #expect(ended?.status == .rolledBack, "\(ended?.log?.map(\.message) ?? [])")
        let follow = try await CLI(server).nonBlocking("deployment", "follow", String(id))
        #expect(follow.status == 3)
        #expect(follow.stderr.contains("deployment \(id) was rolled back: judgment: admin decided to roll back"), "\(follow.stderr)")
        // The cluster is free again.
        let resize = try await HTTP.postForm(server.url + "/local/autoScaling/update", [("name", second), ("desiredCapacity", "1")])
        #expect(resize.status == 200, "\(resize.text)")
        // Its page marks the image that was rolled back and suggests the one that serves; no
        // destructive action has a target chosen for it; the rollback says what it would do.
        let page = try await HTTP.get(server.url + "/local/cluster/show/shop-prod", accept: "text/html").text
        #expect(page.contains("2.0.0 (\(v2)) — failed or rolled back in deployment \(id)"), "\(page)")
        #expect(page.contains("<option value=\"\(v1)\" selected>1.0.0 (\(v1))"))
        #expect(page.contains("<select id=\"delete-group\" name=\"name\"><option value=\"\" selected disabled>"))
        #expect(page.contains("<select id=\"disable-group\" name=\"name\"><option value=\"\" selected disabled>"))
        #expect(page.contains("Nothing to roll back to"))
        #expect(page.contains("shop 1.0.0 (\(v1))"), "groups show their image by name and version")
        #expect(page.contains("<span class=\"badge bad failed-tag\">rolled back</span>") && page.contains("Left by <a href=\"/deployment/show/\(id)\">deployment \(id)</a>"),
                "the group the rolled-back deployment left is tagged with it")
        // A deploy form with mistakes comes back with its values, each error next to its field.
        func deploymentCount() async throws -> Int {
            try APIJSON.decoder().decode([DeploymentJSON].self, from: try await HTTP.get(server.url + "/deployment/list.json").body).count
        }
        let deploymentsBefore = try await deploymentCount()
        let wrong = try await HTTP.postForm(server.url + "/local/deployment/start", [("cluster", "shop-prod"), ("imageId", v2), ("strategy", "canary"),
                                                                                    ("desired", "many"), ("canaryWeights", "10,50,100"), ("analysisSeconds", "60")],
                                            accept: "text/html")
        #expect(wrong.status == 400)
        #expect(wrong.text.contains("<input id=\"deploy-desired\" name=\"desired\" class=\"invalid\" aria-invalid=\"true\" aria-describedby=\"desired-error\" value=\"many\">"), "\(wrong.text)")
        #expect(wrong.text.contains("<span class=\"field-error\" id=\"desired-error\">&#39;many&#39; is not a whole number</span>"))
        #expect(wrong.text.contains("<option value=\"canary\" selected>") && wrong.text.contains("<option value=\"\(v2)\" selected>"), "the choices are kept")
        #expect(try await deploymentCount() == deploymentsBefore, "nothing started")
    }

    @Test func deploymentsFailFastAndKeepTheirDeadlinesAcrossRestarts() async throws {
        let scratch = try Scratch("deadline")
        defer { scratch.remove() }
        var server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        try await registerShop(server)
        let v1 = try await registerImage(server, "1.0.0", command: [LocalCloudTests.sampleApp, "--version-label", "1.0.0"])
        _ = try await LoadBalancerTests().createBalancer(server)
        _ = try await LoadBalancerTests().createGroup(server, image: v1, desired: 1)

        // An image whose process exits at once fails its deployment within seconds, saying how.
        let broken = try await registerImage(server, "2.0.0", command: ["/bin/sh", "-c", "echo cannot read the configuration >&2; exit 3"])
        let began = Date()
        let failing = try started(try await HTTP.postJSON(server.url + "/local/deployment/start", Data(#"{"cluster": "shop-prod", "imageId": "\#(broken)", "strategy": "redBlack", "capacity": {"min": 1, "desired": 1, "max": 1}}"#.utf8)))
        var failed: DeploymentJSON?
        try await waitUntil("deployment \(failing) to fail", seconds: 60) {
            failed = try await deployment(server, failing)
            return failed?.status.isFinished == true
        }
        #expect(failed?.status == .failed)
        #expect(Date().timeIntervalSince(began) < 30)
        let reason = failed?.rollbackReason ?? ""
        #expect(reason.contains("ended before they ever served"), "\(reason)")
        #expect(reason.contains("exited with status 3"), "\(reason)")
        #expect(reason.contains("cannot read the configuration"), "\(reason)")

        // An image that runs but never passes the load balancer's check fails at its startup
        // deadline, counted from when the wait began, whatever restarts come in between.
        let unhealthy = try await registerImage(server, "3.0.0", command: [LocalCloudTests.sampleApp, "--unhealthy"])
        let timed = try started(try await HTTP.postJSON(server.url + "/local/deployment/start", Data(#"{"cluster": "shop-prod", "imageId": "\#(unhealthy)", "strategy": "redBlack", "capacity": {"min": 1, "desired": 1, "max": 1}, "startupTimeoutSeconds": 10}"#.utf8)))
        let database = server.dataDir + "/asgard.sqlite"
        try await waitUntil("deployment \(timed) to wait for its new group, its deadline saved") {
            let checkpoint = try await run("/usr/bin/env", ["python3", "-c", """
                import sqlite3, sys
                db = sqlite3.connect(sys.argv[1], timeout=10)
                print(db.execute("SELECT checkpoint FROM task WHERE id = ?", (int(sys.argv[2]),)).fetchone()[0] or "")
                """, database, String(timed)])
            return checkpoint.stdout.contains("healthyBy")
        }
        server.crash()
        server = try await ServerProcess(dataDir: scratch.path + "/data")
        var timedOut: DeploymentJSON?
        try await waitUntil("deployment \(timed) to fail", seconds: 60) {
            timedOut = try await deployment(server, timed)
            return timedOut?.status.isFinished == true
        }
        #expect(timedOut?.status == .failed)
        #expect(timedOut?.rollbackReason?.contains("before a restart of the server") == true, "\(timedOut?.rollbackReason ?? "")")
    }

    @Test func loadBalancersTimeOutSlowInstancesAndSlowClients() async throws {
        let scratch = try Scratch("timeouts")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        try await registerShop(server)
        let slow = try await registerImage(server, "1.0.0", command: [LocalCloudTests.sampleApp, "--latency-ms", "4000"])
        let port = try await LoadBalancerTests().createBalancer(server, extra: [("idleTimeoutSeconds", "1")])
        let shown = try APIJSON.decoder().decode(LoadBalancerJSON.self, from: try await HTTP.get(server.url + "/local/loadBalancer/show/shop-prod.json").body)
        #expect(shown.idleTimeoutSeconds == 1)
        let bad = try await HTTP.postForm(server.url + "/local/loadBalancer/update", [("name", "shop-prod"), ("idleTimeoutSeconds", "0")])
        #expect(bad.status == 400)
        _ = try await LoadBalancerTests().createGroup(server, image: slow, desired: 1)
        try await waitUntil("the instance to be healthy in the load balancer", seconds: 60) {
            let balancer = try APIJSON.decoder().decode(LoadBalancerJSON.self, from: try await HTTP.get(server.url + "/local/loadBalancer/show/shop-prod.json").body)
            return !LoadBalancerTests().healthy(balancer).isEmpty
        }
        let began = Date()
        let answer = try await HTTP.get("http://127.0.0.1:\(port)/", accept: "*/*", token: nil)
        #expect(answer.status == 504, "\(answer.text)")
        #expect(answer.text.contains("did not answer within 1 s"))
        #expect(Date().timeIntervalSince(began) < 3.5)

        // A client that never finishes its request head is let go after 10 s.
        let closed = try await run("/usr/bin/env", ["python3", "-c", """
            import socket, sys, time
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            s.sendall(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n")
            s.settimeout(30)
            began = time.time()
            try:
                data = s.recv(1024)
            except Exception as e:
                data = repr(e).encode()
            print(round(time.time() - began, 1), data[:40])
            """, String(port)])
        let seconds = Double(closed.stdout.split(separator: " ").first ?? "") ?? 99
        #expect(seconds >= 8 && seconds < 15, "\(closed.stdout) \(closed.stderr)")
    }

    @Test func anUnreachableCloudAnswersInSecondsAndTheServerStopsInTime() async throws {
        let scratch = try Scratch("unreachable")
        defer { scratch.remove() }
        // First a local load balancer, from a run with the default configuration.
        let first = try await ServerProcess(dataDir: scratch.path + "/data")
        try await registerShop(first)
        _ = try await LoadBalancerTests().createBalancer(first)
        first.stop()

        let closed = try freePort()
        let config = scratch.path + "/asgard.yaml"
        try """
        accounts:
          - name: test
            provider: aws
            regions: [us-east-1]
            endpoint: http://127.0.0.1:\(closed)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = try await ServerProcess(dataDir: scratch.path + "/data", extraArguments: ["--config", config],
                                             environment: ["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"])
        var began = Date()
        let list = try await HTTP.get(server.url + "/us-east-1/cluster/list.json")
        #expect(list.status == 503, "\(list.text)")
        #expect(errorCode(list) == "cloudUnavailable", "\(list.text)")
        #expect(list.text.contains("127.0.0.1:\(closed)"))
        #expect(Date().timeIntervalSince(began) < 6)
        let page = try await HTTP.get(server.url + "/us-east-1/cluster/list", accept: "text/html")
        #expect(page.text.contains("id=\"cloud-unreachable\""), "\(page.text.prefix(2000))")
        // The local cloud's load balancer from the earlier run is still within reach.
        let local = try await HTTP.get(server.url + "/local/loadBalancer/list.json")
        #expect(local.status == 200)
        #expect(local.text.contains("shop-prod"))

        began = Date()
        kill(server.process.processIdentifier, SIGTERM)
        try await server.waitForExit(seconds: 20)
        #expect(Date().timeIntervalSince(began) < 10.5)
    }

    @Test func aRequestHangingOnACloudDoesNotKeepTheServerFromStopping() async throws {
        let scratch = try Scratch("hanging")
        defer { scratch.remove() }
        // An endpoint that takes connections and never answers.
        let port = try freePort()
        let silent = Process()
        silent.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        silent.arguments = ["python3", "-c", """
            import socket, sys, time
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
            held = []
            print("listening", flush=True)
            while True:
                c, _ = s.accept(); held.append(c); print("accepted", flush=True)
            """, String(port)]
        let output = scratch.path + "/silent.log"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        silent.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        silent.standardError = FileHandle.nullDevice
        try silent.run()
        defer { kill(silent.processIdentifier, SIGKILL) }
        try await waitUntil("the silent endpoint to listen") { ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains("listening") }
        let config = scratch.path + "/asgard.yaml"
        try """
        accounts:
          - name: test
            provider: aws
            regions: [us-east-1]
            endpoint: http://127.0.0.1:\(port)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = try await ServerProcess(dataDir: scratch.path + "/data", extraArguments: ["--config", config],
                                             environment: ["AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"])
        let url = server.url
        let pending = Task { try? await HTTP.get(url + "/us-east-1/cluster/list.json") }
        defer { pending.cancel() }
        try await waitUntil("a call to hang on the endpoint") {
            ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains("accepted")
        }
        let began = Date()
        kill(server.process.processIdentifier, SIGTERM)
        try await server.waitForExit(seconds: 30)
        #expect(Date().timeIntervalSince(began) < 10.5, "stopped after \(Date().timeIntervalSince(began)) s")
    }

    @Test(.enabled(if: getuid() == 0, "mounts a small file system, which needs root"))
    func aFullDiskAnswers507AndLosesNothing() async throws {
        let scratch = try Scratch("full")
        defer { scratch.remove() }
        let mountPoint = scratch.path + "/disk"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try await run("/bin/mount", ["-t", "tmpfs", "-o", "size=32m", "tmpfs", mountPoint])
        #expect(mounted.status == 0, "\(mounted.stderr)")
        defer { _ = try? runBlocking("/bin/umount", ["-l", mountPoint]) }
        let server = try await ServerProcess(dataDir: mountPoint + "/data")
        defer { server.stop() }
        try await registerShop(server)
        let filler = mountPoint + "/filler"
        _ = try await run("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=64k"])
        var refused: HTTP.Reply?
        var refusedName = ""
        for index in 0..<400 where refused == nil {
            let name = "app\(index)"
            let reply = try await HTTP.postForm(server.url + "/application/save", [("name", name), ("owner", String(repeating: "o", count: 200)),
                                                                                 ("email", "o@example.com"), ("description", String(repeating: "d", count: 1000))])
            if reply.status != 201 { refused = reply; refusedName = name }
        }
        let full = try #require(refused)
        #expect(full.status == 507, "\(full.text)")
        #expect(errorCode(full) == "insufficientStorage")
        #expect(full.text.contains("is full ("), "\(full.text)")
        let health = try await HTTP.get(server.url + "/healthcheck", accept: "*/*")
        #expect(health.status == 503)
        #expect(health.text.contains("is full"), "\(health.text)")

        try FileManager.default.removeItem(atPath: filler)
        #expect(try await HTTP.get(server.url + "/application/show/\(refusedName).json").status == 404, "the refused change left nothing")
        let again = try await HTTP.postForm(server.url + "/application/save", [("name", refusedName), ("owner", "o"), ("email", "o@example.com")])
        #expect(again.status == 201, "\(again.text)")
        #expect(try await HTTP.get(server.url + "/healthcheck", accept: "*/*").status == 200)
    }
}
