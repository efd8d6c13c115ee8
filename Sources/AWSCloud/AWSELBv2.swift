import Foundation

/// An application load balancer as ELB v2 (2015-12-01) describes it, with its first listener
/// (the console makes one) and its tags.
public struct AWSApplicationLoadBalancer: Sendable, Hashable, Codable {
    public var arn: String
    public var name: String
    public var dnsName: String
    /// provisioning, active, failed …
    public var state: String
    public var createdTime: Date?
    public var listener: AWSListener?
    public var tags: [String: String] = [:]

    /// The `app/name/id` part of the ARN: CloudWatch's `LoadBalancer` dimension.
    public var metricDimension: String {
        arn.range(of: "loadbalancer/").map { String(arn[$0.upperBound...]) } ?? name
    }

    init(_ node: XMLNode) {
        arn = node.string("LoadBalancerArn") ?? ""
        name = node.string("LoadBalancerName") ?? ""
        dnsName = node.string("DNSName") ?? ""
        state = node.string("State", "Code") ?? "active"
        createdTime = node.string("CreatedTime").flatMap(AWSDate.parse)
    }
}

/// A listener and the target groups its default action forwards to, with their weights.
public struct AWSListener: Sendable, Hashable, Codable {
    public struct Target: Sendable, Hashable, Codable {
        public var targetGroupArn: String
        public var weight: Int
    }

    public var arn: String
    public var port: Int
    /// Empty when the default action answers by itself (no server group takes traffic).
    public var targets: [Target]

    init(_ node: XMLNode) {
        arn = node.string("ListenerArn") ?? ""
        port = Int(node.string("Port") ?? "") ?? 0
        var targets: [Target] = []
        for action in node.list("DefaultActions") where action.string("Type") == "forward" {
            let weighted = action.child("ForwardConfig")?.list("TargetGroups") ?? []
            if weighted.isEmpty, let arn = action.string("TargetGroupArn") {
                targets.append(Target(targetGroupArn: arn, weight: 1))
            }
            for member in weighted {
                targets.append(Target(targetGroupArn: member.string("TargetGroupArn") ?? "", weight: Int(member.string("Weight") ?? "") ?? 1))
            }
        }
        self.targets = targets
    }
}

/// A target group as ELB v2 describes it.
public struct AWSTargetGroup: Sendable, Hashable, Codable {
    public var arn: String
    public var name: String
    public var port: Int

    /// The `targetgroup/name/id` part of the ARN: CloudWatch's `TargetGroup` dimension.
    public var metricDimension: String { arn.contains("targetgroup/") ? Self.metricDimension(ofArn: arn) : name }

    /// The `targetgroup/name/id` part of a target group's ARN.
    public static func metricDimension(ofArn arn: String) -> String {
        arn.range(of: "targetgroup/").map { String(arn[$0.lowerBound...]) } ?? arn
    }

    init(_ node: XMLNode) {
        arn = node.string("TargetGroupArn") ?? ""
        name = node.string("TargetGroupName") ?? ""
        port = Int(node.string("Port") ?? "") ?? 0
    }
}

/// The Elastic Load Balancing v2 API (2015-12-01) calls the provider needs for application load
/// balancers and their target groups.
public struct AWSELBv2: Sendable {
    public let client: AWSQueryClient

    /// Wraps a client of the `elasticloadbalancing` service with version 2015-12-01.
    public init(client: AWSQueryClient) {
        self.client = client
    }

    /// Every application load balancer (or those named), all pages, with their first listener
    /// and their tags.
    public func loadBalancers(named names: [String] = []) async throws -> [AWSApplicationLoadBalancer] {
        let pages: [XMLNode]
        do {
            pages = try await client.pages("DescribeLoadBalancers", AWSAutoScaling.members("Names", names) + (names.isEmpty ? [("PageSize", "400")] : []),
                                           requestToken: "Marker", responseToken: "NextMarker")
        } catch let error as AWSError where error.code == "LoadBalancerNotFound" && !names.isEmpty {
            return []
        }
        var balancers: [AWSApplicationLoadBalancer] = []
        for node in pages.flatMap({ $0.find("LoadBalancers")?.children("member") ?? [] }) where (node.string("Type") ?? "application") == "application" {
            var balancer = AWSApplicationLoadBalancer(node)
            balancer.listener = try await listeners(of: balancer.arn).first
            balancers.append(balancer)
        }
        let tags = try await tags(balancers.map(\.arn))
        for index in balancers.indices { balancers[index].tags = tags[balancers[index].arn] ?? [:] }
        return balancers
    }

    /// Creates an internet-facing application load balancer in `subnets`, in one try.
    public func create(_ name: String, subnets: [String], tags: [String: String]) async throws {
        _ = try await client.callOnce("CreateLoadBalancer", [("Name", name), ("Type", "application"), ("Scheme", "internet-facing")]
            + AWSAutoScaling.members("Subnets", subnets) + Self.tagParameters(tags))
    }

    /// Deletes a load balancer and its listeners.
    public func delete(arn: String) async throws {
        _ = try await client.call("DeleteLoadBalancer", [("LoadBalancerArn", arn)])
    }

    /// The listeners of a load balancer.
    public func listeners(of arn: String) async throws -> [AWSListener] {
        try await client.pages("DescribeListeners", [("LoadBalancerArn", arn)], requestToken: "Marker", responseToken: "NextMarker")
            .flatMap { $0.find("Listeners")?.children("member") ?? [] }.map(AWSListener.init)
    }

    /// Creates an HTTP listener on `port` that forwards to `targets`, in one try.
    public func createListener(of arn: String, port: Int, targets: [AWSListener.Target]) async throws {
        _ = try await client.callOnce("CreateListener", [("LoadBalancerArn", arn), ("Protocol", "HTTP"), ("Port", String(port))] + Self.actions(targets))
    }

    /// Makes a listener forward to `targets` with their weights (none: it answers 503 itself);
    /// answers the listener as AWS has it now.
    public func setTargets(listener arn: String, _ targets: [AWSListener.Target]) async throws -> AWSListener? {
        try await client.call("ModifyListener", [("ListenerArn", arn)] + Self.actions(targets)).find("Listeners")?.children("member").first.map(AWSListener.init)
    }

    static func actions(_ targets: [AWSListener.Target]) -> [(String, String)] {
        guard !targets.isEmpty else {
            return [("DefaultActions.member.1.Type", "fixed-response"), ("DefaultActions.member.1.FixedResponseConfig.StatusCode", "503"),
                    ("DefaultActions.member.1.FixedResponseConfig.ContentType", "text/plain"),
                    ("DefaultActions.member.1.FixedResponseConfig.MessageBody", "No server group takes traffic behind this load balancer")]
        }
        var parameters = [("DefaultActions.member.1.Type", "forward")]
        for (index, target) in targets.enumerated() {
            let prefix = "DefaultActions.member.1.ForwardConfig.TargetGroups.member.\(index + 1)"
            parameters += [("\(prefix).TargetGroupArn", target.targetGroupArn), ("\(prefix).Weight", String(target.weight))]
        }
        return parameters
    }

    /// Target groups by name; the unknown ones are left out.
    public func targetGroups(named names: [String]) async throws -> [AWSTargetGroup] {
        guard !names.isEmpty else { return [] }
        do {
            return try await client.pages("DescribeTargetGroups", AWSAutoScaling.members("Names", names), requestToken: "Marker", responseToken: "NextMarker")
                .flatMap { $0.find("TargetGroups")?.children("member") ?? [] }.map(AWSTargetGroup.init)
        } catch let error as AWSError where error.code == "TargetGroupNotFound" {
            // One unknown name fails the whole call: ask for each.
            guard names.count > 1 else { return [] }
            var found: [AWSTargetGroup] = []
            for name in names { found += try await targetGroups(named: [name]) }
            return found
        }
    }

    /// Every target group, all pages.
    public func targetGroups() async throws -> [AWSTargetGroup] {
        try await client.pages("DescribeTargetGroups", [("PageSize", "400")], requestToken: "Marker", responseToken: "NextMarker")
            .flatMap { $0.find("TargetGroups")?.children("member") ?? [] }.map(AWSTargetGroup.init)
    }

    /// Creates an HTTP target group of instances on `port`, in one try.
    public func createTargetGroup(_ name: String, port: Int, vpc: String, healthCheck: AWSClassicLoadBalancer.HealthCheck, path: String) async throws {
        _ = try await client.callOnce("CreateTargetGroup", [("Name", name), ("Protocol", "HTTP"), ("Port", String(port)), ("VpcId", vpc),
                                                            ("TargetType", "instance")] + Self.healthCheckParameters(healthCheck, path: path))
    }

    /// Changes a target group's health check.
    public func setHealthCheck(_ arn: String, _ check: AWSClassicLoadBalancer.HealthCheck, path: String) async throws {
        _ = try await client.call("ModifyTargetGroup", [("TargetGroupArn", arn)] + Self.healthCheckParameters(check, path: path))
    }

    static func healthCheckParameters(_ check: AWSClassicLoadBalancer.HealthCheck, path: String) -> [(String, String)] {
        [("HealthCheckProtocol", "HTTP"), ("HealthCheckPath", path), ("HealthCheckIntervalSeconds", String(check.interval)),
         ("HealthCheckTimeoutSeconds", String(check.timeout)), ("HealthyThresholdCount", String(check.healthyThreshold)),
         ("UnhealthyThresholdCount", String(check.unhealthyThreshold))]
    }

    /// Sets how long a deregistered target may finish its requests.
    public func setDeregistrationDelay(_ arn: String, seconds: Int) async throws {
        _ = try await client.call("ModifyTargetGroupAttributes", [("TargetGroupArn", arn), ("Attributes.member.1.Key", "deregistration_delay.timeout_seconds"),
                                                                  ("Attributes.member.1.Value", String(seconds))])
    }

    /// Deletes a target group.
    public func deleteTargetGroup(_ arn: String) async throws {
        _ = try await client.call("DeleteTargetGroup", [("TargetGroupArn", arn)])
    }

    /// The health of each registered target, with ELB v2's states (initial, healthy, unhealthy,
    /// unused, draining) in the classic shape.
    public func targetHealth(_ arn: String) async throws -> [AWSInstanceHealth] {
        try await client.call("DescribeTargetHealth", [("TargetGroupArn", arn)]).find("TargetHealthDescriptions").map { list in
            list.children("member").map {
                AWSInstanceHealth(instanceId: $0.string("Target", "Id") ?? "", state: $0.string("TargetHealth", "State") ?? "unused",
                                  description: $0.string("TargetHealth", "Description").flatMap { $0.isEmpty ? nil : $0 })
            }
        } ?? []
    }

    /// Sets tags on a resource.
    public func addTags(_ arn: String, _ tags: [String: String]) async throws {
        guard !tags.isEmpty else { return }
        _ = try await client.call("AddTags", [("ResourceArns.member.1", arn)] + Self.tagParameters(tags))
    }

    /// The tags of resources, 20 per call as AWS allows.
    public func tags(_ arns: [String]) async throws -> [String: [String: String]] {
        var tags: [String: [String: String]] = [:]
        for start in stride(from: 0, to: arns.count, by: 20) {
            let answer = try await client.call("DescribeTags", AWSAutoScaling.members("ResourceArns", Array(arns[start..<min(arns.count, start + 20)])))
            for description in answer.find("TagDescriptions")?.children("member") ?? [] {
                guard let arn = description.string("ResourceArn") else { continue }
                tags[arn] = Dictionary(description.list("Tags").compactMap { tag in tag.string("Key").map { ($0, tag.string("Value") ?? "") } },
                                       uniquingKeysWith: { a, _ in a })
            }
        }
        return tags
    }

    static func tagParameters(_ tags: [String: String]) -> [(String, String)] {
        tags.sorted { $0.key < $1.key }.enumerated().flatMap { index, tag in
            [("Tags.member.\(index + 1).Key", tag.key), ("Tags.member.\(index + 1).Value", tag.value)]
        }
    }
}

/// The CloudWatch (2010-08-01) reads the canary analysis needs.
public struct AWSCloudWatch: Sendable {
    public let client: AWSQueryClient

    /// One datapoint: the statistics asked for, nil where not asked.
    public struct Datapoint: Sendable, Hashable {
        public var time: Date
        public var sum: Double?
        public var average: Double?
        public var sampleCount: Double?
    }

    /// Wraps a client of the `monitoring` service with version 2010-08-01.
    public init(client: AWSQueryClient) {
        self.client = client
    }

    /// The datapoints of a metric from `start` to `end`, `period` seconds each.
    public func statistics(namespace: String, metric: String, dimensions: [(String, String)], start: Date, end: Date, period: Int,
                           statistics: [String]) async throws -> [Datapoint] {
        var parameters = [("Namespace", namespace), ("MetricName", metric), ("StartTime", Self.timestamp(start)), ("EndTime", Self.timestamp(end)),
                          ("Period", String(period))] + AWSAutoScaling.members("Statistics", statistics)
        for (index, dimension) in dimensions.enumerated() {
            parameters += [("Dimensions.member.\(index + 1).Name", dimension.0), ("Dimensions.member.\(index + 1).Value", dimension.1)]
        }
        let answer = try await client.call("GetMetricStatistics", parameters)
        return (answer.find("Datapoints")?.children("member") ?? []).map {
            Datapoint(time: $0.string("Timestamp").flatMap(AWSDate.parse) ?? start, sum: $0.string("Sum").flatMap(Double.init),
                      average: $0.string("Average").flatMap(Double.init), sampleCount: $0.string("SampleCount").flatMap(Double.init))
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
