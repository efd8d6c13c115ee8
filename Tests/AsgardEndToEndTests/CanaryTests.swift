import AsgardAPI
import AsgardCore
import Foundation
import Testing

/// Canary deployments end to end: exact traffic shares through the real load balancer, the judge
/// on live metrics, and the automatic rollback of a bad version.
@Suite("Canary deployments", .serialized, .heavy)
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

    /// Requests the load balancer sent to each group so far.
    func counts(_ server: ServerProcess) async throws -> [String: Int] {
        let balancer = try APIJSON.decoder().decode(LoadBalancerJSON.self, from: try await HTTP.get(server.url + "/local/loadBalancer/show/shop-prod.json").body)
        return Dictionary(uniqueKeysWithValues: (balancer.traffic?.groups ?? []).map { ($0.name, $0.requests.total) })
    }

    @Test func aGoodVersionReachesAllTheTrafficWithExactShares() async throws {
        let scratch = try Scratch("canary-good")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let (_, v2, port) = try await custom.shopOnVersion1(server)
        let (done, measured) = try await custom.underLoad(port) { _ in
            // Few requests are enough to judge: the test machine may be busy with other suites.
            let id = try await canary(server, image: v2, steps: [
                ["setWeight": 20], ["pause": [String: Int]()],
                ["setWeight": 50], ["analyze": ["durationSeconds": 3, "intervalSeconds": 1]], ["setWeight": 100]], analysis: ["minimumRequests": 15])
            try await waitUntil("the pause at 20 %") { try await custom.base.deployment(server, id).status == .waiting }
            // The share over the next 1,000 requests, however long they take.
            let before = try await counts(server)
            var after = before
            try await waitUntil("1,000 requests at 20 %", seconds: 120) {
                after = try await counts(server)
                return after.values.reduce(0, +) - before.values.reduce(0, +) >= 1_000
            }
            let canary = (after["shop-prod-v001"] ?? 0) - (before["shop-prod-v001"] ?? 0)
            let total = after.values.reduce(0, +) - before.values.reduce(0, +)
            let proceeded = try await HTTP.postForm(server.url + "/deployment/proceed", [("id", String(id))])
            #expect(proceeded.status == 200, "\(proceeded.text)")
            return (try await custom.ended(server, id, seconds: 120), (canary, total))
        }
        let log = done.log?.map(\.message) ?? []
        #expect(done.status == .succeeded, "\(log)")
        #expect(done.strategy == .canary)
        #expect(done.steps.map(\.name) == [.createGroup, .setWeight, .pause, .setWeight, .analyze, .setWeight, .promote])
        let atFifth = 100 * Double(measured.0) / Double(measured.1)
        #expect(abs(atFifth - 20) <= 2, "the canary's share at 20 %: \(atFifth) % of \(measured.1) requests")
        #expect(done.intervals?.count == 3)
        #expect(done.intervals?.last?.verdict.outcome == .pass, "\(done.intervals?.map(\.verdict.reason) ?? [])")
        // Smooth weighted round robin: exact over any window, so also over the analysis's.
        let (atHalf, total) = share(done, at: 50)
        #expect(total >= 30 && abs(atHalf - 50) <= 2, "the canary's share at 50 %: \(atHalf) % of \(total)")
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
            let id = try await canary(server, image: bad, steps: [["setWeight": 10], ["analyze": ["durationSeconds": 30, "intervalSeconds": 1]], ["setWeight": 100]],
                                      analysis: ["minimumRequests": 20])
            let done = try await custom.ended(server, id, seconds: 120)
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
        // The task page says where the canary's share went, not the share it had.
        let page = try await HTTP.get(server.url + "/task/show/\(done.id)", accept: "text/html")
        #expect(page.text.contains("was rolled back: it gets no requests (it had 10 % when it stopped)"), "\(page.text.prefix(3000))")
        #expect(!page.text.contains("gets <b>10 %</b>"))
    }

    @Test func theSequentialJudgeRollsABadVersionBackWithinSecondsOfItsFirstRequests() async throws {
        let scratch = try Scratch("canary-sequential")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let (_, _, port) = try await custom.shopOnVersion1(server)
        let bad = try await custom.base.registerVersion(server, "2.0.0-bad", extra: ["--error-rate", "0.3"])
        let (load, done) = try await Load.during("http://127.0.0.1:\(port)/") { load in
            try await waitUntil("traffic before the canary") { load.ok > 200 }
            let id = try await canary(server, image: bad, steps: [["setWeight": 10], ["analyze": ["durationSeconds": 60, "intervalSeconds": 10]], ["setWeight": 100]],
                                      analysis: ["judge": "sequential", "alpha": 0.01])
            return try await custom.ended(server, id, seconds: 120)
        }
        let log = done.log?.map(\.message) ?? []
        #expect(done.status == .failed)
        #expect(done.rollbackReason?.hasPrefix("canary failed: errors: the canary had") == true, "\(done.rollbackReason ?? "")")
        #expect(log.contains { $0.hasPrefix("Analyzing shop-prod-v001 against shop-prod-v000 for 60 s with the sequential judge (α = 0.01") }, "\(log)")
        // Decided within seconds of the canary's first requests, not at the end of a 10 s interval.
        let verdict = try #require(log.first { $0.hasPrefix("The sequential judge failed the canary after ") }, "\(log)")
        let seconds = Int(verdict.dropFirst("The sequential judge failed the canary after ".count).prefix { $0.isNumber }) ?? .max
        #expect(seconds <= 3, "\(verdict)")
        #expect(Double(load.failures.count) <= 0.12 * 0.3 * Double(load.ok + load.failures.count) + 5)
        #expect(try await custom.versions(port, 50) == ["1.0.0"])
        // Refused up front: an unknown judge, an α out of range.
        for (analysis, message) in [(["judge": "bayes"], "bayes"), (["judge": "sequential", "alpha": 0.5], "alpha 0.5 must be above 0 and at most 0.2")] as [([String: Any], String)] {
            let document: [String: Any] = ["cluster": "shop-prod", "imageId": bad, "strategy": "canary", "capacity": ["min": 1, "desired": 2, "max": 4],
                                           "canary": ["steps": [["setWeight": 10], ["analyze": ["durationSeconds": 60]]], "analysis": analysis]]
            let refused = try await HTTP.postJSON(server.url + "/local/deployment/start", try JSONSerialization.data(withJSONObject: document))
            #expect(refused.status == 400 && refused.text.contains(message), "\(refused.text)")
        }
    }

    @Test func aGoodCanaryPassesEachStepOnceShownWithinToleranceAfterItsMinimum() async throws {
        let scratch = try Scratch("canary-promotion")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let (_, v2, port) = try await custom.shopOnVersion1(server)
        let done = try await custom.underLoad(port) { _ in
            let analyze: [String: Any] = ["analyze": ["durationSeconds": 300, "intervalSeconds": 10, "minimumSeconds": 30]]
            let id = try await canary(server, image: v2, steps: [["setWeight": 40], analyze, ["setWeight": 60], analyze, ["setWeight": 100]],
                                      analysis: ["judge": "sequential"])
            return try await custom.ended(server, id, seconds: 800)
        }
        let log = done.log?.map(\.message) ?? []
        #expect(done.status == .succeeded, "\(log)")
        // Each step passed early: after its 30 s minimum, before its 300 s.
        let early = log.filter { $0.hasPrefix("The canary passed early, after ") }
        let seconds = early.map { Int($0.dropFirst("The canary passed early, after ".count).prefix { $0.isNumber }) ?? -1 }
        #expect(seconds.count == 2 && seconds.allSatisfy { (30..<300).contains($0) }, "\(early)")
        #expect(early.allSatisfy { $0.contains("shown below") && $0.contains("shown no more frequent than the baseline's") }, "\(early)")
        // The evidence, second by second, with the moment of each decision.
        let evidence = done.evidence ?? []
        let decisions = evidence.compactMap { point in point.decision.map { (point.step, $0) } }
        #expect(decisions.map(\.1) == ["promoted", "promoted"] && Set(decisions.map(\.0)).count == 2, "\(decisions)")
        #expect(evidence.count >= 60 && evidence.allSatisfy { $0.metrics.map(\.name) == ["split", "errors", "latency", "latencyTail"] })
        let last = try #require(evidence.last)
        #expect(last.weight == 60 && last.metrics.allSatisfy { !$0.decided }, "\(last.metrics)")
        #expect(last.metrics.first { $0.name == "latency" }?.rateRatio.map { $0.upperBound < 1 } == true, "\(last.metrics)")
        // The task page charts it: evidence against the threshold, the rate ratio, the last figures.
        let page = try await HTTP.get(server.url + "/deployment/show/\(done.id)", accept: "text/html")
        for id in ["evidence-split", "evidence-errors", "evidence-latency", "ratio-errors", "ratio-latencyTail", "sequential-metrics"] {
            #expect(page.text.contains("id=\"\(id)"), "\(id)")
        }
        #expect(page.text.contains("fails at 1/α = 200") && page.text.contains("at the decision (promoted"), "the thresholds and the decision are shown")
        #expect(try await custom.versions(port) == ["2.0.0"])
    }

    @Test func aWatchedRollingPushStopsAtABadBatchAndRollsItBackAndLetsAGoodOneThrough() async throws {
        let scratch = try Scratch("rolling-watched")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let (_, v2, port) = try await custom.shopOnVersion1(server)
        let bad = try await custom.base.registerVersion(server, "2.0.0-bad", extra: ["--error-rate", "0.3"])
        let (_, outcomes) = try await Load.during("http://127.0.0.1:\(port)/") { load in
            try await waitUntil("traffic before the push") { load.ok > 200 }
            let watched: [String: Any] = ["strategy": "rolling", "capacity": ["desired": 2], "watchSeconds": "120", "minimumSeconds": "5"]
            let stopped = try await custom.ended(server, try await custom.start(server, watched.merging(["imageId": bad]) { $1 }), seconds: 240)
            // The good one through the CLI.
            let cli = try await CLI(server).nonBlocking("deploy", "shop-prod", "--image", v2, "--strategy", "rolling", "--desired", "2", "--watch-seconds", "60",
                                      "--minimum-seconds", "5", "--wait")
            #expect(cli.status == 0, "\(cli.stdout) \(cli.stderr)")
            let id = try #require(Int64(cli.stdout.dropFirst("Started deployment ".count).prefix { $0.isNumber }), "\(cli.stdout)")
            let passed = try await custom.ended(server, id, seconds: 240)
            return (stopped, passed)
        }
        let (stopped, passed) = outcomes
        // The bad batch: failed within seconds of its first requests, and replaced back.
        let log = stopped.log?.map(\.message) ?? []
        #expect(stopped.status == .failed, "\(log)")
        #expect(stopped.rollbackReason?.hasPrefix("rolling push stopped at batch 1: errors: the canary had") == true, "\(stopped.rollbackReason ?? "")")
        #expect(log.contains { $0.hasPrefix("Watching batch 1 for 120 s with the sequential judge (α = 0.01)") }, "\(log)")
        let verdict = try #require(log.first { $0.hasPrefix("The sequential judge found batch 1 worse than the old instances after ") }, "\(log)")
        let seconds = Int(verdict.dropFirst("The sequential judge found batch 1 worse than the old instances after ".count).prefix { $0.isNumber }) ?? .max
        #expect(seconds <= 10, "\(verdict)")
        #expect(log.contains { $0.contains("1 instance replaced back") }, "what was replaced goes back to version 1: \(log)")
        let last = try #require(stopped.evidence?.last)
        #expect(last.batch == 1 && last.decision == "fail", "\(last)")
        // The good one: its first batch passed early, the last had nothing old to compare with.
        let goodLog = passed.log?.map(\.message) ?? []
        #expect(passed.status == .succeeded, "\(goodLog)")
        // Early once shown within tolerance, or at the watch's end on a busy machine.
        #expect(goodLog.contains { $0.hasPrefix("Batch 1 passed early, after ") || $0.hasPrefix("Batch 1 passed: no test crossed its threshold") }, "\(goodLog)")
        #expect(goodLog.contains("Batch 2 is not watched: no instance of the old image is left to compare with"), "\(goodLog)")
        let page = try await HTTP.get(server.url + "/deployment/show/\(passed.id)", accept: "text/html")
        #expect(page.text.contains("Batches watched by the sequential judge") && page.text.contains("id=\"evidence-errors\""))
        #expect(try await custom.versions(port) == ["2.0.0"])
        let group = try await LocalCloudTests().group(server, "shop-prod-v000")
        #expect(group.instances.allSatisfy { $0.imageId.rawValue == v2 }, "\(group.instances)")
        // Refused up front: a watch out of range, an α out of range.
        for (field, value, message) in [("watchSeconds", "-1", "'-1' must be a whole number from 0 to 86400"), ("alpha", "0.5", "'0.5' must be a number above 0 and at most 0.2")] {
            let document: [String: Any] = ["cluster": "shop-prod", "imageId": v2, "strategy": "rolling", "capacity": ["desired": 2], field: value]
            let refused = try await HTTP.postJSON(server.url + "/local/deployment/start", try JSONSerialization.data(withJSONObject: document))
            #expect(refused.status == 400 && refused.text.contains(message), "\(refused.text)")
        }
    }

    @Test func aSlowVersionIsRolledBackOnLatency() async throws {
        let scratch = try Scratch("canary-latency")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let (_, _, port) = try await custom.shopOnVersion1(server)
        let slow = try await custom.base.registerVersion(server, "2.0.0-slow", extra: ["--latency-ms", "200"])
        let done = try await custom.underLoad(port, minimum: 500) { _ in
            let id = try await canary(server, image: slow, steps: [["setWeight": 25], ["analyze": ["durationSeconds": 30, "intervalSeconds": 1]], ["setWeight": 100]],
                                      analysis: ["minimumRequests": 20])
            return try await custom.ended(server, id, seconds: 120)
        }
        #expect(done.status == .failed)
        let reason = done.rollbackReason ?? ""
        #expect(reason.hasPrefix("canary failed: score 65 < marginal 75: latency"), "\(reason)")
        let last = try #require(done.intervals?.last)
        #expect(last.verdict.metrics.first { $0.name == "latency" }?.classification == .high)
        #expect(last.canary.p50 >= 200, "\(last.canary)")
        #expect(try await custom.versions(port) == ["1.0.0"])
    }

    @Test func aFreshBaselineTakesAsMuchTrafficAsTheCanaryAndGoesAtTheEnd() async throws {
        let scratch = try Scratch("canary-fresh")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let (_, v2, port) = try await custom.shopOnVersion1(server)
        let done = try await custom.underLoad(port) { _ in
            let id = try await custom.start(server, ["imageId": v2, "strategy": "canary", "capacity": ["desired": 1],
                                                     "canary": ["baseline": "fresh", "analysis": ["minimumRequests": 10],
                                                                "steps": [["setWeight": 20], ["analyze": ["durationSeconds": 4, "intervalSeconds": 1]], ["setWeight": 100]]]])
            try await waitUntil("the analysis") { try await custom.base.deployment(server, id).intervals?.isEmpty == false }
            let groups = try await LocalCloudTests().cluster(server, "shop-prod").map(\.autoScalingGroupName)
            #expect(groups == ["shop-prod-v000", "shop-prod-v001", "shop-prod-v002"], "the baseline runs next to the canary")
            return try await custom.ended(server, id, seconds: 120)
        }
        #expect(done.status == .succeeded, "\(done.log?.map(\.message) ?? [])")
        #expect(done.baselineGroup == "shop-prod-v002")
        #expect(done.steps.map(\.name) == [.createGroup, .createBaseline, .setWeight, .analyze, .setWeight, .promote])
        let intervals = done.intervals ?? []
        let canary = intervals.reduce(0) { $0 + $1.canary.requests }, baseline = intervals.reduce(0) { $0 + $1.baseline.requests }
        #expect(canary >= 20 && abs(canary - baseline) <= max(3, canary / 10), "equal shares: canary \(canary), baseline \(baseline)")
        let groups = try await LocalCloudTests().cluster(server, "shop-prod")
        #expect(groups.map(\.autoScalingGroupName) == ["shop-prod-v000", "shop-prod-v001"], "the baseline is deleted at the end")
        #expect(groups.filter { $0.trafficState == "enabled" }.map(\.autoScalingGroupName) == ["shop-prod-v001"])
        #expect(try await custom.versions(port) == ["2.0.0"])
    }

    @Test func badCanarySettingsAreRefusedSayingWhy() async throws {
        let scratch = try Scratch("canary-bad")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        try await registerShop(server)
        let v1 = try await custom.base.registerVersion(server, "1.0.0")
        func refused(_ canary: Any?, _ expected: String) async throws {
            var document: [String: Any] = ["cluster": "shop-prod", "imageId": v1, "strategy": "canary", "capacity": ["desired": 1]]
            if let canary { document["canary"] = canary }
            let reply = try await HTTP.postJSON(server.url + "/local/deployment/start", try JSONSerialization.data(withJSONObject: document))
            #expect(reply.status == 400, "\(reply.text)")
            #expect(reply.text.contains(expected), "\(reply.text)")
        }
        try await refused(nil, "a canary deployment needs")
        try await refused(["steps": [["setWeight": 120]]], "setWeight 120 must be from 0 to 100")
        try await refused(["steps": [["analyze": ["durationSeconds": 5]]]], "analyze needs a setWeight above 0 before it")
        try await refused(["steps": [["jump": 3]]], "a canary step is")
        try await refused(["steps": [["setWeight": 10]], "analysis": ["pass": 50, "marginal": 80]], "needs 0 <= marginal <= pass <= 100")
        try await refused(["steps": [["setWeight": 10]], "baseline": "yesterday"], "canary: is not valid")
        try await refused(["steps": [["setWeight": 10]]], "has no enabled server group to compare a canary with")
        let cli = try CLI(server)("deploy", "shop-prod", "--image", v1, "--strategy", "canary", "--steps", "5,x", "--desired", "1")
        #expect(cli.status != 0)
        #expect(cli.stderr.contains("canaryWeights: '5,x' must be percentages separated by commas"), "\(cli.stderr)")
    }
}
