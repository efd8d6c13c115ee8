import AsgardCore
@testable import LoadBalancerProxy
import NIOCore
import Testing

@Suite("Balancer")
struct BalancerTests {
    static func id(_ n: Int) -> InstanceID { InstanceID(rawValue: "i-0000000000000000\(n)") }

    static func routing(_ groups: [(String, Int?, [Int])], algorithm: BalancingAlgorithm = .roundRobin) -> LoadBalancerRouting {
        LoadBalancerRouting(healthCheck: HealthCheckSettings(healthyThreshold: 2, unhealthyThreshold: 3), algorithm: algorithm,
                            drainingTimeout: 30, groups: groups.map { name, weight, instances in
                                RoutedGroup(name: name, weight: weight, instances: instances.map { RoutedInstance(instanceId: id($0), port: 9000 + $0) })
                            })
    }

    static func target(_ n: Int, _ group: String) -> BackendTarget { BackendTarget(instanceId: id(n), group: group, port: 9000 + n) }

    static func pass(_ balancer: Balancer, _ targets: [BackendTarget], times: Int = 2) {
        for _ in 0..<times { for target in targets { balancer.recordCheck(target, passed: true, reason: nil) } }
    }

    @Test func onlyInstancesPastTheHealthyThresholdGetRequests() throws {
        let balancer = Balancer(routing: Self.routing([("a", nil, [1, 2])]))
        #expect(throws: NoTarget.noneHealthy(registered: 2)) { try balancer.pick(excluding: []).get() }
        Self.pass(balancer, [Self.target(1, "a")], times: 1)
        #expect(balancer.isInitial(Self.target(1, "a")))
        Self.pass(balancer, [Self.target(1, "a")], times: 1)
        #expect(!balancer.isInitial(Self.target(1, "a")))
        for _ in 0..<4 {
            let picked = try balancer.pick(excluding: []).get()
            #expect(picked.instanceId == Self.id(1))
            balancer.finished(picked)
        }
    }

    @Test func failuresPastTheUnhealthyThresholdTakeAnInstanceOutOfRotation() throws {
        let balancer = Balancer(routing: Self.routing([("a", nil, [1, 2])]))
        Self.pass(balancer, [Self.target(1, "a"), Self.target(2, "a")])
        for _ in 0..<2 { balancer.recordCheck(Self.target(2, "a"), passed: false, reason: "GET /health answered 503") }
        #expect(Set((0..<4).map { _ in try? balancer.pick(excluding: []).get().instanceId }) == [Self.id(1), Self.id(2)])
        balancer.recordCheck(Self.target(2, "a"), passed: false, reason: "GET /health answered 503")
        #expect(Set((0..<4).map { _ in try? balancer.pick(excluding: []).get().instanceId }) == [Self.id(1)])
        #expect(balancer.snapshot().health[Self.id(2)]?.1 == "GET /health answered 503")
    }

    /// A new instance is checked every 10 ms at first (slowing to 100 ms), so it turns healthy
    /// within milliseconds of serving; its failures count at most once per 100 ms meanwhile, so
    /// the quick checks do not turn it unhealthy sooner than checks every 100 ms would.
    @Test func aNewInstanceIsCheckedQuicklyButItsFailuresCountAtTheUsualPace() throws {
        #expect((0..<12).map { HealthChecker.initialInterval(afterChecks: $0) }.first == .milliseconds(10))
        let intervals = (0..<12).map { HealthChecker.initialInterval(afterChecks: $0) }
        #expect(zip(intervals, intervals.dropFirst()).allSatisfy { $0 <= $1 } && intervals.last == HealthChecker.initialCap)
        #expect(HealthChecker.initialInterval(afterChecks: Int.max) == HealthChecker.initialCap && HealthChecker.initialInterval(afterChecks: -5) == .milliseconds(10))

        let balancer = Balancer(routing: Self.routing([("a", nil, [1, 2])]))
        let start = ContinuousClock.now
        // Ten failures 10 ms apart count as one: still initial, not unhealthy.
        for tick in 0..<10 {
            balancer.recordCheck(Self.target(1, "a"), passed: false, reason: "could not connect", at: start + .milliseconds(10 * tick))
        }
        #expect(balancer.isInitial(Self.target(1, "a")))
        // Failures 100 ms apart count each: the third turns it unhealthy (threshold 3).
        balancer.recordCheck(Self.target(1, "a"), passed: false, reason: "could not connect", at: start + .milliseconds(100))
        #expect(balancer.isInitial(Self.target(1, "a")))
        balancer.recordCheck(Self.target(1, "a"), passed: false, reason: "GET /health answered 503", at: start + .milliseconds(200))
        #expect(!balancer.isInitial(Self.target(1, "a")))
        #expect(balancer.snapshot().health[Self.id(1)].map { $0.0 == .unhealthy && $0.1 == "GET /health answered 503" } == true)
        // Passes count each, however close together: two turn the other one healthy.
        balancer.recordCheck(Self.target(2, "a"), passed: true, reason: nil, at: start)
        balancer.recordCheck(Self.target(2, "a"), passed: true, reason: nil, at: start + .milliseconds(1))
        #expect(try balancer.pick(excluding: []).get().instanceId == Self.id(2))
    }

    @Test func aHealthyInstancesReasonSaysWhereItStands() throws {
        let balancer = Balancer(routing: Self.routing([("a", nil, [1])]))
        Self.pass(balancer, [Self.target(1, "a")])
        #expect(balancer.snapshot().health[Self.id(1)]?.1 == nil)
        balancer.recordCheck(Self.target(1, "a"), passed: false, reason: "GET /health failed")
        let (state, reason) = try #require(balancer.snapshot().health[Self.id(1)])
        #expect(state == .healthy)
        #expect(reason == "still healthy; 1 of 3 failed checks turn it unhealthy: GET /health failed")
        balancer.recordCheck(Self.target(1, "a"), passed: true, reason: nil)
        #expect(balancer.snapshot().health[Self.id(1)]?.1 == nil, "a pass leaves nothing stale")
    }

    @Test func roundRobinTakesEachInstanceInTurnAndARetrySkipsTheTriedOnes() throws {
        let balancer = Balancer(routing: Self.routing([("a", nil, [1, 2, 3])]))
        Self.pass(balancer, [1, 2, 3].map { Self.target($0, "a") })
        let picks = try (0..<6).map { _ in try balancer.pick(excluding: []).get().instanceId }
        #expect(picks == [1, 2, 3, 1, 2, 3].map(Self.id))
        let retry = try balancer.pick(excluding: [Self.id(1), Self.id(2)]).get()
        #expect(retry.instanceId == Self.id(3))
        #expect(throws: NoTarget.allTried) { try balancer.pick(excluding: [1, 2, 3].map(Self.id)).get() }
    }

    @Test func leastOutstandingPrefersTheIdlestInstance() throws {
        let balancer = Balancer(routing: Self.routing([("a", nil, [1, 2])], algorithm: .leastOutstandingRequests))
        Self.pass(balancer, [Self.target(1, "a"), Self.target(2, "a")])
        let first = try balancer.pick(excluding: []).get()
        // The first stays in flight: every next pick goes to the other one.
        for _ in 0..<3 {
            let next = try balancer.pick(excluding: []).get()
            #expect(next.instanceId != first.instanceId)
            balancer.finished(next)
        }
    }

    @Test func weightsSplitRequestsExactlyBetweenGroups() throws {
        let balancer = Balancer(routing: Self.routing([("blue", 95, [1, 2]), ("green", 5, [3])]))
        Self.pass(balancer, [Self.target(1, "blue"), Self.target(2, "blue"), Self.target(3, "green")])
        var green = 0
        for _ in 0..<1000 {
            let picked = try balancer.pick(excluding: [])
                .get()
            if picked.group == "green" { green += 1 }
            balancer.finished(picked)
        }
        #expect(green == 50)
    }

    @Test func aDeregisteredInstanceDrainsWhileItHasRequestsInFlight() throws {
        let balancer = Balancer(routing: Self.routing([("a", nil, [1, 2])]))
        Self.pass(balancer, [Self.target(1, "a"), Self.target(2, "a")])
        let inFlight = try balancer.pick(excluding: []).get()
        let other = inFlight.instanceId == Self.id(1) ? 2 : 1
        balancer.apply(Self.routing([("a", nil, [other])]))
        #expect(balancer.snapshot().draining.map(\.instanceId) == [inFlight.instanceId])
        for _ in 0..<3 { #expect(try balancer.pick(excluding: []).get().instanceId == Self.id(other)) }
        balancer.finished(inFlight)
        #expect(balancer.snapshot().draining.isEmpty)
        // The instance that stayed kept its health: no new checks were needed.
        #expect(!balancer.isInitial(Self.target(other, "a")))
    }
}
