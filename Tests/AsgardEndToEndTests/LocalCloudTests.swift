import AsgardAPI
import AsgardCore
import Foundation
import Testing

/// The local cloud end to end: the real server, the real sample app as instances.
@Suite("Local server groups", .serialized)
struct LocalCloudTests {
    static var sampleApp: String {
        URL(fileURLWithPath: Binaries.asgard).deletingLastPathComponent().appendingPathComponent("asgard-sample-app").path
    }

    func registerSample(_ server: ServerProcess) async throws -> String {
        try await registerShop(server)
        let body = try JSONSerialization.data(withJSONObject: ["name": "shop", "version": "1.0.0",
                                                               "command": [LocalCloudTests.sampleApp, "--version-label", "1.0.0"]])
        let reply = try await HTTP.postJSON(server.url + "/local/image/register", body)
        #expect(reply.status == 201, "\(reply.text)")
        return try APIJSON.decoder().decode(ImageRecord.self, from: reply.body).imageId.rawValue
    }

    func group(_ server: ServerProcess, _ name: String) async throws -> ServerGroupJSON {
        try APIJSON.decoder().decode(ServerGroupJSON.self, from: try await HTTP.get(server.url + "/local/autoScaling/show/\(name).json").body)
    }

    /// The groups of a cluster, oldest first.
    func cluster(_ server: ServerProcess, _ name: String) async throws -> [ServerGroupJSON] {
        try APIJSON.decoder().decode(ClusterJSON.self, from: try await HTTP.get(server.url + "/local/cluster/show/\(name).json").body).autoScalingGroups
    }

    func inService(_ group: ServerGroupJSON) -> [InstanceRecord] {
        group.instances.filter { $0.lifecycleState == .inService }
    }

    func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    @Test func groupsKeepTheirCapacityReplaceDeadInstancesAndHonourSuspensions() async throws {
        let scratch = try Scratch("local-cloud")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let imageId = try await registerSample(server)

        let created = try await HTTP.postForm(server.url + "/local/autoScaling/save", [
            ("appName", "shop"), ("stack", "prod"), ("imageId", imageId), ("minSize", "1"), ("desiredCapacity", "2"), ("maxSize", "3")])
        #expect(created.status == 201, "\(created.text)")
        let name = try APIJSON.decoder().decode(ServerGroupJSON.self, from: created.body).autoScalingGroupName
        #expect(name == "shop-prod-v000")
        let unregistered = try await HTTP.postForm(server.url + "/local/autoScaling/save", [("appName", "cart"), ("imageId", imageId)])
        #expect(unregistered.status == 400)
        #expect(unregistered.text.contains("'cart' is not a registered application"))
        let badProcess = try await HTTP.postForm(server.url + "/local/autoScaling/update", [("name", name), ("suspendedProcesses", "Launch,Nap")])
        #expect(badProcess.status == 400)
        #expect(badProcess.text.contains("suspendedProcesses: 'Nap' is not one of Launch, Terminate, HealthCheck, ReplaceUnhealthy, AddToLoadBalancer"))
        let badPolicy = try await HTTP.postForm(server.url + "/local/autoScaling/update", [("name", name), ("terminationPolicies", "Random")])
        #expect(badPolicy.status == 400)
        #expect(try await group(server, name).suspendedProcesses.isEmpty)
        let imageInUse = try await HTTP.postForm(server.url + "/local/image/delete", [("imageId", imageId)])
        #expect(imageInUse.status == 409)
        #expect(imageInUse.text.contains("is used by server group shop-prod-v000"))
        try await waitUntil("two instances in service") { inService(try await group(server, name)).count == 2 }

        // Each instance is the sample app on its own port, knowing its id and its group's name.
        var first = try await group(server, name)
        for instance in first.instances {
            let reply = try await HTTP.get("http://127.0.0.1:\(instance.port)/", token: nil)
            #expect(reply.text.contains("\"instanceId\": \"\(instance.instanceId)\""))
        }
        let console = try await HTTP.get(server.url + "/local/instance/consoleOutput/\(first.instances[0].instanceId)", accept: "*/*")
        #expect(console.status == 200)

        // A killed process is replaced.
        let victim = first.instances[0]
        kill(try #require(victim.pid), SIGKILL)
        try await waitUntil("the killed instance to be replaced") {
            let now = try await group(server, name)
            return inService(now).count == 2 && !now.instances.contains { $0.instanceId == victim.instanceId }
        }
        let history = try await HTTP.get(server.url + "/local/instance/show/\(victim.instanceId).json")
        let ended = try APIJSON.decoder().decode(InstanceRecord.self, from: history.body)
        #expect(ended.lifecycleState == .terminated)
        // Its exit status is told, not only that it ended.
        #expect(ended.statusReason == "an instance was taken out of service in response to a failed health check: the instance's process ended: it was killed by signal 9 (Killed)")

        // Scale in ends one; its process goes.
        first = try await group(server, name)
        let update = try await HTTP.postForm(server.url + "/local/autoScaling/update", [("name", name), ("desiredCapacity", "1")])
        #expect(update.status == 200)
        try await waitUntil("one instance left") { try await group(server, name).instances.count == 1 }
        let kept = try #require(try await group(server, name).instances.first)
        for instance in first.instances where instance.instanceId != kept.instanceId {
            #expect(!isRunning(try #require(instance.pid)))
        }

        // With Launch suspended, a dead instance is ended but not replaced.
        _ = try await HTTP.postForm(server.url + "/local/autoScaling/update", [("name", name), ("suspendedProcesses", "Launch")])
        let last = try #require(try await group(server, name).instances.first)
        kill(try #require(last.pid), SIGKILL)
        try await waitUntil("the dead instance to be ended") { try await group(server, name).instances.isEmpty }
        #expect(try await group(server, name).desiredCapacity == 1)
        // Resuming Launch brings it back.
        _ = try await HTTP.postForm(server.url + "/local/autoScaling/update", [("name", name), ("suspendedProcesses", "")])
        try await waitUntil("a new instance") { inService(try await group(server, name)).count == 1 }

        // Terminate and shrink leaves nothing to replace; then the group can go.
        let remaining = try #require(try await group(server, name).instances.first)
        let terminated = try await HTTP.postForm(server.url + "/local/instance/terminate",
                                                 [("instanceId", remaining.instanceId.rawValue), ("shrink", "true")])
        #expect(terminated.status == 200)
        #expect(!isRunning(try #require(remaining.pid)))
        let shrunk = try await group(server, name)
        #expect(shrunk.desiredCapacity == 0)
        #expect(shrunk.instances.isEmpty)
        let deleted = try await HTTP.postForm(server.url + "/local/autoScaling/delete", [("name", name)])
        #expect(deleted.status == 200, "\(deleted.text)")

        // The next group of the cluster gets the next push version.
        let next = try await HTTP.postForm(server.url + "/local/autoScaling/save", [
            ("appName", "shop"), ("stack", "prod"), ("imageId", imageId), ("desiredCapacity", "0"), ("minSize", "0")])
        #expect(try APIJSON.decoder().decode(ServerGroupJSON.self, from: next.body).autoScalingGroupName == "shop-prod-v000")
        let again = try await HTTP.postForm(server.url + "/local/autoScaling/save", [
            ("appName", "shop"), ("stack", "prod"), ("imageId", imageId), ("desiredCapacity", "0"), ("minSize", "0")])
        #expect(try APIJSON.decoder().decode(ServerGroupJSON.self, from: again.body).autoScalingGroupName == "shop-prod-v001")
    }

    @Test func afterAKillOfTheServerItReadoptsItsInstancesAndAGracefulStopEndsThem() async throws {
        let scratch = try Scratch("local-cloud-restart")
        defer { scratch.remove() }
        let first = try await ServerProcess(dataDir: scratch.path + "/data")
        let imageId = try await registerSample(first)
        _ = try await HTTP.postForm(first.url + "/local/autoScaling/save", [("appName", "shop"), ("imageId", imageId), ("desiredCapacity", "2"), ("maxSize", "2")])
        try await waitUntil("two instances in service") { inService(try await group(first, "shop-v000")).count == 2 }
        let before = try await group(first, "shop-v000").instances
        first.crash()
        #expect(before.allSatisfy { isRunning($0.pid!) })

        let second = try await ServerProcess(dataDir: scratch.path + "/data")
        try await waitUntil("the instances to be seen again") { inService(try await group(second, "shop-v000")).count == 2 }
        let after = try await group(second, "shop-v000").instances
        #expect(Set(after.map(\.instanceId)) == Set(before.map(\.instanceId)))
        #expect(Set(after.compactMap(\.pid)) == Set(before.compactMap(\.pid)))
        second.stop()
        try await waitUntil("no instance process to be left") { before.allSatisfy { !isRunning($0.pid!) } }
    }

    @Test func aGroupWhoseInstancesDieAtOnceBacksOffInsteadOfSpinning() async throws {
        let scratch = try Scratch("local-cloud-backoff")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        _ = try await HTTP.postForm(server.url + "/application/save", [("name", "broken"), ("owner", "team"), ("email", "b@example.com")])
        let body = try JSONSerialization.data(withJSONObject: ["name": "broken", "version": "1", "command": ["/bin/sh", "-c", "exit 1"]])
        let image = try APIJSON.decoder().decode(ImageRecord.self, from: try await HTTP.postJSON(server.url + "/local/image/register", body).body)
        _ = try await HTTP.postForm(server.url + "/local/autoScaling/save", [("appName", "broken"), ("imageId", image.imageId.rawValue)])
        var launches: [Date] = []
        try await waitUntil("four launches", seconds: 40) {
            let reply = try await HTTP.get(server.url + "/local/instance/list.json?includeTerminated=true")
            launches = try APIJSON.decoder().decode([InstanceRecord].self, from: reply.body).map(\.launchTime).sorted()
            return launches.count >= 4
        }
        // Waits of at least 1, 2 and 4 seconds between launches (whole-second timestamps, so allow one second less).
        let gaps = zip(launches.dropFirst(), launches).map { $0.timeIntervalSince($1) }
        #expect(gaps[0] >= 0)
        #expect(gaps[1] >= 1)
        #expect(gaps[2] >= 3)
    }
}

