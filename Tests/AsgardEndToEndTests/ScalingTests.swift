import AsgardAPI
import AsgardCore
import Foundation
import Testing

/// Groups that expand and contract on their own, end to end: metrics collected every second from
/// the real load balancer and processes, a target tracking policy under a real load, a scheduled
/// action on time, alarms calling a step policy, and the history that explains every change.
@Suite("Scaling", .serialized, .heavy)
struct ScalingTests {
    let custom = CustomDeploymentTests()

    /// A server collecting every second, with shop-prod-v000 (1 instance, up to 4) behind shop-prod.
    func shop(_ scratch: Scratch) async throws -> (ServerProcess, Int) {
        let server = try await ServerProcess(dataDir: scratch.path + "/data", extraArguments: ["--metrics-interval", "1"])
        try await registerShop(server)
        let v1 = try await custom.base.registerVersion(server, "1.0.0")
        let port = try await LoadBalancerTests().createBalancer(server)
        _ = try await custom.base.finish(server, try await HTTP.postJSON(server.url + "/local/deployment/start", try JSONSerialization.data(withJSONObject: [
            "cluster": "shop-prod", "imageId": v1, "strategy": "redBlack", "capacity": ["min": 1, "desired": 1, "max": 4], "loadBalancers": ["shop-prod"]])))
        return (server, port)
    }

    func group(_ server: ServerProcess) async throws -> ServerGroupJSON {
        try await LocalCloudTests().group(server, "shop-prod-v000")
    }

    func activities(_ server: ServerProcess, _ name: String = "shop-prod-v000") async throws -> [ScalingActivity] {
        try APIJSON.decoder().decode([ScalingActivity].self, from: try await HTTP.get(server.url + "/local/autoScaling/activities/\(name).json?limit=500").body)
    }

    @Test func aTargetTrackingPolicyGrowsTheGroupUnderLoadAndShrinksItAfterwardsNeverBelowItsMinimum() async throws {
        let scratch = try Scratch("scaling-target")
        defer { scratch.remove() }
        let (server, port) = try await shop(scratch)
        defer { server.stop() }
        let cli = CLI(server)
        // 600 requests per instance per minute: 10 per second, far below what the load sends.
        let saved = try cli("policy", "save", "keep-requests", "--group", "shop-prod-v000", "--metric", "ALBRequestCountPerTarget",
                            "--target-value", "600", "--warmup", "3")
        #expect(saved.status == 0, "\(saved.stderr)")
        let bad = try cli("policy", "save", "broken", "--group", "shop-prod-v000", "--metric", "Bananas", "--target-value", "1")
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("predefinedMetricType: 'Bananas' is not one of ASGAverageCPUUtilization, ALBRequestCountPerTarget"), "\(bad.stderr)")

        // The first instance is protected from scale-in: it is the one that stays.
        let original = try #require(try await group(server).instances.first)
        let protected = try cli("instance", "protect", original.instanceId.rawValue)
        #expect(protected.status == 0, "\(protected.stderr)")
        #expect(try await group(server).instances.first?.isProtected == true)

        let started = ContinuousClock.now
        let (load, grown) = try await Load.during("http://127.0.0.1:\(port)/") { _ in
            var grown = try await group(server)
            try await waitUntil("the group to grow", seconds: 60) {
                grown = try await group(server)
                return grown.desiredCapacity > 1 && grown.instances.filter { $0.lifecycleState == .inService }.count == grown.desiredCapacity
            }
            return grown
        }
        #expect(load.failures.isEmpty, "\(load.failures.prefix(3))")
        #expect(grown.desiredCapacity <= 4, "never above maxSize")
        #expect(ContinuousClock.now - started < .seconds(30), "within the policy's evaluation time and an instance's start")

        // No load: below 90 % of the target for 15 collections, then back to the minimum.
        var shrunk = grown
        try await waitUntil("the group to shrink", seconds: 90) {
            shrunk = try await group(server)
            return shrunk.desiredCapacity == 1 && shrunk.instances.count == 1
        }
        // And it stays there: never below minSize.
        try await waitUntil("a few more collections", seconds: 10) {
            try await activities(server).first.map { Date().timeIntervalSince($0.startTime) > 3 } ?? false
        }
        #expect(try await group(server).desiredCapacity == 1)
        #expect(try await group(server).instances.map(\.instanceId) == [original.instanceId], "the protected instance stays")

        let history = try await activities(server)
        let changes = history.filter { $0.description.hasPrefix("Changing the desired capacity") }
        #expect(changes.contains { $0.description == "Changing the desired capacity from 1 to \(grown.desiredCapacity)" && $0.cause.contains("a target tracking policy keep-requests saw RequestCountPerTarget") && $0.cause.contains("above the target 600") },
                "\(changes.map { "\($0.description): \($0.cause)" })")
        #expect(changes.contains { $0.description.hasSuffix("to 1") && $0.cause.contains("below 90 % of the target 600 for 15 datapoints") })
        let launches = history.filter { $0.description.hasPrefix("Launching a new instance") }
        #expect(launches.count >= grown.desiredCapacity - 1)
        #expect(launches.allSatisfy { $0.cause.contains("launching") || $0.cause.contains("needs") }, "\(launches.map(\.cause))")
        let terminations = history.filter { $0.description.hasPrefix("Terminating instance") }
        #expect(terminations.count >= grown.desiredCapacity - 1)
        #expect(terminations.contains { $0.cause.contains("shrinking") }, "\(terminations.map(\.cause))")
        let policy = try cli("policy", "show", "keep-requests", "--group", "shop-prod-v000")
        #expect(policy.status == 0 && policy.stdout.contains("policyType") && policy.stdout.contains("TargetTrackingScaling"), "\(policy.stdout)")
        let appPage = try await HTTP.get(server.url + "/application/show/shop", accept: "text/html")
        #expect(appPage.text.contains("href=\"/local/cluster/show/shop-prod\""), "the application page links its clusters")
        let shown = try cli("asg", "activities", "shop-prod-v000")
        #expect(shown.status == 0 && shown.stdout.contains("Changing the desired capacity from 1 to"), "\(shown.stdout)")
        // Prometheus counts the policy's two changes by what caused them.
        let metrics = try await HTTP.get(server.url + "/metrics", accept: "*/*").text
        #expect(MetricsTests.samples(metrics, "asgard_scaling_activities_total").contains { $0.labels == ["cause": "TargetTrackingScaling"] && $0.value >= 2 },
                "\(MetricsTests.samples(metrics, "asgard_scaling_activities_total"))")
    }

    @Test func aScheduledActionFiresOnTimeAndAnAlarmCallsAStepPolicy() async throws {
        let scratch = try Scratch("scaling-schedule")
        defer { scratch.remove() }
        let (server, port) = try await shop(scratch)
        defer { server.stop() }
        let cli = CLI(server)
        let formatter = ISO8601DateFormatter()
        // Whole seconds: the start time goes over the wire as ISO 8601 without fractions.
        let at = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 3).rounded(.up))
        let saved = try cli("schedule", "save", "soon", "--group", "shop-prod-v000", "--start-time", formatter.string(from: at), "--desired", "2")
        #expect(saved.status == 0, "\(saved.stderr)")
        let badCron = try cli("schedule", "save", "broken", "--group", "shop-prod-v000", "--recurrence", "61 * * * *", "--desired", "2")
        #expect(badCron.status != 0)
        #expect(badCron.stderr.contains("recurrence: minute '61' must be within 0-59"), "\(badCron.stderr)")
        try await waitUntil("the scheduled action", seconds: 30) { try await group(server).desiredCapacity == 2 }
        let fired = try #require(try await activities(server).first { $0.description == "Changing the desired capacity from 1 to 2" })
        #expect(fired.cause.contains("a scheduled action soon was executed"), "\(fired.cause)")
        #expect(fired.startTime >= at.addingTimeInterval(-0.5) && fired.startTime <= at.addingTimeInterval(3), "on time: \(fired.startTime) for \(at)")

        // A step policy that an alarm on the request rate calls.
        let policy = try await HTTP.postJSON(server.url + "/local/scalingPolicy/save", try JSONSerialization.data(withJSONObject: [
            "policyName": "add-by-steps", "autoScalingGroupName": "shop-prod-v000", "policyType": "StepScaling", "adjustmentType": "ChangeInCapacity",
            "estimatedInstanceWarmup": 60,
            "stepAdjustments": [["metricIntervalLowerBound": 0, "metricIntervalUpperBound": 50, "scalingAdjustment": 1],
                                ["metricIntervalLowerBound": 50, "scalingAdjustment": 2]]]))
        #expect(policy.status == 200, "\(policy.text)")
        let unknown = try cli("alarm", "save", "busy", "--group", "shop-prod-v000", "--metric", "RequestCount", "--threshold", "5",
                              "--comparison", "GreaterThanThreshold", "--period", "1", "--evaluation-periods", "2", "--action", "no-such-policy")
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("'no-such-policy' is not a scaling policy of shop-prod-v000"), "\(unknown.stderr)")
        let alarm = try cli("alarm", "save", "busy", "--group", "shop-prod-v000", "--metric", "RequestCount", "--threshold", "5",
                            "--comparison", "GreaterThanThreshold", "--period", "1", "--evaluation-periods", "2", "--action", "add-by-steps")
        #expect(alarm.status == 0, "\(alarm.stderr)")
        let (load, _) = try await Load.during("http://127.0.0.1:\(port)/") { _ in
            // +1 for a breach under 50 requests a second, +2 above: how busy the machine is decides.
            try await waitUntil("the alarm to call the policy", seconds: 30) { try await group(server).desiredCapacity > 2 }
        }
        #expect(load.failures.isEmpty)
        let shown = try JSONSerialization.jsonObject(with: try await HTTP.get(server.url + "/local/alarm/show/busy.json").body) as? [String: Any]
        #expect(shown?["stateValue"] as? String == "ALARM" || shown?["stateValue"] as? String == "OK", "\(shown ?? [:])")
        let step = try #require(try await activities(server).first { $0.description.hasPrefix("Changing the desired capacity from 2 to ") })
        #expect(step.cause.contains("an alarm busy in breach") && step.cause.contains("policy add-by-steps changed the desired capacity from 2 to "), "\(step.cause)")
        let metrics = try JSONSerialization.jsonObject(with: try await HTTP.get(server.url + "/local/autoScaling/metrics/shop-prod-v000.json").body) as? [String: Any]
        let points = metrics?["datapoints"] as? [[String: Any]] ?? []
        #expect(metrics?["intervalSeconds"] as? Int == 1)
        #expect(points.contains { (($0["values"] as? [String: Any])?["RequestCount"] as? Double ?? 0) > 0 }, "\(points.suffix(2))")
        let page = try await HTTP.get(server.url + "/local/alarm/show/busy", accept: "text/html")
        #expect(page.text.contains("<svg") && page.text.contains("<line class=\"threshold\"") && page.text.contains(">threshold 5</text>"),
                "the alarm's chart with its threshold drawn and labelled")
        #expect(page.text.contains("UTC") && page.text.contains("text-anchor=\"middle\""), "a time axis with clock times")

        // The next group inherits them; a disabled group does not scale.
        let next = try await HTTP.postForm(server.url + "/local/cluster/createNextGroup", [("name", "shop-prod"), ("desiredCapacity", "1")])
        #expect(next.status == 201, "\(next.text)")
        let copied = try JSONSerialization.jsonObject(with: try await HTTP.get(server.url + "/local/scalingPolicy/list.json?autoScalingGroupName=shop-prod-v001").body) as? [[String: Any]]
        #expect(copied?.map { $0["policyName"] as? String } == ["add-by-steps"])
        let copiedAlarms = try JSONSerialization.jsonObject(with: try await HTTP.get(server.url + "/local/alarm/list.json?autoScalingGroupName=shop-prod-v001").body) as? [[String: Any]]
        #expect(copiedAlarms?.first?["alarmName"] as? String == "busy-shop-prod-v001")
        let disabled = try await HTTP.postForm(server.url + "/local/cluster/deactivate", [("name", "shop-prod-v000")])
        #expect(disabled.status == 200, "\(disabled.text)")
        #expect(try await group(server).suspendedProcesses.contains(.alarmNotification))
    }
}
