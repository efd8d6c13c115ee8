import AsgardCore
import Foundation
import Testing

@Suite("Scaling rules")
struct ScalingRuleTests {
    static let utc = TimeZone(identifier: "UTC")!

    static func time(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text)!
    }

    @Test(arguments: [
        ("*/15 * * * *", "2026-11-28T10:07:30Z", "2026-11-28T10:15:00Z"),
        ("0 9 * * 1-5", "2026-11-28T10:00:00Z", "2026-11-30T09:00:00Z"),  // Saturday → Monday
        ("30 2 1 * *", "2026-11-28T10:00:00Z", "2026-12-01T02:30:00Z"),
        ("0 0 29 2 *", "2026-11-28T10:00:00Z", "2028-02-29T00:00:00Z"),
        ("0 12 * * 0", "2026-11-28T10:00:00Z", "2026-11-29T12:00:00Z"),  // Sunday as 0
        ("0 12 * * 7", "2026-11-28T10:00:00Z", "2026-11-29T12:00:00Z"),  // and as 7
        ("5 10 * * *", "2026-11-28T10:05:00Z", "2026-11-29T10:05:00Z"),  // strictly after
        ("0 8 1 * 1", "2026-11-28T10:00:00Z", "2026-11-30T08:00:00Z"),   // day of month or day of week
    ])
    func cronFindsTheNextMatch(_ expression: String, _ after: String, _ expected: String) throws {
        let schedule = try CronSchedule(expression)
        #expect(schedule.next(after: Self.time(after), in: Self.utc) == Self.time(expected))
    }

    @Test func cronRunsInItsTimeZone() throws {
        let paris = TimeZone(identifier: "Europe/Paris")!
        // 08:00 in Paris is 07:00 UTC in winter.
        #expect(try CronSchedule("0 8 * * *").next(after: Self.time("2026-11-28T07:30:00Z"), in: paris) == Self.time("2026-11-29T07:00:00Z"))
    }

    @Test(arguments: [("61 * * * *", "minute '61' must be within 0-59"), ("* * *", "needs 5 fields"), ("*/0 * * * *", "step in '*/0' must be a positive number"),
                      ("5-1 * * * *", "must be within 0-59")])
    func badCronIsRefusedSayingWhy(_ expression: String, _ expected: String) {
        #expect(throws: FieldError.self) { try CronSchedule(expression) }
        do { _ = try CronSchedule(expression) } catch { #expect(error.message.contains(expected), "\(error.message)") }
    }

    @Test func aScheduledActionRunsOnceAtItsStartOrAtEachRecurrence() {
        var once = ScheduledActionRecord(scheduledActionName: "once", autoScalingGroupName: "shop-v000", startTime: Self.time("2026-11-28T10:00:00Z"), desiredCapacity: 2)
        #expect(!once.isDue(at: Self.time("2026-11-28T09:59:59Z"), lastCheck: Self.time("2026-11-28T09:59:58Z")))
        #expect(once.isDue(at: Self.time("2026-11-28T10:00:00Z"), lastCheck: Self.time("2026-11-28T09:59:59Z")))
        once.lastRun = Self.time("2026-11-28T10:00:00Z")
        #expect(!once.isDue(at: Self.time("2026-11-28T10:00:05Z"), lastCheck: Self.time("2026-11-28T10:00:04Z")))
        let hourly = ScheduledActionRecord(scheduledActionName: "hourly", autoScalingGroupName: "shop-v000", recurrence: "0 * * * *", desiredCapacity: 3)
        #expect(hourly.isDue(at: Self.time("2026-11-28T11:00:00Z"), lastCheck: Self.time("2026-11-28T10:59:59Z")))
        #expect(!hourly.isDue(at: Self.time("2026-11-28T11:00:30Z"), lastCheck: Self.time("2026-11-28T11:00:29Z")))
        #expect(hourly.problems.isEmpty)
        #expect(ScheduledActionRecord(scheduledActionName: "x", autoScalingGroupName: "g").problems.map(\.field) == ["startTime", "desiredCapacity"])
    }

    static func alarm(_ m: Int, of n: Int, missing: MissingDataTreatment = .missing) -> AlarmRecord {
        AlarmRecord(alarmName: "busy", autoScalingGroupName: "shop-v000", metricName: .cpuUtilization, period: 10, evaluationPeriods: n,
                    datapointsToAlarm: m, threshold: 70, comparisonOperator: .greaterThanThreshold, treatMissingData: missing, now: Date(timeIntervalSince1970: 0))
    }

    @Test func anAlarmGoesOffWhenMOfTheLastNDatapointsBreach() {
        #expect(AlarmEvaluator.evaluate(Self.alarm(2, of: 3), periods: [80, 50, 90]).0 == .alarm)
        #expect(AlarmEvaluator.evaluate(Self.alarm(2, of: 3), periods: [80, 50, 60]).0 == .ok)
        #expect(AlarmEvaluator.evaluate(Self.alarm(3, of: 3), periods: [80, 70, 90]).0 == .ok, "70 is not greater than 70")
        #expect(AlarmEvaluator.evaluate(Self.alarm(1, of: 1), periods: [nil]).0 == .insufficientData)
        #expect(AlarmEvaluator.evaluate(Self.alarm(2, of: 3, missing: .breaching), periods: [nil, 50, nil]).0 == .alarm)
        #expect(AlarmEvaluator.evaluate(Self.alarm(1, of: 2, missing: .notBreaching), periods: [nil, nil]).0 == .ok)
        let (_, reason) = AlarmEvaluator.evaluate(Self.alarm(2, of: 3), periods: [80, 50, 90])
        #expect(reason == "Threshold crossed: 2 of the last 3 datapoints [80, 50, 90] were CPUUtilization Average > 70")
        #expect(Self.alarm(4, of: 3).problems(interval: 10).map(\.field) == ["datapointsToAlarm"])
        #expect(Self.alarm(1, of: 1).problems(interval: 3).map(\.field) == ["period"], "10 s is not a multiple of 3 s")
    }

    @Test(arguments: [
        (AdjustmentType.changeInCapacity, 2, 3, 5), (.changeInCapacity, -5, 3, 1), (.exactCapacity, 7, 3, 6), (.exactCapacity, 0, 3, 1),
        (.percentChangeInCapacity, 50, 4, 6), (.percentChangeInCapacity, 10, 4, 5), (.percentChangeInCapacity, -10, 4, 3), (.percentChangeInCapacity, -50, 5, 3),
    ])
    func adjustmentsStayWithinMinAndMax(_ type: AdjustmentType, _ adjustment: Int, _ current: Int, _ expected: Int) {
        #expect(ScalingMath.adjusted(current, by: adjustment, type: type, minAdjustmentMagnitude: nil, min: 1, max: 6) == expected)
    }

    @Test func aMinimumMagnitudeWidensSmallPercentChanges() {
        #expect(ScalingMath.adjusted(4, by: 10, type: .percentChangeInCapacity, minAdjustmentMagnitude: 2, min: 0, max: 10) == 6)
    }

    @Test func stepsPickTheAdjustmentOfTheBreach() {
        let steps = [StepAdjustment(metricIntervalLowerBound: 0, metricIntervalUpperBound: 10, scalingAdjustment: 1),
                     StepAdjustment(metricIntervalLowerBound: 10, metricIntervalUpperBound: nil, scalingAdjustment: 3)]
        #expect(ScalingMath.step(steps, breach: 4)?.scalingAdjustment == 1)
        #expect(ScalingMath.step(steps, breach: 10)?.scalingAdjustment == 3)
        #expect(ScalingMath.step(steps, breach: -1) == nil)
        let gap = ScalingPolicyRecord(policyName: "p", autoScalingGroupName: "g", policyType: .stepScaling, adjustmentType: .changeInCapacity,
                                      stepAdjustments: [steps[0], StepAdjustment(metricIntervalLowerBound: 20, metricIntervalUpperBound: nil, scalingAdjustment: 3)])
        #expect(gap.problems.map(\.field) == ["stepAdjustments"])
    }

    @Test(arguments: [(2, 120.0, 60.0, 4), (4, 30.0, 60.0, 2), (3, 61.0, 60.0, 4), (5, 0.0, 60.0, 1), (2, 1000.0, 60.0, 8)])
    func targetTrackingScalesInProportion(_ current: Int, _ metric: Double, _ target: Double, _ expected: Int) {
        #expect(ScalingMath.tracked(current: current, metric: metric, target: target, min: 1, max: 8) == expected)
    }

    @Test func targetTrackingNeedsAMetricAndATarget() {
        let none = ScalingPolicyRecord(policyName: "t", autoScalingGroupName: "g", policyType: .targetTrackingScaling)
        #expect(none.problems.map(\.field) == ["targetTrackingConfiguration"])
        let zero = ScalingPolicyRecord(policyName: "t", autoScalingGroupName: "g", policyType: .targetTrackingScaling,
                                       targetTrackingConfiguration: TargetTrackingConfiguration(predefined: .albRequestCountPerTarget, targetValue: 0))
        #expect(zero.problems.map(\.field) == ["targetValue"])
        #expect(TargetTrackingConfiguration(predefined: .albRequestCountPerTarget, targetValue: 600).metric.0 == .requestCountPerTarget)
    }

    @Test func procReadingsGiveCPUTimeAndResidentMemory() throws {
        let stat = "4242 (asgard sample) S 1 4242 4242 0 -1 4194560 1012 0 0 0 250 50 0 0 20 0 9 0 12345 1000000 2048 18446744073709551615"
        let usage = try #require(InstanceUsage.parse(instanceId: InstanceID(rawValue: "i-0123456789abcdef0"), stat: stat, statm: "5000 2048 300 1 0 900 0",
                                                     ticksPerSecond: 100, pageSize: 4096))
        #expect(usage.cpuSeconds == 3)
        #expect(usage.residentBytes == 2048 * 4096)
    }
}

@Suite("Scale-in protection")
struct ScaleInProtectionTests {
    @Test func aShrinkingGroupEndsUnprotectedInstancesOnlyAndStaysLargerIfItMust() {
        func instance(_ n: Int, protected: Bool) -> InstanceObservation {
            InstanceObservation(record: InstanceRecord(instanceId: InstanceID(rawValue: "i-000000000000000\(n)"), autoScalingGroupName: "shop-v000",
                                                       imageId: ImageID(rawValue: "img-00000001"), lifecycleState: .inService, healthStatus: .healthy,
                                                       launchTime: Date(timeIntervalSince1970: Double(n)), port: 9000 + n, pid: nil, startTicks: nil,
                                                       protectedFromScaleIn: protected),
                                processAlive: true, portOpen: true, loadBalancerProblem: nil)
        }
        var group = ServerGroupRecord(autoScalingGroupName: "shop-v000", imageId: ImageID(rawValue: "img-00000001"), minSize: 0, desiredCapacity: 1,
                                      maxSize: 3, healthCheckType: .ec2, healthCheckGracePeriod: 0, terminationPolicies: [.default],
                                      suspendedProcesses: [], loadBalancerNames: [], createdTime: Date(timeIntervalSince1970: 0))
        let all = [instance(1, protected: true), instance(2, protected: false), instance(3, protected: false)]
        let ended = ServerGroupPlanner.plan(group, instances: all, now: Date(timeIntervalSince1970: 100)).compactMap { action -> String? in
            if case .terminate(let id, _) = action { return id.rawValue }
            return nil
        }
        #expect(ended.sorted() == ["i-0000000000000002", "i-0000000000000003"])
        group.desiredCapacity = 0
        let none = ServerGroupPlanner.plan(group, instances: [instance(1, protected: true)], now: Date(timeIntervalSince1970: 100))
        #expect(none.isEmpty, "a protected instance stays even at desired capacity 0")
    }
}
