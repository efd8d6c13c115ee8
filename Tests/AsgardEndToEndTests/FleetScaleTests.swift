import AsgardAPI
import AsgardCore
import AsgardTestSupport
import Foundation
import Testing

/// A region of 20,000 instances (the fleet simulator: moto cannot serve such a fleet) through
/// the real server: it fills, pages, filters, answers 304 to an unchanged list, and shows a change
/// made through the console as soon as the call returns.
@Suite("Fleet scale", .serialized, .heavy)
struct FleetScaleTests {
    static let instances = 20_000

    func list(_ server: ServerProcess, _ query: String, headers: [(String, String)] = []) async throws -> (ids: [String], total: Int?, reply: HTTP.Reply) {
        let reply = try await HTTP.get(server.url + "/us-east-1/instance/list.json" + query, headers: headers)
        let listed = reply.status == 200 ? try APIJSON.decoder().decode([InstanceRecord].self, from: reply.body) : []
        return (listed.map(\.instanceId.rawValue), reply.headers["x-total-count"].flatMap(Int.init), reply)
    }

    @Test func twentyThousandInstancesPageFilterAnswer304AndShowAChangeAtOnce() async throws {
        let script = Binaries.packageRoot.appendingPathComponent("Tests/aws/fleet_sim.py").path
        // 400 groups of 50 over 100 applications: four groups (one cluster) each.
        let simulator = try await FleetSimulator(script: script, instances: Self.instances, groupSize: 50, apps: 100, loadBalancers: 4)
        defer { simulator.stop() }
        let scratch = try Scratch("fleet-scale")
        defer { scratch.remove() }
        let server = try await AWSProviderTests.server(simulator.url, scratch, extra: "aws:\n  requestsPerSecond: 1000")
        defer { server.stop() }

        // The region fills; until then the list answers 503 saying it is being read, never hangs.
        var first: (ids: [String], total: Int?, reply: HTTP.Reply)?
        try await waitUntil("the whole region is read", seconds: 300) {
            let answer = try await list(server, "?limit=1")
            #expect([200, 503].contains(answer.reply.status), "\(answer.reply.status): \(answer.reply.text.prefix(300))")
            first = answer
            return answer.total == Self.instances
        }
        #expect(first?.ids.count == 1)

        // Windows: disjoint, the total each time, the last one short.
        let a = try await list(server, "?limit=1000&offset=0"), b = try await list(server, "?limit=1000&offset=1000")
        #expect(a.ids.count == 1000 && b.ids.count == 1000 && Set(a.ids).isDisjoint(with: b.ids))
        let last = try await list(server, "?limit=1000&offset=19500")
        #expect(last.ids.count == 500 && last.total == Self.instances)
        // Filters: one application (one cluster of four groups of 50), one group by name, a state.
        let app = try await list(server, "?app=app0007&limit=10")
        #expect(app.total == 200 && app.ids.count == 10, "\(app.total.map(String.init) ?? "none")")
        let groups = try APIJSON.decoder().decode([ServerGroupJSON].self, from: try await HTTP.get(server.url + "/us-east-1/autoScaling/list.json?app=app0007").body)
        #expect(groups.count == 4 && Set(groups.map(\.cluster)) == ["app0007-prod"], "\(groups.map(\.autoScalingGroupName))")
        let group = try #require(groups.first)
        let members = try await list(server, "?q=\(group.autoScalingGroupName)")
        #expect(members.total == 50)
        #expect(try await list(server, "?state=InService&limit=1").total == Self.instances)
        let clusters = try await HTTP.get(server.url + "/us-east-1/cluster/list.json?app=app0007")
        #expect(clusters.headers["x-total-count"] == "1")

        // The unchanged whole list: the same ETag, 304 to it.
        let whole = try await list(server, "")
        let etag = try #require(whole.reply.headers["etag"])
        #expect(whole.ids.count == Self.instances)
        let again = try await list(server, "", headers: [("If-None-Match", etag)])
        #expect(again.reply.status == 304 && again.reply.body.isEmpty)

        // A change through the console shows in every list as soon as its call returns.
        let grown = group.desiredCapacity + 1
        let updated = try await HTTP.postForm(server.url + "/us-east-1/autoScaling/update",
                                              [("name", group.autoScalingGroupName), ("minSize", "0"), ("desiredCapacity", String(grown)), ("maxSize", String(max(grown, group.maxSize)))],
                                              accept: "application/json")
        #expect(updated.status == 200, "\(updated.text)")
        let shown = try APIJSON.decoder().decode([ServerGroupJSON].self, from: try await HTTP.get(server.url + "/us-east-1/autoScaling/list.json?q=\(group.autoScalingGroupName)").body)
        #expect(shown.first?.desiredCapacity == grown)
        let changed = try await list(server, "", headers: [("If-None-Match", etag)])
        #expect(changed.reply.status == 200 && changed.reply.headers["etag"] != etag)
        #expect(try await list(server, "?q=\(group.autoScalingGroupName)").total == 51, "the simulator launches the instance at once")
    }

    /// The simulator answers like AWS (as moto plays it) wherever the console reads: the same
    /// fleet built in both, each read sent to both, the element paths, tokens and values compared.
    @Test func theSimulatorAnswersAsMotoDoesForTheSameFleet() async throws {
        let script = Binaries.packageRoot.appendingPathComponent("Tests/aws/fleet_sim_check.py").path
        let checked = try await runWithoutBlocking("/usr/bin/env", ["python3", script])
        #expect(checked.status == 0, "\(checked.stdout.suffix(3000))\n\(checked.stderr.suffix(2000))")
        #expect(checked.stdout.contains("DescribeInstances"), "\(checked.stdout.suffix(2000))")
    }
}
