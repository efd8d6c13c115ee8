import AsgardCore
import Foundation
import Testing

/// What pages and the API say of an instance's and a group's health: the cloud's view and every
/// load balancer's, summed up.
@Suite("Health where people look")
struct HealthViewTests {
    static let group = LoadBalancerTests.group("shop-prod-v001", balancers: ["shop-prod"])

    static func report(_ states: [(Int, TargetHealth, String?)]) -> LoadBalancerTraffic {
        LoadBalancerTraffic(routing: nil, startedAt: Date(timeIntervalSince1970: 0), groups: [GroupTraffic(
            name: "shop-prod-v001", weight: nil, requests: StatusCounts(), latency: LatencySummary(),
            instances: states.map { n, health, reason in
                InstanceTraffic(instanceId: LoadBalancerTests.instance(n, group: "shop-prod-v001").instanceId, port: 9000 + n, health: health,
                                healthReason: reason, inFlight: 0, requests: StatusCounts(), latency: LatencySummary())
            })], draining: [], unrouted: StatusCounts())
    }

    @Test func anInstanceFailingItsLoadBalancersCheckIsUnhealthyThoughTheCloudCountsItInService() {
        let failing = LoadBalancerTests.instance(1, group: "shop-prod-v001")
        let reports: [String: LoadBalancerTraffic?] = ["shop-prod": Self.report([(1, .unhealthy, "GET /health answered 503"), (2, .healthy, nil)])]
        let view = InstanceHealthView.of(failing, in: Self.group, reports: reports)
        #expect(view.summary == .unhealthy)
        #expect(view.reason == "shop-prod: GET /health answered 503")
        #expect(view.loadBalancers == [BalancerHealth(loadBalancer: "shop-prod", state: .unhealthy, reason: "GET /health answered 503")])
        let fine = InstanceHealthView.of(LoadBalancerTests.instance(2, group: "shop-prod-v001"), in: Self.group, reports: reports)
        #expect(fine.summary == .healthy && fine.reason == nil)
        // The group is as healthy as its worst instance.
        let health = GroupHealthView.of(Self.group, instances: [view, fine])
        #expect(health.summary == .unhealthy)
        #expect(health.healthy == 1 && health.desired == 2)
    }

    @Test func startingDisabledAndUnknownAreToldApart() {
        let instance = LoadBalancerTests.instance(1, group: "shop-prod-v001")
        // Not in the load balancer's report yet: starting; no report at all: the cloud's word.
        #expect(InstanceHealthView.of(instance, in: Self.group, reports: ["shop-prod": Self.report([])]).summary == .starting)
        #expect(InstanceHealthView.of(instance, in: Self.group, reports: ["shop-prod": nil]).summary == .healthy)
        #expect(InstanceHealthView.of(instance, in: Self.group, reports: ["shop-prod": Self.report([(1, .initial, nil)])]).summary == .starting)
        let pending = LoadBalancerTests.instance(1, group: "shop-prod-v001", state: .pending)
        #expect(InstanceHealthView.of(pending, in: Self.group, reports: [:]).summary == .starting)
        let sick = LoadBalancerTests.instance(1, group: "shop-prod-v001", health: .unhealthy)
        #expect(InstanceHealthView.of(sick, in: Self.group, reports: [:]).summary == .unhealthy)
        // A disabled group's instances are out of service; the group too, unless one is unhealthy.
        let disabled = LoadBalancerTests.group("shop-prod-v000", balancers: ["shop-prod"], suspended: [.addToLoadBalancer])
        let out = InstanceHealthView.of(LoadBalancerTests.instance(3, group: "shop-prod-v000"), in: disabled, reports: [:])
        #expect(out.summary == .outOfService)
        #expect(GroupHealthView.of(disabled, instances: [out]).summary == .outOfService)
        // A group without load balancers has the cloud's view only.
        let alone = LoadBalancerTests.group("shop-batch-v000", balancers: [])
        let serving = InstanceHealthView.of(LoadBalancerTests.instance(4, group: "shop-batch-v000"), in: alone, reports: [:])
        #expect(serving.summary == .healthy)
        // Fewer healthy than desired: starting, saying how many.
        let short = GroupHealthView.of(Self.group, instances: [serving])
        #expect(short.summary == .starting && short.reason == "1 of 2 instances healthy")
    }

    @Test func aGroupsWeightIsItsShareOfTheWeightsSet() throws {
        var balancer = LoadBalancerRecord(loadBalancerName: try LoadBalancerName(validating: "shop-prod"), listenerPort: 7001,
                                          createdTime: Date(timeIntervalSince1970: 0))
        #expect(TrafficShareView.weightPercent(of: "shop-prod-v001", on: [balancer]) == nil)
        balancer.trafficWeights = ["shop-prod-v000": 90, "shop-prod-v001": 10]
        #expect(TrafficShareView.weightPercent(of: "shop-prod-v001", on: [balancer]) == 10)
        #expect(TrafficShareView.weightPercent(of: "shop-prod-v002", on: [balancer]) == 0)
    }
}
