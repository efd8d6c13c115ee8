import Foundation

/// The metrics the console collects for every server group, with CloudWatch's names where AWS
/// has them. Stored by raw value.
public enum ScalingMetric: String, CaseIterable, Sendable, Hashable, Codable {
    /// Requests its load balancers sent it in the period.
    case requestCount = "RequestCount"
    /// Requests per in-service instance in the period.
    case requestCountPerTarget = "RequestCountPerTarget"
    /// 5xx answers of its instances in the period.
    case http5xxCount = "HTTPCode_Target_5XX_Count"
    /// Mean latency through its load balancers, in milliseconds.
    case targetResponseTime = "TargetResponseTime"
    /// 99th percentile latency through its load balancers, in milliseconds.
    case targetResponseTimeP99 = "TargetResponseTimeP99"
    /// Mean CPU of its instances, percent of one core.
    case cpuUtilization = "CPUUtilization"
    /// Mean resident memory of its instances, MiB.
    case memoryResident = "MemoryResidentMiB"
    /// Instances InService.
    case inServiceInstances = "GroupInServiceInstances"

    /// Counts add up over a period; the others are averaged.
    public var isCount: Bool {
        self == .requestCount || self == .http5xxCount || self == .requestCountPerTarget
    }
}

/// One collection of a group's metrics.
public struct MetricDatapoint: Sendable, Hashable, Codable {
    public var time: Date
    /// Seconds the datapoint covers.
    public var seconds: Double
    public var values: [ScalingMetric: Double]

    /// Creates a datapoint.
    public init(time: Date, seconds: Double, values: [ScalingMetric: Double]) {
        self.time = time
        self.seconds = seconds
        self.values = values
    }
}

/// How an alarm reduces a period's datapoints to one value.
public enum AlarmStatistic: String, CaseIterable, Sendable, Hashable, Codable {
    case average = "Average"
    case sum = "Sum"
    case minimum = "Minimum"
    case maximum = "Maximum"
    case sampleCount = "SampleCount"

    /// The statistic of `values`; nil when there are none.
    public func reduce(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return self == .sampleCount ? 0 : nil }
        switch self {
        case .average: return values.reduce(0, +) / Double(values.count)
        case .sum: return values.reduce(0, +)
        case .minimum: return values.min()
        case .maximum: return values.max()
        case .sampleCount: return Double(values.count)
        }
    }
}

/// CloudWatch's comparison operators.
public enum ComparisonOperator: String, CaseIterable, Sendable, Hashable, Codable {
    case greaterThanOrEqualToThreshold = "GreaterThanOrEqualToThreshold"
    case greaterThanThreshold = "GreaterThanThreshold"
    case lessThanThreshold = "LessThanThreshold"
    case lessThanOrEqualToThreshold = "LessThanOrEqualToThreshold"

    /// True when `value` breaches `threshold`.
    public func breaches(_ value: Double, _ threshold: Double) -> Bool {
        switch self {
        case .greaterThanOrEqualToThreshold: value >= threshold
        case .greaterThanThreshold: value > threshold
        case .lessThanThreshold: value < threshold
        case .lessThanOrEqualToThreshold: value <= threshold
        }
    }

    /// The operator as a symbol, for reasons in words.
    public var symbol: String {
        switch self {
        case .greaterThanOrEqualToThreshold: ">="
        case .greaterThanThreshold: ">"
        case .lessThanThreshold: "<"
        case .lessThanOrEqualToThreshold: "<="
        }
    }
}

/// An alarm's state, as CloudWatch names it.
public enum AlarmState: String, CaseIterable, Sendable, Hashable, Codable {
    case ok = "OK"
    case alarm = "ALARM"
    case insufficientData = "INSUFFICIENT_DATA"
}

/// How an alarm treats a period without data.
public enum MissingDataTreatment: String, CaseIterable, Sendable, Hashable, Codable {
    case missing
    case notBreaching
    case breaching
    case ignore
}
