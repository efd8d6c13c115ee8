import Foundation

/// The range of every number a person can give the console, in one place. Core's rules check
/// requests and stored definitions against them before any arithmetic; the routes check form
/// fields with them; the OpenAPI document publishes them as `minimum` and `maximum`.
public enum InputLimits {
    // Server groups.
    /// Instances of one local group: processes on this machine.
    public static let localGroupSize = 0...50
    /// The longest name of a cloud object a request may name (AWS's longest names are 255).
    public static let maxObjectNameLength = 255
    /// Instances of one AWS Auto Scaling group (AWS's default quota).
    public static let awsGroupSize = 0...1000
    /// Instances of the group a deployment creates.
    public static let deploymentSize = 0...50
    /// Seconds after launch before failed health checks count.
    public static let healthCheckGracePeriod = 0...86_400

    // Deployments.
    /// How long a new group may take to become healthy, seconds.
    public static let startupTimeoutSeconds = 1...86_400
    /// Disabled previous groups a red/black keeps.
    public static let keepDisabledGroups = 0...10
    /// A rolling push's wait after each replacement, seconds.
    public static let afterBootWait = 0...3600
    /// A `wait` step, seconds.
    public static let waitSeconds = 1...86_400
    /// A `judgment` step, minutes (3 days).
    public static let judgmentMinutes = 1...4320
    /// A `judgment` step, seconds (3 days).
    public static let judgmentSeconds = 1...259_200
    /// A `resize` step's share of the deployment's desired capacity, percent.
    public static let resizePercent = 0...100
    /// Steps of a custom or canary deployment.
    public static let steps = 1...100

    // Canaries.
    /// The canary's share of the requests, percent.
    public static let canaryWeight = 0...100
    /// An `analyze` step's length, seconds.
    public static let analysisSeconds = 1...86_400
    /// How often an `analyze` step judges, seconds.
    public static let analysisIntervalSeconds = 1...3600
    /// How long the sequential judge watches a rolling push's batch, and how long a step or
    /// batch lasts at least before it may pass early, seconds (0: not watched, or no floor).
    public static let judgeSeconds = 0...86_400
    /// The sequential judge's false-alarm probability: above 0, at most 0.2.
    public static func isAlpha(_ value: Double) -> Bool { value > 0 && value <= 0.2 }
    /// A `pause` step with a duration, seconds (3 days).
    public static let pauseSeconds = 1...259_200
    /// Requests (or samples) a judge needs before it says anything.
    public static let minimumRequests = 1...1_000_000_000

    // Load balancers.
    /// A load balancer's listener port.
    public static let port = 1...65535
    /// A server group's traffic weight on a load balancer.
    public static let trafficWeight = 0...1000
    /// How long an instance may take to answer a request before the load balancer answers 504,
    /// seconds (ELB's idle timeout).
    public static let idleTimeoutSeconds = 1...4000
    /// How long a deregistered instance keeps finishing its requests, seconds.
    public static let drainingTimeoutSeconds = 0...3600

    // Scaling.
    /// A simple or step policy's change: instances (or percent, or the exact capacity).
    public static let scalingAdjustment = -10_000...10_000
    /// The least number of instances a percent change moves.
    public static let minAdjustmentMagnitude = 1...10_000
    /// Cooldowns and warmups, seconds.
    public static let scalingSeconds = 0...86_400
    /// What a target tracking policy keeps its metric at.
    public static let targetValue: ClosedRange<Double> = 0.001...1_000_000_000
    /// An alarm's threshold and a step's bounds.
    public static let metricValue: ClosedRange<Double> = -1_000_000_000_000...1_000_000_000_000
    /// An alarm's period, seconds.
    public static let alarmPeriod = 1...86_400
    /// Periods an alarm looks at.
    public static let evaluationPeriods = 1...100
    /// Sizes a scheduled action sets.
    public static let scheduledSize = 0...1000

    // Accounts.
    /// An API token's lifetime, days.
    public static let tokenDays = 1...3650

    /// Rows of a list page, and rows skipped.
    public static let pageLimit = 1...1000
    public static let pageOffset = 0...1_000_000_000

    /// The range of each numeric field of the API, by name, as the OpenAPI document publishes it:
    /// the widest of the places a name is used (each route checks its own, such as a local
    /// group's 50 instances against an AWS group's 1000).
    public static let documented: [String: ClosedRange<Double>] = {
        func r(_ range: ClosedRange<Int>) -> ClosedRange<Double> { Double(range.lowerBound)...Double(range.upperBound) }
        return [
            "minSize": r(awsGroupSize), "maxSize": r(awsGroupSize), "desiredCapacity": r(awsGroupSize),
            "min": r(deploymentSize), "max": r(deploymentSize), "desired": r(deploymentSize), "batchSize": r(1...awsGroupSize.upperBound),
            "healthCheckGracePeriod": r(healthCheckGracePeriod), "startupTimeoutSeconds": r(startupTimeoutSeconds),
            "keepDisabledGroups": r(keepDisabledGroups), "relaunchCount": r(awsGroupSize), "concurrentRelaunches": r(1...deploymentSize.upperBound),
            "afterBootWait": r(afterBootWait), "analysisSeconds": r(0...analysisSeconds.upperBound), "intervalSeconds": r(analysisIntervalSeconds),
            "listenerPort": r(port), "drainingTimeout": r(drainingTimeoutSeconds), "idleTimeoutSeconds": r(idleTimeoutSeconds),
            "interval": r(HealthCheckSettings.intervalRange), "timeout": r(HealthCheckSettings.timeoutRange),
            "healthyThreshold": r(HealthCheckSettings.thresholdRange), "unhealthyThreshold": r(HealthCheckSettings.thresholdRange),
            "scalingAdjustment": r(scalingAdjustment), "minAdjustmentMagnitude": r(minAdjustmentMagnitude), "cooldown": r(scalingSeconds),
            "estimatedInstanceWarmup": r(scalingSeconds), "targetValue": targetValue, "threshold": metricValue, "period": r(alarmPeriod),
            "evaluationPeriods": r(evaluationPeriods), "datapointsToAlarm": r(evaluationPeriods), "expiresInDays": r(tokenDays),
            "limit": r(pageLimit), "offset": r(pageOffset), "hours": 1...168,
        ]
    }()

    /// The most bytes of a value sent by a client that a message, a page or the audit log repeats.
    public static let echoBytes = 1024

    /// `text` cut to `echoBytes` with a mark saying how long it was, or `text` when short enough.
    public static func echoed(_ text: String) -> String {
        guard text.utf8.count > echoBytes else { return text }
        var kept = Substring(text)
        while kept.utf8.count > echoBytes { kept = kept.dropLast(max(1, (kept.utf8.count - echoBytes) / 4)) }
        return kept + "… [cut: \(text.utf8.count) bytes in all]"
    }

    /// The problem with `value` for `field`, or nil when it lies in `range`.
    public static func problem(_ field: String, _ value: Int, _ range: ClosedRange<Int>, unit: String = "") -> FieldError? {
        range.contains(value) ? nil : FieldError(field: field, message: "\(value) must be from \(range.lowerBound) to \(range.upperBound)\(unit)")
    }

    /// The problem with `value` for `field`, or nil when it is a finite number in `range`.
    public static func problem(_ field: String, _ value: Double, _ range: ClosedRange<Double>) -> FieldError? {
        range.contains(value) ? nil : FieldError(field: field, message: "\(CanaryJudge.format(value)) must be a number from \(CanaryJudge.format(range.lowerBound)) to \(CanaryJudge.format(range.upperBound))")
    }
}

extension Int {
    /// `value` rounded toward zero and held within `Int`'s range; NaN becomes 0. For figures
    /// measured or derived from user input, where `Int(value)` would trap.
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9.2e18 {
            self = .max
        } else if value <= -9.2e18 {
            self = .min
        } else {
            self = Int(value)
        }
    }

    /// `self + other`, held at `Int.min` or `Int.max` instead of overflowing.
    public func clampedAdding(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    /// `self * other`, held at `Int.min` or `Int.max` instead of overflowing.
    public func clampedMultiplied(by other: Int) -> Int {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? ((self < 0) == (other < 0) ? .max : .min) : product
    }
}
