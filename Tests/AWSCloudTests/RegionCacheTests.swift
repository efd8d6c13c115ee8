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
        _ = try await fill.value
        #expect(await Set(cache.groups.keys) == ["shop-v000", "shop-v001"])
        #expect(await cache.isFresh(group: "shop-v001", within: .seconds(1)))
        // What the read brought is as old as the read's start (2 s ago), not as the moment it landed.
        #expect(await !cache.isFresh(group: "shop-v000", within: .seconds(1)))
        #expect(await cache.isFresh(group: "shop-v000", within: .seconds(3)))
    }

    /// Where a string's bytes lie: two strings with one address share one copy.
    static func storage(_ text: String) -> UnsafePointer<UInt8>? {
        var text = text
        return text.withUTF8 { $0.baseAddress }
    }

    @Test func anInstancesIdIsKeptOnceForItsRecordItsGroupAndItsLoadBalancersHealth() async throws {
        let id = "i-0123456789abcdef0"
        let instanceXML = "<item><instanceId>\(id)</instanceId><imageId>ami-1</imageId><instanceState><name>running</name></instanceState></item>"
        var strings = StringTable()
        let instance = AWSInstance(try #require(XMLNode.parse(Data(instanceXML.utf8))), strings: &strings)
        let groupXML = "<member><AutoScalingGroupName>shop-v000</AutoScalingGroupName><MinSize>1</MinSize><MaxSize>1</MaxSize>"
            + "<DesiredCapacity>1</DesiredCapacity><Instances><member><InstanceId>\(id)</InstanceId><LifecycleState>InService</LifecycleState>"
            + "<HealthStatus>Healthy</HealthStatus></member></Instances></member>"
        let group = AWSAutoScalingGroup(try #require(XMLNode.parse(Data(groupXML.utf8))))
        let health = AWSInstanceHealth(instanceId: String(decoding: Array(id.utf8), as: UTF8.self), state: "InService", description: nil)
        #expect(Self.storage(group.instances[0].instanceId) != Self.storage(instance.instanceId), "read from two answers: two copies")

        let cache = AWSRegionCache()
        var snapshot = Self.snapshot([group])
        snapshot.instances = [instance]
        snapshot.health = ["shop": [health]]
        let read = snapshot
        try await cache.fill { read }
        let kept = try #require(await cache.instances.first?.key)
        #expect(Self.storage(try #require(await cache.instances[id]).instanceId) == Self.storage(kept))
        #expect(Self.storage(try #require(await cache.groups["shop-v000"]?.instances.first).instanceId) == Self.storage(kept))
        #expect(Self.storage(try #require(await cache.health["shop"]?.first).instanceId) == Self.storage(kept))

        // The group read again by itself, and the health, share the id the cache keeps too.
        await cache.put(group: "shop-v000", AWSAutoScalingGroup(try #require(XMLNode.parse(Data(groupXML.utf8)))), instances: [])
        #expect(Self.storage(try #require(await cache.groups["shop-v000"]?.instances.first).instanceId) == Self.storage(kept))
        await cache.put(health: "shop", [AWSInstanceHealth(instanceId: String(decoding: Array(id.utf8), as: UTF8.self), state: "OutOfService", description: nil)])
        #expect(Self.storage(try #require(await cache.health["shop"]?.first).instanceId) == Self.storage(kept))
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
extension RegionCacheTests {
    @Test func aReadSharedByAnotherConsoleKeepsWhatThisOneReadSinceItBegan() async throws {
        let clock = ManualInstant()
        let cache = AWSRegionCache(now: clock.now)
        await cache.take(Self.snapshot([Self.group("shop-v000", balancer: "shop")]), age: .zero)
        #expect(await cache.lastFullRead != nil)
        #expect(await Set(cache.groups.keys) == ["shop-v000"])
        clock.advance(by: .seconds(10))
        // This console made shop-v001 at t=10; the other console's read began at t=8, before it.
        await cache.put(group: "shop-v001", Self.group("shop-v001", balancer: "shop"), instances: [])
        var shared = Self.snapshot([Self.group("shop-v000", balancer: "shop")])
        shared.templateImages = ["shop-v000:1": "ami-1"]
        let encoded = try JSONEncoder().encode(shared)
        clock.advance(by: .seconds(1))
        await cache.take(try JSONDecoder().decode(RegionSnapshot.self, from: encoded), age: .seconds(3))
        #expect(await Set(cache.groups.keys) == ["shop-v000", "shop-v001"], "the newer change stays")
        #expect(await cache.templateImages["shop-v000:1"] == "ami-1")
        // A read that began after the change (and does not have the group) says it is gone.
        clock.advance(by: .seconds(1))
        await cache.take(shared, age: .zero)
        #expect(await Set(cache.groups.keys) == ["shop-v000"])
    }
}

final class ManualInstant: Sendable {
    private let current = Mutex(ContinuousClock.now)

    var now: @Sendable () -> ContinuousClock.Instant { { self.current.withLock { $0 } } }

    func advance(by duration: Duration) {
        current.withLock { $0 = $0.advanced(by: duration) }
    }
}

extension RegionCacheTests {
    /// The generation moves with every change to what the cache holds and with nothing else: a
    /// read that finds the region as it was keeps it (and the list answers encoded for it).
    @Test func theGenerationMovesOnlyWhenWhatItHoldsChanges() async throws {
        let cache = AWSRegionCache()
        let groups = [Self.group("shop-v000", balancer: "shop"), Self.group("shop-v001", balancer: "shop")]
        try await cache.fill { Self.snapshot(groups) }
        let filled = cache.status.current
        #expect(filled.lastRead != nil && filled.lastError == nil && filled.readingSince == nil && filled.generation > 0)
        try await cache.fill { Self.snapshot(groups) }
        await cache.put(group: "shop-v000", groups[0], instances: [])
        await cache.put(health: "shop", [])
        await cache.put(health: "shop", [])
        #expect(cache.status.current.generation == filled.generation + 1, "only the first health answer was new")
        let before = cache.status.current.generation
        await cache.put(group: "shop-v001", Self.group("shop-v001", balancer: "other"), instances: [])
        #expect(cache.status.current.generation > before)
        // A failed read is reported and leaves what was read.
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await cache.fill { throw Refused() } }
        let failed = cache.status.current
        #expect(failed.lastError?.contains("Refused") == true && failed.lastErrorAt != nil && failed.lastRead != nil)
        #expect(await cache.groups.count == 2)
    }
}
