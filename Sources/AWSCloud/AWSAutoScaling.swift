import Foundation

/// An Auto Scaling group as AWS describes it.
public struct AWSAutoScalingGroup: Sendable, Hashable, Codable {
    public struct Instance: Sendable, Hashable, Codable {
        public var instanceId: String
        public var lifecycleState: String
        public var healthStatus: String
        public var protectedFromScaleIn: Bool
    }

    public var name: String
    public var launchConfigurationName: String?
    public var minSize: Int
    public var maxSize: Int
    public var desiredCapacity: Int
    public var instances: [Instance]
    public var loadBalancerNames: [String]
    public var targetGroupARNs: [String]
    public var suspendedProcesses: [String]
    public var tags: [String: String]
    public var healthCheckType: String?
    public var healthCheckGracePeriod: Int
    public var terminationPolicies: [String]
    public var launchTemplateName: String?
    public var launchTemplateVersion: String?
    /// `name:version` of the launch template it launches from, for groups launched from one.
    public var launchTemplateKey: String? {
        guard let launchTemplateName, let launchTemplateVersion else { return nil }
        return "\(launchTemplateName):\(launchTemplateVersion)"
    }
    public var createdTime: Date?

    init(_ node: XMLNode) {
        name = node.string("AutoScalingGroupName") ?? ""
        launchConfigurationName = node.string("LaunchConfigurationName")
        minSize = Int(node.string("MinSize") ?? "") ?? 0
        maxSize = Int(node.string("MaxSize") ?? "") ?? 0
        desiredCapacity = Int(node.string("DesiredCapacity") ?? "") ?? 0
        instances = node.list("Instances").map {
            Instance(instanceId: $0.string("InstanceId") ?? "", lifecycleState: $0.string("LifecycleState") ?? "",
                     healthStatus: $0.string("HealthStatus") ?? "", protectedFromScaleIn: $0.string("ProtectedFromScaleIn") == "true")
        }
        loadBalancerNames = node.list("LoadBalancerNames").map { $0.string() ?? "" }
        targetGroupARNs = node.list("TargetGroupARNs").map { $0.string() ?? "" }
        suspendedProcesses = node.list("SuspendedProcesses").compactMap { $0.string("ProcessName") }
        tags = Dictionary(node.list("Tags").compactMap { tag in tag.string("Key").map { ($0, tag.string("Value") ?? "") } }, uniquingKeysWith: { a, _ in a })
        healthCheckType = node.string("HealthCheckType")
        healthCheckGracePeriod = Int(node.string("HealthCheckGracePeriod") ?? "") ?? 0
        terminationPolicies = node.list("TerminationPolicies").compactMap { $0.string() }
        let template = node.child("LaunchTemplate") ?? node.child("MixedInstancesPolicy")?.find("LaunchTemplateSpecification")
        launchTemplateName = template?.string("LaunchTemplateName")
        launchTemplateVersion = template?.string("Version")
        createdTime = node.string("CreatedTime").flatMap(AWSDate.parse)
    }
}

/// The Auto Scaling API (2011-01-01) calls the provider needs, in AWS's names.
public struct AWSAutoScaling: Sendable {
    public let client: AWSQueryClient

    /// Wraps a client of the `autoscaling` service.
    public init(client: AWSQueryClient) {
        self.client = client
    }

    /// Every group (or those named), all pages.
    public func groups(named names: [String] = []) async throws -> [AWSAutoScalingGroup] {
        let pages = try await client.pages("DescribeAutoScalingGroups", Self.members("AutoScalingGroupNames", names) + [("MaxRecords", "100")])
        return pages.flatMap { $0.find("DescribeAutoScalingGroupsResult")?.list("AutoScalingGroups") ?? [] }.map(AWSAutoScalingGroup.init)
    }

    /// Creates a launch configuration.
    public func createLaunchConfiguration(_ name: String, imageId: String, instanceType: String, securityGroups: [String] = []) async throws {
        _ = try await client.call("CreateLaunchConfiguration", [("LaunchConfigurationName", name), ("ImageId", imageId), ("InstanceType", instanceType)]
            + Self.members("SecurityGroups", securityGroups))
    }

    /// Creates a group.
    public func createGroup(_ name: String, launchConfiguration: String, minSize: Int, maxSize: Int, desiredCapacity: Int, zones: [String],
                            loadBalancerNames: [String] = [], healthCheckType: String? = nil, healthCheckGracePeriod: Int? = nil,
                            tags: [String: String] = [:]) async throws {
        var parameters: [(String, String)] = [("AutoScalingGroupName", name), ("LaunchConfigurationName", launchConfiguration),
                                              ("MinSize", String(minSize)), ("MaxSize", String(maxSize)), ("DesiredCapacity", String(desiredCapacity))]
        parameters += Self.members("AvailabilityZones", zones) + Self.members("LoadBalancerNames", loadBalancerNames)
        if let healthCheckType { parameters.append(("HealthCheckType", healthCheckType)) }
        if let healthCheckGracePeriod { parameters.append(("HealthCheckGracePeriod", String(healthCheckGracePeriod))) }
        for (index, (key, value)) in tags.sorted(by: { $0.key < $1.key }).enumerated() {
            parameters += [("Tags.member.\(index + 1).Key", key), ("Tags.member.\(index + 1).Value", value), ("Tags.member.\(index + 1).PropagateAtLaunch", "true"),
                           ("Tags.member.\(index + 1).ResourceId", name), ("Tags.member.\(index + 1).ResourceType", "auto-scaling-group")]
        }
        _ = try await client.call("CreateAutoScalingGroup", parameters)
    }

    /// Creates a group launched from a launch template's version, in one try (AWS has no
    /// idempotency token for it: see `AWSCloudProvider.createOnce`).
    public func createGroup(_ name: String, launchTemplate: String, version: String, minSize: Int, maxSize: Int, desiredCapacity: Int,
                            zones: [String], loadBalancerNames: [String], targetGroupARNs: [String] = [], healthCheckType: String,
                            healthCheckGracePeriod: Int, terminationPolicies: [String], tags: [String: String]) async throws {
        var parameters: [(String, String)] = [("AutoScalingGroupName", name), ("LaunchTemplate.LaunchTemplateName", launchTemplate),
                                              ("LaunchTemplate.Version", version), ("MinSize", String(minSize)), ("MaxSize", String(maxSize)),
                                              ("DesiredCapacity", String(desiredCapacity)), ("HealthCheckType", healthCheckType),
                                              ("HealthCheckGracePeriod", String(healthCheckGracePeriod))]
        parameters += Self.members("AvailabilityZones", zones) + Self.members("LoadBalancerNames", loadBalancerNames)
            + Self.members("TargetGroupARNs", targetGroupARNs) + Self.members("TerminationPolicies", terminationPolicies)
        for (index, (key, value)) in tags.sorted(by: { $0.key < $1.key }).enumerated() {
            parameters += [("Tags.member.\(index + 1).Key", key), ("Tags.member.\(index + 1).Value", value), ("Tags.member.\(index + 1).PropagateAtLaunch", "true"),
                           ("Tags.member.\(index + 1).ResourceId", name), ("Tags.member.\(index + 1).ResourceType", "auto-scaling-group")]
        }
        _ = try await client.callOnce("CreateAutoScalingGroup", parameters)
    }

    /// Every launch configuration's AMI, by name.
    public func launchConfigurationImages() async throws -> [String: String] {
        let pages = try await client.pages("DescribeLaunchConfigurations", [("MaxRecords", "100")])
        var images: [String: String] = [:]
        for node in pages.flatMap({ $0.find("LaunchConfigurations")?.children.filter { $0.name == "member" } ?? [] }) {
            if let name = node.string("LaunchConfigurationName") { images[name] = node.string("ImageId") ?? "" }
        }
        return images
    }

    /// Changes a group's health check and termination policies.
    public func updateSettings(_ name: String, healthCheckType: String, healthCheckGracePeriod: Int, terminationPolicies: [String]) async throws {
        _ = try await client.call("UpdateAutoScalingGroup", [("AutoScalingGroupName", name), ("HealthCheckType", healthCheckType),
                                                             ("HealthCheckGracePeriod", String(healthCheckGracePeriod))]
            + Self.members("TerminationPolicies", terminationPolicies))
    }

    /// Sets a tag of a group (not copied to its instances); nil deletes it.
    public func setTag(_ group: String, _ key: String, _ value: String?) async throws {
        let tag = [("Tags.member.1.ResourceId", group), ("Tags.member.1.ResourceType", "auto-scaling-group"), ("Tags.member.1.Key", key)]
        if let value {
            _ = try await client.call("CreateOrUpdateTags", tag + [("Tags.member.1.Value", value), ("Tags.member.1.PropagateAtLaunch", "false")])
        } else {
            _ = try await client.call("DeleteTags", tag)
        }
    }

    /// Attaches (or detaches) classic load balancers.
    public func setLoadBalancers(_ name: String, _ loadBalancers: [String], attached: Bool) async throws {
        guard !loadBalancers.isEmpty else { return }
        _ = try await client.call(attached ? "AttachLoadBalancers" : "DetachLoadBalancers",
                                  [("AutoScalingGroupName", name)] + Self.members("LoadBalancerNames", loadBalancers))
    }

    /// Attaches (or detaches) target groups of application load balancers.
    public func setTargetGroups(_ name: String, _ arns: [String], attached: Bool) async throws {
        guard !arns.isEmpty else { return }
        _ = try await client.call(attached ? "AttachLoadBalancerTargetGroups" : "DetachLoadBalancerTargetGroups",
                                  [("AutoScalingGroupName", name)] + Self.members("TargetGroupARNs", arns))
    }

    /// Ends one instance of a group; with `decrement` the group shrinks by one, else it launches
    /// a replacement.
    public func terminateInstance(_ id: String, decrement: Bool) async throws {
        _ = try await client.call("TerminateInstanceInAutoScalingGroup", [("InstanceId", id), ("ShouldDecrementDesiredCapacity", decrement ? "true" : "false")])
    }

    /// Protects instances from scale-in, or stops protecting them.
    public func setProtection(_ group: String, _ ids: [String], protected: Bool) async throws {
        _ = try await client.call("SetInstanceProtection", [("AutoScalingGroupName", group), ("ProtectedFromScaleIn", protected ? "true" : "false")]
            + Self.members("InstanceIds", ids))
    }

    /// Changes a group's sizes, or the launch template version it launches from; nil keeps it.
    public func updateGroup(_ name: String, minSize: Int? = nil, maxSize: Int? = nil, desiredCapacity: Int? = nil,
                            launchTemplate: (name: String, version: String)? = nil) async throws {
        var parameters = [("AutoScalingGroupName", name)]
        if let launchTemplate {
            parameters += [("LaunchTemplate.LaunchTemplateName", launchTemplate.name), ("LaunchTemplate.Version", launchTemplate.version)]
        }
        if let minSize { parameters.append(("MinSize", String(minSize))) }
        if let maxSize { parameters.append(("MaxSize", String(maxSize))) }
        if let desiredCapacity { parameters.append(("DesiredCapacity", String(desiredCapacity))) }
        _ = try await client.call("UpdateAutoScalingGroup", parameters)
    }

    /// Suspends (or resumes) processes, e.g. Launch, Terminate, AddToLoadBalancer.
    public func setProcesses(_ name: String, _ processes: [String], suspended: Bool) async throws {
        _ = try await client.call(suspended ? "SuspendProcesses" : "ResumeProcesses", [("AutoScalingGroupName", name)] + Self.members("ScalingProcesses", processes))
    }

    /// Deletes a group; `force` ends its instances too.
    public func deleteGroup(_ name: String, force: Bool) async throws {
        _ = try await client.call("DeleteAutoScalingGroup", [("AutoScalingGroupName", name), ("ForceDelete", force ? "true" : "false")])
    }

    /// A Query list: `Name.member.1`, `Name.member.2`, ….
    static func members(_ name: String, _ values: [String]) -> [(String, String)] {
        values.enumerated().map { ("\(name).member.\($0.offset + 1)", $0.element) }
    }
}
