import AsgardCore
import Foundation
import Testing

@Suite("Server group planner")
struct ServerGroupPlannerTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func group(desired: Int, suspended: [ScalingProcess] = [], policy: TerminationPolicy = .default) -> ServerGroupRecord {
        ServerGroupRecord(autoScalingGroupName: "shop-v000", imageId: ImageID(rawValue: "img-00000001"), minSize: 0,
                          desiredCapacity: desired, maxSize: 10, healthCheckType: .ec2, healthCheckGracePeriod: 0,
                          terminationPolicies: [policy], suspendedProcesses: suspended, loadBalancerNames: [], createdTime: t0)
    }

    func instance(_ n: Int, _ state: LifecycleState = .inService, health: HealthStatus = .healthy, alive: Bool = true,
                  portOpen: Bool = true) -> InstanceObservation {
        let id = InstanceID(rawValue: "i-" + String(repeating: "0", count: 16) + String(n))
        return InstanceObservation(record: InstanceRecord(instanceId: id, autoScalingGroupName: "shop-v000",
                                                          imageId: ImageID(rawValue: "img-00000001"), lifecycleState: state,
                                                          healthStatus: health, launchTime: t0.addingTimeInterval(Double(n)),
                                                          port: 9000 + n, pid: Int32(100 + n), startTicks: 1),
                                   processAlive: alive, portOpen: portOpen)
    }

    func id(_ n: Int) -> InstanceID { InstanceID(rawValue: "i-" + String(repeating: "0", count: 16) + String(n)) }

    @Test func launchesUpToTheDesiredCapacity() {
        let actions = ServerGroupPlanner.plan(group(desired: 3), instances: [instance(1)], now: t0)
        #expect(actions == [.launch(count: 2, reason: "1 of 3 instances are in service; launching 2")])
        #expect(ServerGroupPlanner.plan(group(desired: 2), instances: [], now: t0) == [.launch(count: 2, reason: "the group needs 2 instances")])
        #expect(ServerGroupPlanner.plan(group(desired: 1), instances: [instance(1)], now: t0).isEmpty)
    }

    @Test func pendingInstancesGoInServiceWhenTheirPortAnswers() {
        let actions = ServerGroupPlanner.plan(group(desired: 2), instances: [instance(1, .pending), instance(2, .pending, portOpen: false)], now: t0)
        #expect(actions == [.markInService(id(1))])
    }

    @Test func aDeadProcessIsMarkedUnhealthyAndReplaced() {
        let actions = ServerGroupPlanner.plan(group(desired: 2), instances: [instance(1), instance(2, alive: false)], now: t0)
        #expect(actions == [
            .markUnhealthy(id(2), reason: "the instance's process is no longer running (its exit status is unknown: an earlier run of the server started it)"),
            .terminate(id(2), reason: "an instance was taken out of service in response to a failed health check: the instance's process is no longer running (its exit status is unknown: an earlier run of the server started it)"),
            .launch(count: 1, reason: "1 of 2 instances are in service; launching 1"),
        ])
    }

    @Test func suspendedProcessesHaveTheirEffect() {
        let dead = [instance(1), instance(2, alive: false)]
        // No health checks: the dead instance is not even noticed, and capacity looks full.
        #expect(ServerGroupPlanner.plan(group(desired: 2, suspended: [.healthCheck]), instances: dead, now: t0).isEmpty)
        // No replacement: marked unhealthy, kept, and capacity counts it.
        #expect(ServerGroupPlanner.plan(group(desired: 2, suspended: [.replaceUnhealthy]), instances: dead, now: t0)
                == [.markUnhealthy(id(2), reason: "the instance's process is no longer running (its exit status is unknown: an earlier run of the server started it)")])
        // No launch: replaced instances are not launched again.
        #expect(ServerGroupPlanner.plan(group(desired: 2, suspended: [.launch]), instances: dead, now: t0)
                == [.markUnhealthy(id(2), reason: "the instance's process is no longer running (its exit status is unknown: an earlier run of the server started it)"),
                    .terminate(id(2), reason: "an instance was taken out of service in response to a failed health check: the instance's process is no longer running (its exit status is unknown: an earlier run of the server started it)")])
        // No terminate: a group above capacity keeps its instances.
        #expect(ServerGroupPlanner.plan(group(desired: 1, suspended: [.terminate]), instances: [instance(1), instance(2)], now: t0).isEmpty)
    }

    @Test(arguments: [(TerminationPolicy.oldestInstance, [1, 2]), (.newestInstance, [4, 3]), (.default, [1, 2]),
                      (.oldestLaunchConfiguration, [1, 2])])
    func shrinkingEndsInstancesByPolicy(_ policy: TerminationPolicy, _ ended: [Int]) {
        let actions = ServerGroupPlanner.plan(group(desired: 2, policy: policy),
                                              instances: [instance(3), instance(1), instance(4), instance(2)], now: t0)
        let reason = "the desired capacity is 2 and 4 instances run; shrinking"
        #expect(actions == ended.map { .terminate(id($0), reason: reason) })
    }

    @Test func shrinkingEndsPendingInstancesFirst() {
        let actions = ServerGroupPlanner.plan(group(desired: 1, policy: .oldestInstance),
                                              instances: [instance(1), instance(2, .pending, portOpen: false)], now: t0)
        #expect(actions == [.terminate(id(2), reason: "the desired capacity is 1 and 2 instances run; shrinking")])
    }

    @Test func terminatingAndTerminatedInstancesDoNotCount() {
        let actions = ServerGroupPlanner.plan(group(desired: 1), instances: [instance(1, .terminating), instance(2, .terminated, alive: false)], now: t0)
        #expect(actions == [.launch(count: 1, reason: "the group needs 1 instance")])
    }

    @Test func instanceIdsLookLikeEC2s() {
        for _ in 0..<100 {
            let id = InstanceID.random()
            #expect(InstanceID.isWellFormed(id.rawValue), "\(id)")
        }
        #expect(!InstanceID.isWellFormed("i-123"))
        #expect(!InstanceID.isWellFormed("i-0123456789ABCDEF0"))
    }
}

@Suite("Launch backoff")
struct LaunchBackoffTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: [(0, 0.0), (1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (30, 60.0)])
    func waitsDoubleUpToAMinute(_ failures: Int, _ seconds: Double) {
        #expect(LaunchBackoff.delay(after: failures) == seconds)
    }

    @Test func earlyFailuresDelayLaunchesAndServiceResetsThem() {
        var backoff = LaunchBackoff()
        #expect(backoff.allowsLaunch(at: t0))
        backoff.recordEarlyFailure(at: t0)
        backoff.recordEarlyFailure(at: t0.addingTimeInterval(1))
        #expect(!backoff.allowsLaunch(at: t0.addingTimeInterval(2.9)))
        #expect(backoff.allowsLaunch(at: t0.addingTimeInterval(3)))
        backoff.recordSuccess()
        #expect(backoff.failures == 0)
        #expect(backoff.allowsLaunch(at: t0))
    }

    @Test func onlyDeathsBeforeServingOrSoonAfterLaunchAreEarly() {
        #expect(LaunchBackoff.isEarly(launchTime: t0, diedAt: t0.addingTimeInterval(3600), wasInService: false))
        #expect(LaunchBackoff.isEarly(launchTime: t0, diedAt: t0.addingTimeInterval(5), wasInService: true))
        #expect(!LaunchBackoff.isEarly(launchTime: t0, diedAt: t0.addingTimeInterval(11), wasInService: true))
    }
}
