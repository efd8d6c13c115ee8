import AsgardCore
import Foundation
import Testing

@Suite("Custom deployment plans")
struct CustomPlanTests {
    static let canary: [PlannedStep] = [
        PlannedStep(.createGroup), PlannedStep(.resize, capacity: 1), PlannedStep(.judgment, minutes: 30),
        PlannedStep(.resize, percent: 100), PlannedStep(.disableGroup, target: .previous), PlannedStep(.deleteGroup),
    ]

    func problems(_ steps: [PlannedStep], max: Int = 4) -> [String] {
        PlannedStep.problems(of: steps, max: max).map(\.message)
    }

    @Test func aCanaryWithAJudgmentIsAValidPlan() {
        #expect(problems(Self.canary).isEmpty)
        var request = DeploymentRequest(cluster: "shop-prod", imageId: ImageID(rawValue: "img-00000000"), strategy: .custom,
                                        capacity: DeploymentCapacity(min: 1, desired: 3, max: 4))
        #expect(request.problems.map(\.field) == ["steps"], "a custom deployment needs steps")
        request.steps = Self.canary
        #expect(request.problems.isEmpty)
        #expect(request.plan == Self.canary)
    }

    @Test(arguments: [
        ([PlannedStep(.resize, capacity: 1)], "acts on the new group before createGroup"),
        ([PlannedStep(.createGroup), PlannedStep(.createGroup), PlannedStep(.disableGroup)], "only one createGroup"),
        ([PlannedStep(.createGroup), PlannedStep(.resize)], "needs either capacity (instances) or percent"),
        ([PlannedStep(.createGroup), PlannedStep(.resize, capacity: 1, percent: 50)], "needs either capacity (instances) or percent"),
        ([PlannedStep(.createGroup), PlannedStep(.resize, capacity: 5)], "capacity 5 must be from 0 to max (4)"),
        ([PlannedStep(.createGroup), PlannedStep(.resize, percent: 120)], "percent 120 must be from 0 to 100"),
        ([PlannedStep(.createGroup), PlannedStep(.wait, seconds: 5)], "cannot be the last step"),
        ([PlannedStep(.createGroup), PlannedStep(.wait, seconds: 5), PlannedStep(.wait, seconds: 5), PlannedStep(.disableGroup)], "two wait steps in a row"),
        ([PlannedStep(.createGroup), PlannedStep(.judgment), PlannedStep(.disableGroup)], "needs minutes from 1 to 4320"),
        ([PlannedStep(.createGroup), PlannedStep(.judgment, seconds: 5, minutes: 1), PlannedStep(.disableGroup)], "takes minutes or seconds, not both"),
        ([PlannedStep(.createGroup), PlannedStep(.deleteGroup, target: .new)], "the new group cannot be deleted"),
        ([PlannedStep(.createGroup), PlannedStep(.deleteGroup), PlannedStep(.enableGroup, target: .previous)], "acts on the previous group after it was deleted"),
        ([PlannedStep(.createGroup), PlannedStep(.waitHealthy)], "not a custom step"),
        ([PlannedStep(.wait, seconds: 3), PlannedStep(.disableGroup)], "a custom deployment needs a createGroup step"),
    ])
    func badPlansAreRefusedSayingWhy(_ steps: [PlannedStep], _ expected: String) {
        let found = problems(steps)
        #expect(found.contains { $0.contains(expected) }, "\(found)")
    }

    @Test func builtInStrategiesTakeNoSteps() {
        var request = DeploymentRequest(cluster: "shop-prod", imageId: ImageID(rawValue: "img-00000000"), strategy: .redBlack,
                                        capacity: DeploymentCapacity(min: 1, desired: 2, max: 2))
        request.steps = Self.canary
        #expect(request.problems.map(\.message) == ["only a custom deployment takes steps; redBlack has its own"])
    }

    @Test(arguments: [(0, 3, 0), (1, 3, 1), (34, 3, 2), (50, 3, 2), (67, 3, 3), (100, 3, 3), (25, 4, 1), (10, 1, 1)])
    func aPercentageOfTheDesiredCapacityRoundsUp(_ percent: Int, _ desired: Int, _ expected: Int) {
        #expect(PlannedStep(.resize, percent: percent).resizeTarget(desired: desired) == expected)
    }

    @Test func stepsReadAsgardsSpellingsAndDescribeThemselves() throws {
        let json = #"[{"type": "resize", "target": "Next", "capacity": 2}, {"type": "disableGroup", "target": "Previous"}, {"type": "judgment", "minutes": 5}]"#
        let steps = try JSONDecoder().decode([PlannedStep].self, from: Data(json.utf8))
        #expect(steps.map(\.group) == [.new, .previous, .new])
        #expect(steps.map { $0.summary(desired: 4) } == ["resize the new group to 2", "disable the previous group", "wait for a judgment (up to 5 min)"])
        #expect(steps[2].duration == 300)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(StepTarget.self, from: Data(#""sideways""#.utf8)) }
    }

    @Test func theStateOfARollbackSurvivesItsJSON() throws {
        var state = DeploymentState(previousGroups: ["shop-prod-v000", "shop-prod-v001"])
        state.serving = ["shop-prod-v001": DeploymentCapacity(min: 1, desired: 2, max: 3)]
        state.rollback = RollbackOrder(reason: "canceled by alice", outcome: .canceled)
        state.waitUntil = Date(timeIntervalSince1970: 1_000)
        let decoded = try JSONDecoder().decode(DeploymentState.self, from: try JSONEncoder().encode(state))
        #expect(decoded == state)
        #expect(decoded.previousServingGroup == "shop-prod-v001")
        #expect(DeploymentState(previousGroups: ["a", "b"]).previousServingGroup == "b", "a checkpoint from before serving was kept")
    }
}
