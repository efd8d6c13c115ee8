import AsgardCore
import Foundation

/// A server group as the API shows it, with AWS's field names and its instances.
public struct ServerGroupJSON: Codable, Sendable, Hashable {
    public var autoScalingGroupName: String
    public var cluster: String
    public var appName: String
    public var imageId: ImageID
    public var minSize: Int
    public var desiredCapacity: Int
    public var maxSize: Int
    public var healthCheckType: HealthCheckType
    public var healthCheckGracePeriod: Int
    public var terminationPolicies: [TerminationPolicy]
    public var suspendedProcesses: [ScalingProcess]
    public var loadBalancerNames: [String]
    /// The security groups its instances launch into (AWS regions).
    public var securityGroups: [String]
    /// `enabled` (its load balancers send it requests), `disabled` (AddToLoadBalancer is
    /// suspended: out of its load balancers) or `none` (no load balancer).
    public var trafficState: String
    public var createdTime: Date
    public var instances: [InstanceRecord]

    /// The API view of `group` with its live instances.
    public init(_ group: ServerGroupRecord, instances: [InstanceRecord]) {
        autoScalingGroupName = group.autoScalingGroupName
        cluster = group.names?.cluster ?? group.autoScalingGroupName
        appName = group.names?.app ?? group.autoScalingGroupName
        imageId = group.imageId
        minSize = group.minSize
        desiredCapacity = group.desiredCapacity
        maxSize = group.maxSize
        healthCheckType = group.healthCheckType
        healthCheckGracePeriod = group.healthCheckGracePeriod
        terminationPolicies = group.terminationPolicies
        suspendedProcesses = group.suspendedProcesses
        loadBalancerNames = group.loadBalancerNames
        securityGroups = group.securityGroups
        trafficState = group.loadBalancerNames.isEmpty ? "none" : ClusterTraffic.isEnabled(group) ? "enabled" : "disabled"
        createdTime = group.createdTime
        self.instances = instances
    }
}

/// A cluster: the server groups that share a name but for the push version, oldest first.
public struct ClusterJSON: Codable, Sendable, Hashable {
    public var cluster: String
    public var autoScalingGroups: [ServerGroupJSON]

    public init(cluster: String, autoScalingGroups: [ServerGroupJSON]) {
        self.cluster = cluster
        self.autoScalingGroups = autoScalingGroups
    }
}
