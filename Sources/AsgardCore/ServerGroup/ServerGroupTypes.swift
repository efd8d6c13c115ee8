import Foundation

/// The id of an instance: `i-` and 17 hexadecimal digits, as EC2 writes them.
public struct InstanceID: StringIdentifier, Comparable {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// A new random id.
    public static func random() -> InstanceID {
        var generator = SystemRandomNumberGenerator()
        let high = UInt64.random(in: 0..<(1 << 4), using: &generator)
        let low = UInt64.random(in: .min ... .max, using: &generator)
        let lowHex = String(low, radix: 16)
        return InstanceID(rawValue: "i-" + String(high, radix: 16) + String(repeating: "0", count: 16 - lowHex.count) + lowHex)
    }

    /// True for `i-` and 17 lower-case hexadecimal digits.
    public static func isWellFormed(_ text: String) -> Bool {
        text.hasPrefix("i-") && text.count == 19
            && text.dropFirst(2).allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    public static func < (lhs: InstanceID, rhs: InstanceID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where an instance is in its life, named as AWS Auto Scaling names it. Stored by raw value.
public enum LifecycleState: String, CaseIterable, Sendable, Codable {
    case pending = "Pending"
    case inService = "InService"
    case terminating = "Terminating"
    case terminated = "Terminated"

    /// True while the instance counts towards the group's capacity.
    public var countsTowardsCapacity: Bool { self == .pending || self == .inService }
}

/// An instance's health, as AWS Auto Scaling names it. Stored by raw value.
public enum HealthStatus: String, CaseIterable, Sendable, Codable {
    case healthy = "Healthy"
    case unhealthy = "Unhealthy"
}

/// The processes of a group that can be suspended, with AWS's names. Stored by raw value.
public enum ScalingProcess: String, CaseIterable, Sendable, Codable {
    /// Launching instances to reach the desired capacity.
    case launch = "Launch"
    /// Terminating instances above the desired capacity.
    case terminate = "Terminate"
    /// Marking instances unhealthy when their check fails.
    case healthCheck = "HealthCheck"
    /// Replacing instances marked unhealthy.
    case replaceUnhealthy = "ReplaceUnhealthy"
    /// Registering new instances with the group's load balancers.
    case addToLoadBalancer = "AddToLoadBalancer"
    /// Running the scaling policies its alarms (and target tracking) call.
    case alarmNotification = "AlarmNotification"
    /// Running its scheduled actions.
    case scheduledActions = "ScheduledActions"
}

/// How a group chooses which instances to end when it shrinks. Stored by raw value.
public enum TerminationPolicy: String, CaseIterable, Sendable, Codable {
    case oldestInstance = "OldestInstance"
    case newestInstance = "NewestInstance"
    case oldestLaunchConfiguration = "OldestLaunchConfiguration"
    case `default` = "Default"
}

/// What decides an instance's health. Stored by raw value.
public enum HealthCheckType: String, CaseIterable, Sendable, Codable {
    /// The process is alive.
    case ec2 = "EC2"
    /// The load balancer's health check passes.
    case elb = "ELB"
}
