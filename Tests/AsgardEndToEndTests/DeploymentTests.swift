import AsgardAPI
import AsgardCore
import Foundation
import Testing

/// Deployments end to end: the real server, sample-app instances behind a real load balancer,
/// and a load that must not see one failed request.
@Suite("Deployments", .serialized, .heavy)
struct DeploymentTests {
    func registerVersion(_ server: ServerProcess, _ version: String, extra: [String] = []) async throws -> String {
        let body = try JSONSerialization.data(withJSONObject: ["name": "shop", "version": version,
                                                               "command": [LocalCloudTests.sampleApp, "--version-label", version] + extra])
        let reply = try await HTTP.postJSON(server.url + "/local/image/register", body)
        #expect(reply.status == 201, "\(reply.text)")
        return try APIJSON.decoder().decode(ImageRecord.self, from: reply.body).imageId.rawValue
    }

    func start(_ server: ServerProcess, image: String, strategy: String, desired: Int = 2, loadBalancers: [String]? = nil) async throws -> HTTP.Reply {
        var document: [String: Any] = ["cluster": "shop-prod", "imageId": image, "strategy": strategy, "capacity": ["min": 1, "desired": desired, "max": 4]]
        if let loadBalancers { document["loadBalancers"] = loadBalancers }
        return try await HTTP.postJSON(server.url + "/local/deployment/start", try JSONSerialization.data(withJSONObject: document))
    }

    func deployment(_ server: ServerProcess, _ id: Int64) async throws -> DeploymentJSON {
        try APIJSON.decoder().decode(DeploymentJSON.self, from: try await HTTP.get(server.url + "/deployment/show/\(id).json").body)
    }

    func finish(_ server: ServerProcess, _ reply: HTTP.Reply, seconds: Double = 60) async throws -> DeploymentJSON {
        #expect(reply.status == 202, "\(reply.text)")
        let id = try APIJSON.decoder().decode(TaskAccepted.self, from: reply.body).taskId.rawValue
        var last: DeploymentJSON?
        try await waitUntil("deployment \(id) to end", seconds: seconds) {
            last = try await deployment(server, id)
            return last?.status.isFinished == true
        }
        let done = try #require(last)
        #expect(done.status == .succeeded, "\(done.log?.map(\.message) ?? [])")
        return done
    }

    func version(_ port: Int) async throws -> String {
        let reply = try await HTTP.get("http://127.0.0.1:\(port)/", accept: "*/*", token: nil)
        return ((try JSONSerialization.jsonObject(with: reply.body) as? [String: String])?["version"]) ?? reply.text
    }

    @Test func redBlackAndHighlanderUnderLoadFailNoRequest() async throws {
        let scratch = try Scratch("deploy")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        try await registerShop(server)
        let v1 = try await registerVersion(server, "1.0.0")
        // Version 2 takes a second to start, so that the load is spread over each deployment.
        let v2 = try await registerVersion(server, "2.0.0", extra: ["--startup-delay-ms", "1000"])
        let port = try await LoadBalancerTests().createBalancer(server)

        let bad = try await start(server, image: v1, strategy: "blueGreen")
        #expect(bad.status == 400)
        #expect(bad.text.contains("strategy: 'blueGreen' is not one of redBlack, highlander, rolling, custom, canary"), "\(bad.text)")
        let first = try await finish(server, try await start(server, image: v1, strategy: "redBlack", loadBalancers: ["shop-prod"]))
        #expect(first.newGroup == "shop-prod-v000")
        #expect(try await version(port) == "1.0.0")

        let url = "http://127.0.0.1:\(port)/"
        let (redBlackLoad, redBlack) = try await Load.during(url) { load in
            try await waitUntil("traffic on version 1") { load.ok > 50 }
            let before = load.ok
            let done = try await finish(server, try await start(server, image: v2, strategy: "redBlack"))
            let atEnd = load.ok
            // How many fall inside depends on how busy the machine is; some always do.
            #expect(atEnd - before > 0, "requests during the deployment: \(atEnd - before)")
            try await waitUntil("traffic after the deployment and 2,000 requests in all", seconds: 120) { load.ok > atEnd + 50 && load.ok >= 2_000 }
            return done
        }
        #expect(redBlackLoad.failures.isEmpty, "\(redBlackLoad.failures.prefix(3))")
        #expect(redBlackLoad.ok >= 2_000)
        #expect(redBlack.newGroup == "shop-prod-v001")
        #expect(redBlack.steps.allSatisfy { $0.state == "done" })
        for _ in 0..<10 { #expect(try await version(port) == "2.0.0") }
        let kept = try await LocalCloudTests().group(server, "shop-prod-v000")
        #expect(kept.trafficState == "disabled", "red/black keeps the previous group, disabled")
        // The deployment is one row of the task list; the group changes it made are its inner tasks.
        let inner = try APIJSON.decoder().decode([TaskJSON].self, from: try await HTTP.get(server.url + "/task/list.json?parent=\(redBlack.id)").body)
        #expect(inner.contains { $0.operation == "Disable traffic to shop-prod-v000" } && inner.allSatisfy { $0.parentId == redBlack.id }, "\(inner.map(\.operation))")
        let firstInner = try #require(inner.first)
        let everything = try APIJSON.decoder().decode([TaskJSON].self, from: try await HTTP.get(server.url + "/task/list.json").body)
        #expect(everything.contains { $0.id == firstInner.id }, "JSON lists every task unless asked for the top level")
        let started = try APIJSON.decoder().decode([TaskJSON].self, from: try await HTTP.get(server.url + "/task/list.json?topLevel=true").body)
        #expect(started.contains { $0.id == redBlack.id } && started.allSatisfy { $0.parentId == nil })
        let listPage = try await HTTP.get(server.url + "/task/list", accept: "text/html").text
        #expect(listPage.contains("\(inner.count) inner task") && !listPage.contains("<td>Disable traffic to shop-prod-v000</td>"), "\(listPage)")
        let innerPage = try await HTTP.get(server.url + "/task/show/\(firstInner.id)", accept: "text/html").text
        #expect(innerPage.contains("href=\"/task/show/\(redBlack.id)\">task \(redBlack.id)</a>"))
        #expect(try await HTTP.get(server.url + "/task/list.json?topLevel=1").status == 400)

        // A problem found after the deployment: one call puts traffic back on version 1.
        let (rollbackLoad, _) = try await Load.during(url) { load in
            try await waitUntil("traffic on version 2") { load.ok > 50 }
            let rolledBack = try CLI(server)("cluster", "rollback", "shop-prod")
            #expect(rolledBack.status == 0, "\(rolledBack.stderr)")
            #expect(rolledBack.stdout.contains("Rolled back shop-prod"))
            let atEnd = load.ok
            try await waitUntil("traffic after the rollback and 2,000 requests in all", seconds: 120) { load.ok > atEnd + 50 && load.ok >= 2_000 }
        }
        #expect(rollbackLoad.failures.isEmpty, "\(rollbackLoad.failures.prefix(3))")
        #expect(rollbackLoad.ok >= 2_000)
        for _ in 0..<10 { #expect(try await version(port) == "1.0.0") }
        #expect(try await LocalCloudTests().group(server, "shop-prod-v001").trafficState == "disabled")
        let inPlace = try await finish(server, try await start(server, image: v1, strategy: "rolling"))
        #expect(inPlace.newGroup == "shop-prod-v000", "a rolling push goes to the group that serves, not to the newer disabled one")
        let nothingLeft = try await HTTP.postForm(server.url + "/local/cluster/rollback", [("name", "shop-prod")])
        #expect(nothingLeft.status == 400)
        #expect(nothingLeft.text.contains("no disabled server group older than shop-prod-v000"))

        let (highlanderLoad, highlander) = try await Load.during(url) { load in
            try await waitUntil("traffic on version 1") { load.ok > 50 }
            let before = load.ok
            let done = try await finish(server, try await start(server, image: v2, strategy: "highlander"))
            let atEnd = load.ok
            // How many fall inside depends on how busy the machine is; some always do.
            #expect(atEnd - before > 0, "requests during the deployment: \(atEnd - before)")
            try await waitUntil("traffic after the deployment and 2,000 requests in all", seconds: 120) { load.ok > atEnd + 50 && load.ok >= 2_000 }
            return done
        }
        #expect(highlanderLoad.failures.isEmpty, "\(highlanderLoad.failures.prefix(3))")
        #expect(highlanderLoad.ok >= 2_000)
        #expect(highlander.newGroup == "shop-prod-v002")
        for _ in 0..<10 { #expect(try await version(port) == "2.0.0") }
        let groups = try APIJSON.decoder().decode([ServerGroupJSON].self, from: try await HTTP.get(server.url + "/local/autoScaling/list.json").body)
        #expect(groups.map(\.autoScalingGroupName) == ["shop-prod-v002"], "highlander deletes every previous group")
        let listed = try APIJSON.decoder().decode([DeploymentJSON].self, from: try await HTTP.get(server.url + "/deployment/list.json").body)
        #expect(listed.map(\.strategy) == [.highlander, .rolling, .redBlack, .redBlack])
    }

    @Test func aDeploymentInterruptedByAServerCrashFinishesAfterTheRestart() async throws {
        let scratch = try Scratch("deploy-crash")
        defer { scratch.remove() }
        let dataDir = scratch.path + "/data"
        let first = try await ServerProcess(dataDir: dataDir)
        defer { first.stop() }
        try await registerShop(first)
        let slow = try await registerVersion(first, "1.0.0", extra: ["--startup-delay-ms", "2500"])
        let port = try await LoadBalancerTests().createBalancer(first)
        let started = try await start(first, image: slow, strategy: "redBlack", loadBalancers: ["shop-prod"])
        #expect(started.status == 202, "\(started.text)")
        let id = try APIJSON.decoder().decode(TaskAccepted.self, from: started.body).taskId.rawValue
        try await waitUntil("the deployment waiting for its new group") {
            try await deployment(first, id).steps.first?.state == "done"
        }
        first.crash()

        let second = try await ServerProcess(dataDir: dataDir)
        defer { second.stop() }
        var done: DeploymentJSON?
        try await waitUntil("the resumed deployment to end", seconds: 60) {
            done = try await deployment(second, id)
            return done?.status.isFinished == true
        }
        #expect(done?.status == .succeeded, "\(done?.log?.map(\.message) ?? [])")
        #expect(done?.newGroup == "shop-prod-v000")
        let groups = try APIJSON.decoder().decode([ServerGroupJSON].self, from: try await HTTP.get(second.url + "/local/autoScaling/list.json").body)
        #expect(groups.map(\.autoScalingGroupName) == ["shop-prod-v000"], "the resumed step did not create a second group")
        #expect(try await version(port) == "1.0.0")
    }

    @Test func aCanceledDeploymentStopsAndFreesItsCluster() async throws {
        let scratch = try Scratch("deploy-cancel")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        try await registerShop(server)
        let slow = try await registerVersion(server, "1.0.0", extra: ["--startup-delay-ms", "4000"])
        _ = try await LoadBalancerTests().createBalancer(server)
        let started = try await start(server, image: slow, strategy: "redBlack", loadBalancers: ["shop-prod"])
        let id = try APIJSON.decoder().decode(TaskAccepted.self, from: started.body).taskId.rawValue
        try await waitUntil("the deployment waiting for its new group") { try await deployment(server, id).steps.first?.state == "done" }
        // Its instance takes 4 s to start, so the deployment surely still runs.
        let busy = try await start(server, image: slow, strategy: "redBlack")
        #expect(busy.status == 409, "one deployment per cluster: \(busy.text)")
        #expect(busy.text.contains("cluster shop-prod is busy with task \(id)"))

        let canceled = try CLI(server)("task", "cancel", String(id))
        #expect(canceled.status == 0, "\(canceled.stderr)")
        try await waitUntil("the cancel to be done") { try await deployment(server, id).status.isFinished }
        let canceledRun = try await deployment(server, id)
        #expect(canceledRun.status == .canceled)
        #expect(canceledRun.rollbackReason == "canceled by \(adminName) during waitHealthy")
        #expect(canceledRun.steps.map(\.state) == ["done", "canceled", "pending", "pending"])
        #expect(try await LocalCloudTests().group(server, "shop-prod-v000").trafficState == "disabled", "rolled back: the new group is kept, disabled")
        let again = try await HTTP.postForm(server.url + "/task/cancel", [("id", String(id))])
        #expect(again.status == 409)
        #expect(again.text.contains("has already canceled"), "\(again.text)")
        let next = try await start(server, image: slow, strategy: "highlander")
        #expect(next.status == 202, "the cluster is free again: \(next.text)")
    }

    @Test func thePrimitivesCreateTheNextGroupResizeInBatchesAndDelete() async throws {
        let scratch = try Scratch("deploy-primitives")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        try await registerShop(server)
        let v1 = try await registerVersion(server, "1.0.0")
        _ = try await LoadBalancerTests().createBalancer(server)
        _ = try await finish(server, try await start(server, image: v1, strategy: "redBlack", desired: 1, loadBalancers: ["shop-prod"]))

        let next = try await HTTP.postForm(server.url + "/local/cluster/createNextGroup", [
            ("name", "shop-prod"), ("desiredCapacity", "1"), ("trafficAllowed", "false"), ("checkHealth", "true")])
        #expect(next.status == 201, "\(next.text)")
        let created = try APIJSON.decoder().decode(ServerGroupJSON.self, from: next.body)
        #expect(created.autoScalingGroupName == "shop-prod-v001")
        #expect(created.trafficState == "disabled")
        #expect(created.loadBalancerNames == ["shop-prod"], "inherited from the newest group")
        #expect(created.instances.filter { $0.lifecycleState == .inService }.count == 1, "checkHealth answers once it is healthy")

        let resized = try await HTTP.postForm(server.url + "/local/cluster/resize", [("name", "shop-prod-v001"), ("desiredCapacity", "3"), ("batchSize", "1")])
        #expect(resized.status == 200, "\(resized.text)")
        let group = try APIJSON.decoder().decode(ServerGroupJSON.self, from: resized.body)
        #expect(group.instances.filter { $0.lifecycleState == .inService }.count == 3)
        let recent = try APIJSON.decoder().decode([TaskJSON].self, from: try await HTTP.get(server.url + "/task/list.json?limit=20").body)
        let resize = try #require(recent.first { $0.operation == "Resize shop-prod-v001" })
        #expect(resize.status == .succeeded)
        let log = try APIJSON.decoder().decode(TaskJSON.self, from: try await HTTP.get(server.url + "/task/show/\(resize.id).json").body).log ?? []
        #expect(log.map(\.message).contains { $0.contains("in batches: 2, 3") }, "\(log.map(\.message))")
        let badBatch = try await HTTP.postForm(server.url + "/local/cluster/resize", [("name", "shop-prod-v001"), ("desiredCapacity", "4"), ("batchSize", "0")])
        #expect(badBatch.status == 400)

        let shrunk = try CLI(server)("cluster", "resize", "shop-prod-v001", "--desired", "2")
        #expect(shrunk.stdout.hasPrefix("Resized shop-prod-v001 to min 1, desired 2, max 3"), "\(shrunk.stderr)")
        let deleted = try await HTTP.postForm(server.url + "/local/cluster/delete", [("name", "shop-prod-v000")])
        #expect(deleted.status == 200, "\(deleted.text)")
        let groups = try APIJSON.decoder().decode([ServerGroupJSON].self, from: try await HTTP.get(server.url + "/local/autoScaling/list.json").body)
        #expect(groups.map(\.autoScalingGroupName) == ["shop-prod-v001"])
    }

    @Test func aTaskLogCanBeFollowedLiveUntilTheTaskEnds() async throws {
        let scratch = try Scratch("deploy-follow")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        try await registerShop(server)
        let slow = try await registerVersion(server, "1.0.0", extra: ["--startup-delay-ms", "1000"])
        _ = try await LoadBalancerTests().createBalancer(server)
        let started = try await start(server, image: slow, strategy: "redBlack", loadBalancers: ["shop-prod"])
        let id = try APIJSON.decoder().decode(TaskAccepted.self, from: started.body).taskId.rawValue
        let page = try await HTTP.get(server.url + "/task/show/\(id)", accept: "text/html")
        #expect(page.text.contains("<script src=\"/static/task-live.js\" data-task=\"\(id)\""), "a running task's page follows it live")

        // The stream stays open while the deployment runs and ends with it.
        let followed = try await HTTP.get(server.url + "/task/follow/\(id)", accept: "text/event-stream")
        #expect(followed.status == 200)
        let events = followed.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.filter { $0.hasPrefix("event: log\ndata: {") }.count >= 4, "\(events)")
        #expect(events.last == "event: end\ndata: {\"status\":\"succeeded\"}")
        #expect(followed.text.contains("Deployment finished: shop-prod-v000 serves shop-prod"))
        let cli = try CLI(server)("task", "follow", String(id))
        #expect(cli.status == 0)
        #expect(cli.stdout.contains("Deployment finished"))
    }

    @Test func aRollingPushReplacesEveryInstanceUnderLoadWithoutAFailedRequest() async throws {
        let scratch = try Scratch("deploy-rolling")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        try await registerShop(server)
        let v1 = try await registerVersion(server, "1.0.0")
        let v2 = try await registerVersion(server, "2.0.0")
        let port = try await LoadBalancerTests().createBalancer(server)
        _ = try await finish(server, try await start(server, image: v1, strategy: "redBlack", desired: 3, loadBalancers: ["shop-prod"]))

        let url = "http://127.0.0.1:\(port)/"
        let (load, pushed) = try await Load.during(url) { load in
            try await waitUntil("traffic on version 1") { load.ok > 50 }
            let started = try await HTTP.postForm(server.url + "/local/push/startRolling", [
                ("name", "shop-prod-v000"), ("imageId", v2), ("concurrentRelaunches", "2")])
            let done = try await finish(server, started)
            let atEnd = load.ok
            try await waitUntil("traffic after the push and 2,000 requests in all", seconds: 120) { load.ok > atEnd + 50 && load.ok >= 2_000 }
            return done
        }
        #expect(load.failures.isEmpty, "\(load.failures.prefix(3))")
        #expect(pushed.newGroup == "shop-prod-v000", "a rolling push stays in the same group")
        #expect(pushed.log?.filter { $0.message.hasPrefix("Relaunching") }.count == 2, "3 instances, 2 at a time: 2 slots")
        let group = try await LocalCloudTests().group(server, "shop-prod-v000")
        #expect(group.imageId.rawValue == v2)
        #expect(group.instances.count == 3)
        #expect(group.instances.allSatisfy { $0.imageId.rawValue == v2 && $0.lifecycleState == .inService })
        for _ in 0..<10 { #expect(try await version(port) == "2.0.0") }
    }

    @Test func webhooksHearAboutDeploymentsAndABrokenOneHoldsNothingUp() async throws {
        let scratch = try Scratch("deploy-webhook")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let hook = try WebhookReceiver(scratch)
        defer { hook.stop() }

        try await registerShop(server)
        let v1 = try await registerVersion(server, "1.0.0")
        _ = try await LoadBalancerTests().createBalancer(server)
        func startWithHook(_ url: String) async throws -> HTTP.Reply {
            let document: [String: Any] = ["cluster": "shop-prod", "imageId": v1, "strategy": "redBlack", "capacity": ["desired": 1],
                                           "loadBalancers": ["shop-prod"], "notification": ["webhookUrl": url]]
            return try await HTTP.postJSON(server.url + "/local/deployment/start", try JSONSerialization.data(withJSONObject: document))
        }
        let bad = try await startWithHook("ftp://example.com/hook")
        #expect(bad.status == 400)
        #expect(bad.text.contains("must be an http:// or https:// URL"))

        let done = try await finish(server, try await startWithHook(hook.url))
        try await waitUntil("both events at the webhook") { hook.events.contains("started") && hook.events.contains("succeeded") }
        let lines = try String(contentsOfFile: hook.path, encoding: .utf8)
        #expect(lines.contains("\"taskId\":\(done.id.rawValue)"))
        #expect(lines.contains("\"newGroup\":\"shop-prod-v000\""))

        // A webhook nobody answers: the deployment does not wait for it.
        let started = ContinuousClock.now
        _ = try await finish(server, try await startWithHook("http://127.0.0.1:\(try freePort())/nobody"))
        #expect(ContinuousClock.now - started < .seconds(20))
    }
}
