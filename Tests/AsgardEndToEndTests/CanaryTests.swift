import AsgardAPI
import AsgardCore
import Foundation
import Testing

/// Canary deployments end to end: exact traffic shares through the real load balancer, the judge
/// on live metrics, and the automatic rollback of a bad version.
@Suite("Canary deployments", .serialized)
struct CanaryTests {
    let custom = CustomDeploymentTests()

    func canary(_ server: ServerProcess, image: String, steps: [[String: Any]], analysis: [String: Any]? = nil) async throws -> Int64 {
        var settings: [String: Any] = ["steps": steps]
        if let analysis { settings["analysis"] = analysis }
        return try await custom.start(server, ["imageId": image, "strategy": "canary", "capacity": ["min": 1, "desired": 2, "max": 4], "canary": settings])
    }

    /// The canary's measured share of the requests at `weight`, over every interval at that weight.
    func share(_ deployment: DeploymentJSON, at weight: Int) -> (share: Double, total: Int) {
        let intervals = (deployment.intervals ?? []).filter { $0.weight == weight }
        let canary = intervals.reduce(0) { $0 + $1.canary.requests }, baseline = intervals.reduce(0) { $0 + $1.baseline.requests }
        return (100 * Double(canary) / Double(max(1, canary + baseline)), canary + baseline)
    }

    @Test func aGoodVersionReachesAllTheTrafficWithExactShares() async throws {
        let scratch = try Scratch("canary-good")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let (_, v2, port) = try await custom.shopOnVersion1(server)
        let done = try await custom.underLoad(port) { _ in
            let id = try await canary(server, image: v2, steps: [
                ["setWeight": 20], ["analyze": ["durationSeconds": 3, "intervalSeconds": 1]],
                ["setWeight": 50], ["analyze": ["durationSeconds": 2, "intervalSeconds": 1]], ["setWeight": 100]])
            return try await custom.ended(server, id)
        }
        let log = done.log?.map(\.message) ?? []
        #expect(done.status == .succeeded, "\(log)")
        #expect(done.strategy == .canary)
        #expect(done.steps.map(\.name) == [.createGroup, .setWeight, .analyze, .setWeight, .analyze, .setWeight, .promote])
        #expect(done.intervals?.count == 5)
        #expect(done.intervals?.allSatisfy { $0.verdict.outcome == .pass } == true, "\(done.intervals?.map(\.verdict.reason) ?? [])")
        for weight in [20, 50] {
            let (measured, total) = share(done, at: weight)
            #expect(total >= 1_000, "requests at \(weight) %: \(total)")
            #expect(abs(measured - Double(weight)) <= 2, "the canary's share at \(weight) %: \(measured) % of \(total)")
        }
        let first = try #require(done.intervals?.first)
        #expect(first.canary.p50 > 0 && first.baseline.p99 >= first.baseline.p50)
        #expect(!first.canary.latencyHistogram.isEmpty)
        #expect(try await custom.versions(port) == ["2.0.0"])
        let balancer = try APIJSON.decoder().decode(LoadBalancerJSON.self, from: try await HTTP.get(server.url + "/local/loadBalancer/show/shop-prod.json").body)
        #expect(balancer.trafficWeights.isEmpty, "the weights go once the canary has all the traffic")
        let groups = try await LocalCloudTests().cluster(server, "shop-prod")
        #expect(groups.filter { $0.trafficState == "enabled" }.map(\.autoScalingGroupName) == ["shop-prod-v001"])
    }

    @Test func aVersionWithErrorsIsRolledBackWithinASecondOfTheVerdict() async throws {
        let scratch = try Scratch("canary-errors")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let (_, _, port) = try await custom.shopOnVersion1(server)
        let bad = try await custom.base.registerVersion(server, "2.0.0-bad", extra: ["--error-rate", "0.3"])
        let (load, done) = try await Load.during("http://127.0.0.1:\(port)/") { load in
            try await waitUntil("traffic before the canary") { load.ok > 200 }
            let id = try await canary(server, image: bad, steps: [["setWeight": 10], ["analyze": ["durationSeconds": 20, "intervalSeconds": 1]], ["setWeight": 100]])
            let done = try await custom.ended(server, id)
            let atEnd = load.ok + load.failures.count
            try await waitUntil("traffic after the rollback") { load.ok + load.failures.count > atEnd + 300 }
            return done
        }
        let log = done.log?.map(\.message) ?? []
        #expect(done.status == .failed)
        #expect(done.rollbackReason?.hasPrefix("canary failed: critical metric failed: error rate") == true, "\(done.rollbackReason ?? "")")
        #expect(done.rollbackReason?.contains("p < 0.001") == true)
        let zero = try #require(log.first { $0.hasPrefix("The canary gets 0 % of the requests ") }, "\(log)")
        let milliseconds = Int(zero.split(separator: " ").first { Int($0) != nil } ?? "") ?? .max
        #expect(milliseconds < 1_000, "traffic back on the baseline \(milliseconds) ms after the verdict")
        // Only the canary's share of requests failed (30 % of its 10 %).
        let total = load.ok + load.failures.count
        #expect(Double(load.failures.count) <= 0.12 * 0.3 * Double(total) + 5, "\(load.failures.count) failed of \(total)")
        #expect(try await custom.versions(port, 50) == ["1.0.0"])
        #expect(try await LocalCloudTests().group(server, "shop-prod-v001").trafficState == "disabled")
    }

    @Test func aSlowVersionIsRolledBackOnLatency() async throws {
        let scratch = try Scratch("canary-latency")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let (_, _, port) = try await custom.shopOnVersion1(server)
        let slow = try await custom.base.registerVersion(server, "2.0.0-slow", extra: ["--latency-ms", "200"])
        let done = try await custom.underLoad(port, minimum: 500) { _ in
            let id = try await canary(server, image: slow, steps: [["setWeight": 25], ["analyze": ["durationSeconds": 20, "intervalSeconds": 1]], ["setWeight": 100]])
            return try await custom.ended(server, id)
        }
        #expect(done.status == .failed)
        let reason = done.rollbackReason ?? ""
        #expect(reason.hasPrefix("canary failed: score 65 < marginal 75: latency"), "\(reason)")
        let last = try #require(done.intervals?.last)
        #expect(last.verdict.metrics.first { $0.name == "latency" }?.classification == .high)
        #expect(last.canary.p50 >= 200, "\(last.canary)")
        #expect(try await custom.versions(port) == ["1.0.0"])
    }
}
