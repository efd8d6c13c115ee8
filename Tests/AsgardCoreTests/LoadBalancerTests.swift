import AsgardCore
import Foundation
import Testing

@Suite("Load balancer rules")
struct LoadBalancerTests {
    @Test(arguments: [[95, 5], [80, 20], [1, 1], [3, 2, 5], [0, 7], [100, 0, 1]])
    func weightedRotationGivesExactSharesOverEveryCycle(_ weights: [Int]) {
        var rotation = WeightedRotation()
        let choices = weights.enumerated().map { (name: "g\($0.offset)", weight: $0.element) }
        let cycle = weights.reduce(0, +)
        var counts: [String: Int] = [:]
        for _ in 0..<(cycle * 3) { counts[rotation.next(choices) ?? "none", default: 0] += 1 }
        for choice in choices { #expect(counts[choice.name, default: 0] == choice.weight * 3, "\(choice.name) of \(weights)") }
    }

    @Test func weightedRotationSpreadsPicksInsteadOfBursts() {
        var rotation = WeightedRotation()
        let picks = (0..<10).map { _ in rotation.next([("a", 5), ("b", 5)]) }
        #expect(picks == ["a", "b", "a", "b", "a", "b", "a", "b", "a", "b"])
    }

    @Test func weightedRotationWithNoWeightAnswersNothing() {
        var rotation = WeightedRotation()
        #expect(rotation.next([("a", 0)]) == nil)
        #expect(rotation.next([]) == nil)
    }

    @Test(arguments: [("shop", true), ("shop-prod", true), ("Shop-Prod-1", true), ("", false), ("-shop", false), ("shop-", false),
                      ("shop_prod", false), ("shop.prod", false), (String(repeating: "a", count: 33), false), (String(repeating: "a", count: 32), true)])
    func namesFollowELBRules(_ text: String, _ valid: Bool) {
        #expect(((try? LoadBalancerName(validating: text)) != nil) == valid, "\(text)")
    }

    @Test func aNameBelongsToTheApplicationBeforeItsFirstHyphen() throws {
        #expect(try LoadBalancerName(validating: "Shop-Prod-EU").appName == "shop")
        #expect(try LoadBalancerName(validating: "shop").appName == "shop")
    }

    @Test func healthCheckSettingsAreCheckedAsELBChecksThem() {
        #expect(HealthCheckSettings().problems.isEmpty)
        #expect(HealthCheckSettings(target: "health").problems.map(\.field) == ["target"])
        #expect(HealthCheckSettings(interval: 2, timeout: 2).problems.map(\.field) == ["timeout"])
        #expect(HealthCheckSettings(healthyThreshold: 1, unhealthyThreshold: 11).problems.map(\.field) == ["healthyThreshold", "unhealthyThreshold"])
        #expect(HealthCheckSettings(interval: 0).problems.map(\.field) == ["interval"])
    }

    static func group(_ name: String, balancers: [String], suspended: [ScalingProcess] = []) -> ServerGroupRecord {
        ServerGroupRecord(autoScalingGroupName: name, imageId: ImageID(rawValue: "img-00000000"), minSize: 0, desiredCapacity: 2, maxSize: 2,
                          healthCheckType: .ec2, healthCheckGracePeriod: 0, terminationPolicies: [.default], suspendedProcesses: suspended,
                          loadBalancerNames: balancers, createdTime: Date(timeIntervalSince1970: 0))
    }

    static func instance(_ n: Int, group: String, state: LifecycleState = .inService, health: HealthStatus = .healthy) -> InstanceRecord {
        InstanceRecord(instanceId: InstanceID(rawValue: "i-0000000000000000\(n)"), autoScalingGroupName: group, imageId: ImageID(rawValue: "img-00000000"),
                       lifecycleState: state, healthStatus: health, launchTime: Date(timeIntervalSince1970: 0), port: 9000 + n, pid: nil, startTicks: nil)
    }

    @Test func routingHoldsInServiceHealthyInstancesOfGroupsThatTakeTraffic() throws {
        let balancer = LoadBalancerRecord(loadBalancerName: try LoadBalancerName(validating: "shop"), listenerPort: 7001,
                                          createdTime: Date(timeIntervalSince1970: 0))
        let routing = LoadBalancerRouting.build(for: balancer, groups: [
            (Self.group("shop-v001", balancers: ["shop"]), [Self.instance(1, group: "shop-v001"), Self.instance(2, group: "shop-v001", state: .pending),
                                                            Self.instance(3, group: "shop-v001", state: .terminating),
                                                            Self.instance(4, group: "shop-v001", health: .unhealthy)]),
            (Self.group("shop-v000", balancers: ["shop"], suspended: [.addToLoadBalancer]), [Self.instance(5, group: "shop-v000")]),
            (Self.group("other-v000", balancers: ["other"]), [Self.instance(6, group: "other-v000")]),
        ])
        #expect(routing.groups.map(\.name) == ["shop-v001"])
        #expect(routing.groups[0].instances.map(\.port) == [9001])
        #expect(routing.groups[0].weight == nil)
    }

    @Test func groupsLeftOutOfTheWeightsGetWeightZero() throws {
        let balancer = LoadBalancerRecord(loadBalancerName: try LoadBalancerName(validating: "shop"), listenerPort: 7001,
                                          trafficWeights: ["shop-v001": 5], createdTime: Date(timeIntervalSince1970: 0))
        let routing = LoadBalancerRouting.build(for: balancer, groups: [
            (Self.group("shop-v000", balancers: ["shop"]), [Self.instance(1, group: "shop-v000")]),
            (Self.group("shop-v001", balancers: ["shop"]), [Self.instance(2, group: "shop-v001")]),
        ])
        #expect(routing.groups.map(\.weight) == [0, 5])
    }

    @Test func anInstanceFailingTheLoadBalancerCheckIsReplacedOnlyWithELBChecksAfterTheGracePeriod() {
        var group = Self.group("shop-v001", balancers: ["shop"])
        group.desiredCapacity = 1
        let record = Self.instance(1, group: "shop-v001")
        let observation = InstanceObservation(record: record, processAlive: true, portOpen: true, loadBalancerProblem: "GET /health answered 503")
        let later = Date(timeIntervalSince1970: 100)
        #expect(ServerGroupPlanner.plan(group, instances: [observation], now: later).isEmpty)
        group.healthCheckType = .elb
        #expect(ServerGroupPlanner.plan(group, instances: [observation], now: later).first == .markUnhealthy(record.instanceId, reason: "GET /health answered 503"))
        group.healthCheckGracePeriod = 300
        #expect(ServerGroupPlanner.plan(group, instances: [observation], now: later).isEmpty)
    }
}

@Suite("Cluster traffic")
struct ClusterTrafficTests {
    static func group(_ version: Int, balancers: [String] = ["shop"], suspended: [ScalingProcess] = []) -> ServerGroupRecord {
        LoadBalancerTests.group("shop-prod-v00\(version)", balancers: balancers, suspended: suspended)
    }

    @Test func aGroupIsEnabledWhenItsLoadBalancersSendItRequests() {
        #expect(ClusterTraffic.isEnabled(Self.group(0)))
        #expect(!ClusterTraffic.isEnabled(Self.group(0, balancers: [])))
        #expect(!ClusterTraffic.isEnabled(Self.group(0, suspended: [.addToLoadBalancer])))
        #expect(ClusterTraffic.isEnabled(Self.group(0, suspended: [.launch])))
    }

    @Test func theTrafficGuardKeepsTheLastEnabledGroup() throws {
        let only = Self.group(0)
        let problem = try #require(ClusterTraffic.guardProblem(disabling: only, cluster: [only]))
        #expect(problem.hasPrefix("shop-prod-v000 is the last enabled server group of cluster shop-prod"))
        // Another enabled group, a group already disabled, or one without a load balancer: allowed.
        #expect(ClusterTraffic.guardProblem(disabling: only, cluster: [only, Self.group(1)]) == nil)
        #expect(ClusterTraffic.guardProblem(disabling: Self.group(1, suspended: [.addToLoadBalancer]), cluster: [only]) == nil)
        #expect(ClusterTraffic.guardProblem(disabling: Self.group(2, balancers: []), cluster: [Self.group(2, balancers: [])]) == nil)
        // A disabled sibling does not count as enabled.
        #expect(ClusterTraffic.guardProblem(disabling: only, cluster: [only, Self.group(1, suspended: [.addToLoadBalancer])]) != nil)
    }

    @Test func aNextGroupCopiesItsScalingFromTheGroupThatServes() {
        let serving = Self.group(0), failedCanary = Self.group(1, suspended: [.addToLoadBalancer])
        // After a failed canary the newest group is disabled: the serving one is the source.
        #expect(ClusterTraffic.scalingSource(in: [serving, failedCanary], excluding: "shop-prod-v002")?.autoScalingGroupName == "shop-prod-v000")
        #expect(ClusterTraffic.scalingSource(in: [serving, Self.group(1)], excluding: "shop-prod-v002")?.autoScalingGroupName == "shop-prod-v001")
        // With none serving, the newest; the new group itself never.
        #expect(ClusterTraffic.scalingSource(in: [Self.group(0, balancers: []), Self.group(1, balancers: [])])?.autoScalingGroupName == "shop-prod-v001")
        #expect(ClusterTraffic.scalingSource(in: [serving], excluding: "shop-prod-v000") == nil)
    }
}
