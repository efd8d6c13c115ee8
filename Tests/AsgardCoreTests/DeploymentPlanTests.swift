import AsgardCore
import Foundation
import Testing

@Suite("Deployment plans")
struct DeploymentPlanTests {
    @Test func eachStrategyHasItsSteps() {
        #expect(DeploymentStep.plan(.redBlack) == [.createGroup, .waitHealthy, .disablePrevious, .trimDisabled])
        #expect(DeploymentStep.plan(.highlander) == [.createGroup, .waitHealthy, .disablePrevious, .deletePrevious])
        #expect(DeploymentStep.plan(.rolling) == [.updateImage, .relaunch])
    }

    @Test func aRollingPushTakesTheOldImagesInstancesOldestFirstUnlessNewestFirst() {
        let old = ImageID(rawValue: "img-00000001"), new = ImageID(rawValue: "img-00000002")
        func instance(_ n: Int, _ image: ImageID, _ state: LifecycleState = .inService) -> InstanceRecord {
            InstanceRecord(instanceId: InstanceID(rawValue: "i-0000000000000000\(n)"), autoScalingGroupName: "shop-v000", imageId: image,
                           lifecycleState: state, healthStatus: .healthy, launchTime: Date(timeIntervalSince1970: Double(n)), port: 9000 + n,
                           pid: nil, startTicks: nil)
        }
        let all = [instance(3, old), instance(1, old), instance(2, new), instance(4, old, .terminating), instance(5, old)]
        let ids = { (records: [InstanceRecord]) in records.map(\.port) }
        #expect(ids(DeploymentState.nextToRelaunch(all, image: new, taken: [], count: 2, newestFirst: false)) == [9001, 9003])
        #expect(ids(DeploymentState.nextToRelaunch(all, image: new, taken: [], count: 2, newestFirst: true)) == [9005, 9003])
        #expect(ids(DeploymentState.nextToRelaunch(all, image: new, taken: [all[1].instanceId], count: 5, newestFirst: false)) == [9003, 9005])
    }

    @Test(arguments: [(0, ["a", "b", "c"]), (1, ["a", "b"]), (2, ["a"]), (5, [String]())])
    func redBlackKeepsTheNewestDisabledGroups(_ keep: Int, _ trimmed: [String]) {
        #expect(DeploymentState.groupsToTrim(previous: ["a", "b", "c"], keep: keep) == trimmed)
    }

    /// After a rollback the older group serves and the newer one is disabled: the next
    /// deployment keeps the one that served, not the newest by name.
    @Test(arguments: [(1, ["b", "c"]), (2, ["b"]), (0, ["a", "b", "c"])])
    func redBlackKeepsTheGroupThatServedFirst(_ keep: Int, _ trimmed: [String]) {
        #expect(DeploymentState.groupsToTrim(previous: ["a", "b", "c"], serving: ["a"], keep: keep) == trimmed)
    }

    static func request(cluster: String = "shop-prod", min: Int = 1, desired: Int = 2, max: Int = 3, keep: Int? = nil) -> DeploymentRequest {
        DeploymentRequest(cluster: cluster, imageId: ImageID(rawValue: "img-00000000"), strategy: .redBlack,
                          capacity: DeploymentCapacity(min: min, desired: desired, max: max), keepDisabledGroups: keep)
    }

    @Test func requestsAreCheckedBeforeAnythingStarts() {
        #expect(Self.request().problems.isEmpty)
        #expect(Self.request(cluster: "shop-prod-v003").problems.map(\.field) == ["cluster"])
        #expect(Self.request(min: 3, desired: 2).problems.map(\.field) == ["capacity"])
        #expect(Self.request(max: 51).problems.map(\.field) == ["capacity"])
        #expect(Self.request(keep: 11).problems.map(\.field) == ["keepDisabledGroups"])
    }

    @Test func theStateSurvivesItsJSON() throws {
        var state = DeploymentState(previousGroups: ["shop-prod-v000"])
        state.step = 2
        state.newGroup = "shop-prod-v001"
        state.finished = [0: Date(timeIntervalSince1970: 100), 1: Date(timeIntervalSince1970: 200)]
        let decoded = try JSONDecoder().decode(DeploymentState.self, from: try JSONEncoder().encode(state))
        #expect(decoded == state)
    }
}
