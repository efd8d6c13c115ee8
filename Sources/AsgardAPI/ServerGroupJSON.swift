import AsgardCore
import Foundation

/// A server group as the API shows it, with AWS's field names and its instances.
public struct ServerGroupJSON: Codable, Sendable, Hashable {
    public var autoScalingGroupName: String
    public var cluster: String
    public var appName: String
    public var imageId: ImageID
    /// The image's application and version ("shop 2.1.0"), when the cloud knows them.
    public var imageName: String?
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
    /// The group's health: the worst of its instances that matter, as the cloud and its load
    /// balancers see them.
    public var health: GroupHealthView?
    /// Each instance's health, the load balancers' view included, in the order of `instances`.
    public var instanceHealth: [InstanceHealthView]?
    /// Its share of the requests: its weight where set, and what it served in the last minute.
    public var traffic: TrafficShareView?

    /// The image as people know it: "shop 2.1.0 (img-aa34013c)", or its id alone.
    public var imageLabel: String { imageName.map { "\($0) (\(imageId))" } ?? imageId.rawValue }

    /// The API view of `group` with its live instances and, when known, what its load balancers
    /// report of them and its share of the requests.
    public init(_ group: ServerGroupRecord, instances: [InstanceRecord], reports: [String: LoadBalancerTraffic?]? = nil,
                traffic: TrafficShareView? = nil, imageName: String? = nil) {
        self.init(group, instances: instances, index: reports.map(TrafficIndex.init), traffic: traffic, imageName: imageName)
    }

    /// The cluster a group is shown in: its Frigga cluster, or its own name when it has none.
    public static func cluster(of group: ServerGroupRecord) -> String { group.names?.cluster ?? group.autoScalingGroupName }

    /// The application a group is shown under: its Frigga application, or its own name.
    public static func appName(of group: ServerGroupRecord) -> String { group.names?.app ?? group.autoScalingGroupName }

    /// The same with the load balancers' reports indexed once for many groups.
    public init(_ group: ServerGroupRecord, instances: [InstanceRecord], index: TrafficIndex?, traffic: TrafficShareView? = nil,
                imageName: String? = nil) {
        self.imageName = imageName
        autoScalingGroupName = group.autoScalingGroupName
        cluster = Self.cluster(of: group)
        appName = Self.appName(of: group)
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
        if let index {
            let views = instances.map { InstanceHealthView.of($0, in: group, index: index) }
            instanceHealth = views
            health = GroupHealthView.of(group, instances: views)
        }
        self.traffic = traffic
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
