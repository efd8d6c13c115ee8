import Foundation

/// AWS's scaling policy types. Stored by raw value.
public enum ScalingPolicyType: String, CaseIterable, Sendable, Hashable, Codable {
    case simpleScaling = "SimpleScaling"
    case stepScaling = "StepScaling"
    case targetTrackingScaling = "TargetTrackingScaling"
}

/// How a simple or step policy changes the capacity. Stored by raw value.
public enum AdjustmentType: String, CaseIterable, Sendable, Hashable, Codable {
    case changeInCapacity = "ChangeInCapacity"
    case exactCapacity = "ExactCapacity"
    case percentChangeInCapacity = "PercentChangeInCapacity"
}

/// One step of a step policy: applies when the breach (metric − threshold) lies in
/// [lower, upper); a missing bound is infinite.
public struct StepAdjustment: Sendable, Hashable, Codable {
    public var metricIntervalLowerBound: Double?
    public var metricIntervalUpperBound: Double?
    public var scalingAdjustment: Int

    /// Creates a step.
    public init(metricIntervalLowerBound: Double?, metricIntervalUpperBound: Double?, scalingAdjustment: Int) {
        self.metricIntervalLowerBound = metricIntervalLowerBound
        self.metricIntervalUpperBound = metricIntervalUpperBound
        self.scalingAdjustment = scalingAdjustment
    }

    func contains(_ breach: Double) -> Bool {
        (metricIntervalLowerBound.map { breach >= $0 } ?? true) && (metricIntervalUpperBound.map { breach < $0 } ?? true)
    }
}

/// AWS's predefined metrics for target tracking. Stored by raw value.
public enum PredefinedMetricType: String, CaseIterable, Sendable, Hashable, Codable {
    /// Mean CPU of the group's instances, percent.
    case asgAverageCPUUtilization = "ASGAverageCPUUtilization"
    /// Requests per instance per minute, as AWS counts it.
    case albRequestCountPerTarget = "ALBRequestCountPerTarget"
}

/// What a target tracking policy keeps at its target.
public struct TargetTrackingConfiguration: Sendable, Hashable, Codable {
    public struct PredefinedMetricSpecification: Sendable, Hashable, Codable {
        public var predefinedMetricType: PredefinedMetricType
        public init(predefinedMetricType: PredefinedMetricType) { self.predefinedMetricType = predefinedMetricType }
    }

    public struct CustomizedMetricSpecification: Sendable, Hashable, Codable {
        public var metricName: ScalingMetric
        public var statistic: AlarmStatistic
        public init(metricName: ScalingMetric, statistic: AlarmStatistic = .average) {
            self.metricName = metricName
            self.statistic = statistic
        }
    }

    public var predefinedMetricSpecification: PredefinedMetricSpecification?
    public var customizedMetricSpecification: CustomizedMetricSpecification?
    public var targetValue: Double
    public var disableScaleIn: Bool?

    /// Creates a configuration.
    public init(predefined: PredefinedMetricType? = nil, customized: CustomizedMetricSpecification? = nil, targetValue: Double, disableScaleIn: Bool? = nil) {
        predefinedMetricSpecification = predefined.map(PredefinedMetricSpecification.init(predefinedMetricType:))
        customizedMetricSpecification = customized
        self.targetValue = targetValue
        self.disableScaleIn = disableScaleIn
    }

    /// The metric it tracks and how it is reduced.
    public var metric: (ScalingMetric, AlarmStatistic) {
        if let custom = customizedMetricSpecification { return (custom.metricName, custom.statistic) }
        switch predefinedMetricSpecification?.predefinedMetricType ?? .asgAverageCPUUtilization {
        case .asgAverageCPUUtilization: return (.cpuUtilization, .average)
        case .albRequestCountPerTarget: return (.requestCountPerTarget, .sum)
        }
    }
}

/// A scaling policy with AWS's fields.
public struct ScalingPolicyRecord: Sendable, Hashable, Codable {
    public var policyName: String
    public var autoScalingGroupName: String
    public var policyType: ScalingPolicyType
    public var adjustmentType: AdjustmentType?
    /// SimpleScaling: the change.
    public var scalingAdjustment: Int?
    /// PercentChangeInCapacity: the least number of instances to change by.
    public var minAdjustmentMagnitude: Int?
    /// SimpleScaling: seconds after a change before the next (default 300).
    public var cooldown: Int?
    public var stepAdjustments: [StepAdjustment]?
    /// StepScaling, TargetTracking: seconds until a new instance counts in the metric.
    public var estimatedInstanceWarmup: Int?
    public var targetTrackingConfiguration: TargetTrackingConfiguration?

    /// Creates a policy.
    public init(policyName: String, autoScalingGroupName: String, policyType: ScalingPolicyType, adjustmentType: AdjustmentType? = nil,
                scalingAdjustment: Int? = nil, minAdjustmentMagnitude: Int? = nil, cooldown: Int? = nil, stepAdjustments: [StepAdjustment]? = nil,
                estimatedInstanceWarmup: Int? = nil, targetTrackingConfiguration: TargetTrackingConfiguration? = nil) {
        self.policyName = policyName
        self.autoScalingGroupName = autoScalingGroupName
        self.policyType = policyType
        self.adjustmentType = adjustmentType
        self.scalingAdjustment = scalingAdjustment
        self.minAdjustmentMagnitude = minAdjustmentMagnitude
        self.cooldown = cooldown
        self.stepAdjustments = stepAdjustments
        self.estimatedInstanceWarmup = estimatedInstanceWarmup
        self.targetTrackingConfiguration = targetTrackingConfiguration
    }

    /// Every rule the policy breaks.
    public var problems: [FieldError] {
        var problems: [FieldError] = []
        func add(_ field: String, _ message: String) { problems.append(FieldError(field: field, message: message)) }
        if policyName.isEmpty || policyName.count > 255 || policyName.contains(where: { $0.isNewline || $0 == "/" }) {
            add("policyName", "is required: up to 255 characters, no slash")
        }
        switch policyType {
        case .simpleScaling:
            if adjustmentType == nil { add("adjustmentType", "is required: ChangeInCapacity, ExactCapacity or PercentChangeInCapacity") }
            if scalingAdjustment == nil { add("scalingAdjustment", "is required for SimpleScaling") }
            if let adjustment = scalingAdjustment, let problem = InputLimits.problem("scalingAdjustment", adjustment, InputLimits.scalingAdjustment) {
                problems.append(problem)
            }
        case .stepScaling:
            if adjustmentType == nil { add("adjustmentType", "is required: ChangeInCapacity, ExactCapacity or PercentChangeInCapacity") }
            let steps = stepAdjustments ?? []
            if steps.isEmpty { add("stepAdjustments", "StepScaling needs at least one step") }
            if steps.count > 20 { add("stepAdjustments", "\(steps.count) steps; at most 20") }
            for step in steps {
                if !InputLimits.scalingAdjustment.contains(step.scalingAdjustment) {
                    add("stepAdjustments", "scalingAdjustment \(step.scalingAdjustment) must be from \(InputLimits.scalingAdjustment.lowerBound) to \(InputLimits.scalingAdjustment.upperBound)")
                }
                for bound in [step.metricIntervalLowerBound, step.metricIntervalUpperBound].compactMap({ $0 }) where !InputLimits.metricValue.contains(bound) {
                    add("stepAdjustments", "bound \(CanaryJudge.format(bound)) must be a number from \(CanaryJudge.format(InputLimits.metricValue.lowerBound)) to \(CanaryJudge.format(InputLimits.metricValue.upperBound))")
                }
            }
            let sorted = steps.sorted { ($0.metricIntervalLowerBound ?? -.infinity) < ($1.metricIntervalLowerBound ?? -.infinity) }
            for (a, b) in zip(sorted, sorted.dropFirst()) where a.metricIntervalUpperBound != b.metricIntervalLowerBound {
                add("stepAdjustments", "steps must not overlap or leave gaps: an upper bound of one is the lower bound of the next")
                break
            }
        case .targetTrackingScaling:
            guard let config = targetTrackingConfiguration else {
                add("targetTrackingConfiguration", "is required for TargetTrackingScaling")
                break
            }
            if (config.predefinedMetricSpecification == nil) == (config.customizedMetricSpecification == nil) {
                add("targetTrackingConfiguration", "needs either predefinedMetricSpecification or customizedMetricSpecification")
            }
            if let problem = InputLimits.problem("targetValue", config.targetValue, InputLimits.targetValue) { problems.append(problem) }
        }
        if let cooldown, let problem = InputLimits.problem("cooldown", cooldown, InputLimits.scalingSeconds) { problems.append(problem) }
        if let warmup = estimatedInstanceWarmup, let problem = InputLimits.problem("estimatedInstanceWarmup", warmup, InputLimits.scalingSeconds) {
            problems.append(problem)
        }
        if let magnitude = minAdjustmentMagnitude, let problem = InputLimits.problem("minAdjustmentMagnitude", magnitude, InputLimits.minAdjustmentMagnitude) {
            problems.append(problem)
        }
        return problems
    }
}

/// The capacity arithmetic of scaling policies, as AWS does it.
public enum ScalingMath {
    /// The new desired capacity after `adjustment` of `type` on `current`, within [min, max].
    /// Overflow-safe whatever the numbers: a definition stored by an older version is not checked
    /// against today's ranges.
    public static func adjusted(_ current: Int, by adjustment: Int, type: AdjustmentType, minAdjustmentMagnitude: Int?, min: Int, max: Int) -> Int {
        var target: Int
        switch type {
        case .changeInCapacity: target = current.clampedAdding(adjustment)
        case .exactCapacity: target = adjustment
        case .percentChangeInCapacity:
            // AWS rounds toward zero below 1 in magnitude away from zero, and otherwise toward zero.
            let change = Double(current) * Double(adjustment) / 100
            var steps = Int(saturating: change)
            if steps == 0, adjustment != 0 { steps = adjustment > 0 ? 1 : -1 }
            if let magnitude = minAdjustmentMagnitude, steps.magnitude < magnitude.magnitude {
                let least = Int(clamping: magnitude.magnitude)
                steps = steps >= 0 ? least : -least
            }
            target = current.clampedAdding(steps)
        }
        return Swift.min(max, Swift.max(min, target))
    }

    /// The adjustment of the step that contains `breach` (metric − threshold), if any.
    public static func step(_ steps: [StepAdjustment], breach: Double) -> StepAdjustment? {
        steps.first { $0.contains(breach) }
    }

    /// Target tracking: the capacity that brings `metric` (measured with `current` instances)
    /// to `target`, proportionally, within [min, max]; rounded up when growing and when
    /// shrinking, so that it never undershoots.
    public static func tracked(current: Int, metric: Double, target: Double, min: Int, max: Int) -> Int {
        guard target > 0, current > 0, metric.isFinite else { return Swift.min(max, Swift.max(min, current)) }
        let needed = Int(saturating: (Double(current) * metric / target).rounded(.up))
        return Swift.min(max, Swift.max(min, needed))
    }
}
