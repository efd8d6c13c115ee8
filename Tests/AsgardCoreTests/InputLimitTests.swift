import AsgardCore
import Foundation
import Testing

/// Numbers from outside are checked against their ranges before use, and the arithmetic on
/// them cannot trap whatever they are.
@Suite("Input limits")
struct InputLimitTests {
    static let extremes: [Int] = [0, 1, -1, 1 << 31, 1 << 53, Int.max, Int.min, 153_722_867_280_912_931]

    @Test(arguments: extremes)
    func scalingArithmeticHoldsAnyAdjustment(_ adjustment: Int) {
        for type in AdjustmentType.allCases {
            for current in [0, 1, 7, Int.max, Int.min] {
                let desired = ScalingMath.adjusted(current, by: adjustment, type: type, minAdjustmentMagnitude: adjustment,
                                                   min: 0, max: 50)
                #expect((0...50).contains(desired), "\(type) \(current) by \(adjustment) gave \(desired)")
            }
        }
    }

    @Test(arguments: [1e-300, 1e308, .greatestFiniteMagnitude, .leastNonzeroMagnitude, .nan, .infinity, -.infinity, 0, -1])
    func targetTrackingHoldsAnyTargetAndMetric(_ value: Double) {
        for metric in [value, 1e308, 0, 2400] {
            let desired = ScalingMath.tracked(current: 3, metric: metric, target: value, min: 1, max: 10)
            #expect((1...10).contains(desired))
            #expect((1...10).contains(ScalingMath.tracked(current: 3, metric: value, target: 600, min: 1, max: 10)))
        }
    }

    @Test func policiesOutOfRangeAreRefused() {
        var simple = ScalingPolicyRecord(policyName: "big", autoScalingGroupName: "shop-v000", policyType: .simpleScaling,
                                         adjustmentType: .changeInCapacity, scalingAdjustment: Int.max)
        #expect(simple.problems.map(\.field) == ["scalingAdjustment"])
        simple.scalingAdjustment = 2
        #expect(simple.problems.isEmpty)
        for target in [1e-300, 0, -5, .nan, .infinity, 2e9] {
            let tracking = ScalingPolicyRecord(policyName: "t", autoScalingGroupName: "shop-v000", policyType: .targetTrackingScaling,
                                               targetTrackingConfiguration: TargetTrackingConfiguration(predefined: .albRequestCountPerTarget, targetValue: target))
            #expect(tracking.problems.map(\.field) == ["targetValue"], "\(target)")
        }
        let steps = ScalingPolicyRecord(policyName: "s", autoScalingGroupName: "shop-v000", policyType: .stepScaling, adjustmentType: .changeInCapacity,
                                        stepAdjustments: [StepAdjustment(metricIntervalLowerBound: 0, metricIntervalUpperBound: .nan, scalingAdjustment: Int.min)])
        #expect(steps.problems.contains { $0.message.contains("scalingAdjustment") })
        #expect(steps.problems.contains { $0.message.contains("bound") })
        let alarm = AlarmRecord(alarmName: "a", autoScalingGroupName: "shop-v000", metricName: .inServiceInstances, period: 60,
                                threshold: 1e308, comparisonOperator: .greaterThanOrEqualToThreshold, now: Date())
        #expect(alarm.problems(interval: 10).map(\.field) == ["threshold"])
    }

    @Test(arguments: [Int.max, 153_722_867_280_912_931, Int.min, 0, 4321])
    func aJudgmentOutOfRangeIsRefusedWithoutTrapping(_ minutes: Int) {
        let steps = [PlannedStep(.createGroup), PlannedStep(.judgment, minutes: minutes), PlannedStep(.disableGroup)]
        let problems = PlannedStep.problems(of: steps, max: 4)
        #expect(problems.count == 1)
        #expect(problems.first?.message.contains("must be from 1 to 4320") == true)
        #expect(PlannedStep(.judgment, minutes: minutes).duration >= Int.min)
    }

    @Test func deploymentSettingsOutOfRangeAreRefused() {
        var request = DeploymentRequest(cluster: "shop-prod", imageId: ImageID(rawValue: "img-00000000"), strategy: .redBlack,
                                        capacity: DeploymentCapacity(min: Int.min, desired: 1, max: Int.max))
        request.startupTimeoutSeconds = Int.max
        request.keepDisabledGroups = -1
        #expect(Set(request.problems.map(\.field)) == ["capacity", "startupTimeoutSeconds", "keepDisabledGroups"])
        var canary = CanarySettings(steps: [.setWeight(Int.max), .analyze(durationSeconds: Int.max, intervalSeconds: Int.min)])
        canary.analysis.minimumRequests = Int.max
        canary.analysis.groupWeights = ["errors": .nan]
        let messages = canary.problems.map(\.message)
        #expect(messages.contains { $0.contains("setWeight") })
        #expect(messages.contains { $0.contains("durationSeconds") })
        #expect(messages.contains { $0.contains("minimumRequests") })
        #expect(messages.contains { $0.contains("group weights") })
    }

    @Test func aScheduledActionKeepsMinBelowMax() {
        let crossed = ScheduledActionRecord(scheduledActionName: "x", autoScalingGroupName: "shop-v000", recurrence: "0 8 * * *", minSize: 5, maxSize: 1)
        #expect(crossed.problems.map(\.field) == ["minSize"])
        let below = ScheduledActionRecord(scheduledActionName: "x", autoScalingGroupName: "shop-v000", recurrence: "0 8 * * *", minSize: 2, desiredCapacity: 1)
        #expect(below.problems.map(\.field) == ["desiredCapacity"])
        // Applied, what the action leaves alone moves just enough to keep min <= desired <= max.
        let lowerMax = ScheduledActionRecord(scheduledActionName: "x", autoScalingGroupName: "g", recurrence: "0 8 * * *", maxSize: 1)
        #expect(lowerMax.applied(to: (2, 3, 5), limit: 0...50) == (1, 1, 1))
        let higherMin = ScheduledActionRecord(scheduledActionName: "x", autoScalingGroupName: "g", recurrence: "0 8 * * *", minSize: 6)
        #expect(higherMin.applied(to: (2, 3, 5), limit: 0...50) == (6, 6, 6))
        let huge = ScheduledActionRecord(scheduledActionName: "x", autoScalingGroupName: "g", recurrence: "0 8 * * *", desiredCapacity: Int.max)
        #expect(huge.applied(to: (0, 1, 4), limit: 0...50) == (0, 4, 4))
    }

    @Test func echoedValuesAreCutWithAMark() {
        #expect(InputLimits.echoed("short") == "short")
        let long = String(repeating: "é", count: 100_000)
        let cut = InputLimits.echoed(long)
        #expect(cut.utf8.count < InputLimits.echoBytes + 60)
        #expect(cut.hasSuffix("… [cut: 200000 bytes in all]"))
    }

    @Test func saturatingConversionsNeverTrap() {
        #expect(Int(saturating: 1e300) == .max)
        #expect(Int(saturating: -1e300) == .min)
        #expect(Int(saturating: .nan) == 0)
        #expect(Int(saturating: 41.9) == 41)
        #expect(Int.max.clampedAdding(1) == .max)
        #expect(Int.min.clampedAdding(-1) == .min)
        #expect(Int.max.clampedMultiplied(by: 60) == .max)
        #expect(Int.min.clampedMultiplied(by: 60) == .min)
        #expect(7.clampedMultiplied(by: 60) == 420)
    }

    @Test func applicationNamesNeedALetterOrDigit() {
        for name in [".", "..", "...", "_", "._"] {
            #expect(throws: FieldError.self) { try AppName(validating: name) }
        }
        #expect((try? AppName(validating: "a.b"))?.rawValue == "a.b")
    }
}
