import Foundation

/// A server group (auto scaling group) of the local cloud, with AWS's field names.
public struct ServerGroupRecord: Sendable, Hashable, Codable {
    public var autoScalingGroupName: String
    public var imageId: ImageID
    public var minSize: Int
    public var desiredCapacity: Int
    public var maxSize: Int
    public var healthCheckType: HealthCheckType
    /// Seconds after launch during which failed health checks do not replace an instance.
    public var healthCheckGracePeriod: Int
    public var terminationPolicies: [TerminationPolicy]
    public var suspendedProcesses: [ScalingProcess]
    public var loadBalancerNames: [String]
    /// The security groups its instances launch into (AWS; the local cloud has none), by name.
    public var securityGroups: [String] = []
    public var createdTime: Date

    /// Creates a record.
    public init(autoScalingGroupName: String, imageId: ImageID, minSize: Int, desiredCapacity: Int, maxSize: Int,
                healthCheckType: HealthCheckType, healthCheckGracePeriod: Int, terminationPolicies: [TerminationPolicy],
                suspendedProcesses: [ScalingProcess], loadBalancerNames: [String], createdTime: Date) {
        self.autoScalingGroupName = autoScalingGroupName
        self.imageId = imageId
        self.minSize = minSize
        self.desiredCapacity = desiredCapacity
        self.maxSize = maxSize
        self.healthCheckType = healthCheckType
        self.healthCheckGracePeriod = healthCheckGracePeriod
        self.terminationPolicies = terminationPolicies
        self.suspendedProcesses = suspendedProcesses
        self.loadBalancerNames = loadBalancerNames
        self.createdTime = createdTime
    }

    /// True when `process` is suspended.
    public func isSuspended(_ process: ScalingProcess) -> Bool { suspendedProcesses.contains(process) }

    /// The group's name parts.
    public var names: Names? { Names(parsing: autoScalingGroupName) }

    /// The sizes outside `limit`; empty when each is within it.
    public func sizeProblems(limit: ClosedRange<Int>) -> [FieldError] {
        [("minSize", minSize), ("desiredCapacity", desiredCapacity), ("maxSize", maxSize)].compactMap { field, value in
            InputLimits.problem(field, value, limit)
        }
    }
}

/// An instance of a local server group: a process on this host.
public struct InstanceRecord: Sendable, Hashable, Codable {
    public var instanceId: InstanceID
    public var autoScalingGroupName: String
    public var imageId: ImageID
    public var lifecycleState: LifecycleState
    public var healthStatus: HealthStatus
    public var launchTime: Date
    /// The loopback port it listens on (its `PORT`).
    public var port: Int
    /// The process id, nil before it started.
    public var pid: Int32?
    /// The process's start time in clock ticks since boot, with `pid` its identity.
    public var startTicks: UInt64?
    /// Why it is unhealthy, terminating or terminated, in words.
    public var statusReason: String?
    /// Protected from scale-in: a group that shrinks ends other instances (AWS's
    /// ProtectedFromScaleIn); nil is false.
    public var protectedFromScaleIn: Bool?
    /// The address other machines reach it at (an EC2 private IP); nil for a local instance,
    /// which listens on 127.0.0.1:`port`.
    public var privateAddress: String?

    /// Where it can be reached: its private address, or 127.0.0.1 and its port.
    public var address: String { privateAddress ?? "127.0.0.1:\(port)" }

    /// True when the instance is protected from scale-in.
    public var isProtected: Bool { protectedFromScaleIn == true }

    /// Creates a record.
    public init(instanceId: InstanceID, autoScalingGroupName: String, imageId: ImageID, lifecycleState: LifecycleState,
                healthStatus: HealthStatus, launchTime: Date, port: Int, pid: Int32?, startTicks: UInt64?, statusReason: String? = nil,
                protectedFromScaleIn: Bool? = nil) {
        self.protectedFromScaleIn = protectedFromScaleIn
        self.instanceId = instanceId
        self.autoScalingGroupName = autoScalingGroupName
        self.imageId = imageId
        self.lifecycleState = lifecycleState
        self.healthStatus = healthStatus
        self.launchTime = launchTime
        self.port = port
        self.pid = pid
        self.startTicks = startTicks
        self.statusReason = statusReason
    }
}
