import Foundation

/// What the server tells a load balancer process: how to check, where to send requests and in
/// which shares. An instance that leaves the routing drains.
public struct LoadBalancerRouting: Sendable, Hashable, Codable {
    public var healthCheck: HealthCheckSettings
    public var algorithm: BalancingAlgorithm
    /// Seconds a deregistered instance may take to finish its requests.
    public var drainingTimeout: Int
    /// Seconds an instance may take to answer a request before the load balancer answers 504;
    /// nil (from an earlier version's configuration) is `LoadBalancerRecord.defaultIdleTimeout`.
    public var idleTimeoutSeconds: Int?
    public var groups: [RoutedGroup]

    /// Creates routing.
    public init(healthCheck: HealthCheckSettings, algorithm: BalancingAlgorithm, drainingTimeout: Int,
                idleTimeoutSeconds: Int? = nil, groups: [RoutedGroup]) {
        self.healthCheck = healthCheck
        self.algorithm = algorithm
        self.drainingTimeout = drainingTimeout
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.groups = groups
    }

    /// The routing of `balancer` over the registered instances of `groups`: those InService and
    /// healthy, of groups that name the balancer and take traffic. A group with AddToLoadBalancer
    /// suspended is out of its load balancers altogether (as Asgard's "disable" leaves it), so its
    /// instances drain.
    public static func build(for balancer: LoadBalancerRecord, groups: [(ServerGroupRecord, [InstanceRecord])]) -> LoadBalancerRouting {
        let weighted = !balancer.trafficWeights.isEmpty
        let routed = groups
            .filter { $0.0.loadBalancerNames.contains(balancer.loadBalancerName.rawValue) && !$0.0.isSuspended(.addToLoadBalancer) }
            .sorted { $0.0.autoScalingGroupName < $1.0.autoScalingGroupName }
            .map { group, instances in
                RoutedGroup(name: group.autoScalingGroupName,
                            weight: weighted ? balancer.trafficWeights[group.autoScalingGroupName] ?? 0 : nil,
                            instances: instances.filter { $0.lifecycleState == .inService && $0.healthStatus == .healthy }
                                .sorted { $0.instanceId < $1.instanceId }
                                .map { RoutedInstance(instanceId: $0.instanceId, port: $0.port) })
            }
        return LoadBalancerRouting(healthCheck: balancer.healthCheck, algorithm: balancer.algorithm,
                                   drainingTimeout: balancer.drainingTimeout, idleTimeoutSeconds: balancer.idleTimeoutSeconds, groups: routed)
    }
}

/// A server group behind a load balancer.
public struct RoutedGroup: Sendable, Hashable, Codable {
    public var name: String
    /// Its share of requests relative to the other groups; nil when no group has a weight.
    public var weight: Int?
    public var instances: [RoutedInstance]

    /// Creates a group.
    public init(name: String, weight: Int?, instances: [RoutedInstance]) {
        self.name = name
        self.weight = weight
        self.instances = instances
    }
}

/// An instance registered with a load balancer.
public struct RoutedInstance: Sendable, Hashable, Codable {
    public var instanceId: InstanceID
    /// Its port on 127.0.0.1.
    public var port: Int

    /// Creates an instance.
    public init(instanceId: InstanceID, port: Int) {
        self.instanceId = instanceId
        self.port = port
    }
}
