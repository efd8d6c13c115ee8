import Foundation

/// How a load balancer checks its instances, with ELB's field names.
public struct HealthCheckSettings: Sendable, Hashable, Codable {
    /// The path it requests with GET; a 2xx answer passes.
    public var target: String
    /// Seconds between two checks of one instance.
    public var interval: Int
    /// Seconds to wait for an answer.
    public var timeout: Int
    /// Consecutive passes that make an instance healthy.
    public var healthyThreshold: Int
    /// Consecutive failures that make an instance unhealthy.
    public var unhealthyThreshold: Int

    /// Creates settings.
    public init(target: String = "/health", interval: Int = 5, timeout: Int = 2, healthyThreshold: Int = 2, unhealthyThreshold: Int = 2) {
        self.target = target
        self.interval = interval
        self.timeout = timeout
        self.healthyThreshold = healthyThreshold
        self.unhealthyThreshold = unhealthyThreshold
    }

    /// The allowed range of each number, as ELB has them (the interval may be shorter on one host).
    public static let intervalRange = 1...300
    public static let timeoutRange = 1...60
    public static let thresholdRange = 2...10

    /// Every rule these settings break, by field.
    public var problems: [FieldError] {
        var problems: [FieldError] = []
        if !target.hasPrefix("/") || target.contains(where: { $0.isWhitespace || !$0.isASCII }) {
            problems.append(FieldError(field: "target", message: "'\(target)' must be a path starting with /, e.g. /health"))
        }
        func check(_ field: String, _ value: Int, _ range: ClosedRange<Int>) {
            if !range.contains(value) {
                problems.append(FieldError(field: field, message: "\(value) must be from \(range.lowerBound) to \(range.upperBound)"))
            }
        }
        check("interval", interval, Self.intervalRange)
        check("timeout", timeout, Self.timeoutRange)
        check("healthyThreshold", healthyThreshold, Self.thresholdRange)
        check("unhealthyThreshold", unhealthyThreshold, Self.thresholdRange)
        if problems.isEmpty, timeout >= interval {
            problems.append(FieldError(field: "timeout", message: "\(timeout) s must be shorter than the interval (\(interval) s)"))
        }
        return problems
    }
}
