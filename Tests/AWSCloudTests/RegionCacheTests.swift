@testable import AWSCloud
import Foundation
import Synchronization
import Testing

@Suite("The region cache")
struct RegionCacheTests {
    static func group(_ name: String, balancer: String) -> AWSAutoScalingGroup {
        let xml = "<member><AutoScalingGroupName>\(name)</AutoScalingGroupName><MinSize>1</MinSize><MaxSize>1</MaxSize><DesiredCapacity>1</DesiredCapacity>"
            + "<LoadBalancerNames><member>\(balancer)</member></LoadBalancerNames></member>"
        return AWSAutoScalingGroup(XMLNode.parse(Data(xml.utf8))!)
    }

    static func snapshot(_ groups: [AWSAutoScalingGroup]) -> RegionSnapshot {
        RegionSnapshot(groups: groups, instances: [], loadBalancers: [], applications: [], targetGroups: [], health: [:], draining: [:], images: [], configurationImages: [:])
    }

    @Test func aGroupCreatedDuringAWholeRegionReadIsNotLostWhenTheOlderReadLands() async throws {
        // The cache's clock moves only when the test moves it: the ages below hold on a busy machine.
        let clock = ManualInstant()
        let cache = AWSRegionCache(now: clock.now)
        let (started, starting) = AsyncStream.makeStream(of: Void.self)
        let (proceed, proceeding) = AsyncStream.makeStream(of: Void.self)
        let fill = Task {
            try await cache.fill {
                starting.yield()
                for await _ in proceed { break }
                return Self.snapshot([Self.group("shop-v000", balancer: "shop")])  // read before shop-v001 existed
            }
        }
        for await _ in started { break }
        clock.advance(by: .seconds(2))
        await cache.put(group: "shop-v001", Self.group("shop-v001", balancer: "shop"), instances: [])
        proceeding.yield()
        try await fill.value
        #expect(await Set(cache.groups.keys) == ["shop-v000", "shop-v001"])
        #expect(await cache.isFresh(group: "shop-v001", within: .seconds(1)))
        // What the read brought is as old as the read's start (2 s ago), not as the moment it landed.
        #expect(await !cache.isFresh(group: "shop-v000", within: .seconds(1)))
        #expect(await cache.isFresh(group: "shop-v000", within: .seconds(3)))
    }

    @Test func aLoadBalancersHealthIsReadAgainAfterItsGroupsChange() async {
        let cache = AWSRegionCache()
        await cache.put(health: "shop", [])
        #expect(await cache.isFresh(health: "shop", within: .seconds(60)))
        await cache.invalidateHealth(of: ["shop"])
        #expect(await !cache.isFresh(health: "shop", within: .seconds(60)))
    }
}

/// A clock for the cache that moves only when told.
final class ManualInstant: Sendable {
    private let current = Mutex(ContinuousClock.now)

    var now: @Sendable () -> ContinuousClock.Instant { { self.current.withLock { $0 } } }

    func advance(by duration: Duration) {
        current.withLock { $0 = $0.advanced(by: duration) }
    }
}
