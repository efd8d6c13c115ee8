import Foundation

/// A classic load balancer as ELB (2012-06-01) describes it.
public struct AWSClassicLoadBalancer: Sendable, Hashable, Codable {
    public struct Listener: Sendable, Hashable, Codable {
        public var loadBalancerPort: Int
        public var instancePort: Int
        public var protocolName: String
    }

    public struct HealthCheck: Sendable, Hashable, Codable {
        /// `HTTP:7001/health`, `TCP:7001` …
        public var target: String
        public var interval: Int
        public var timeout: Int
        public var healthyThreshold: Int
        public var unhealthyThreshold: Int
    }

    public var name: String
    public var dnsName: String
    public var listeners: [Listener]
    public var healthCheck: HealthCheck?
    public var instanceIds: [String]
    public var createdTime: Date?

    init(_ node: XMLNode) {
        name = node.string("LoadBalancerName") ?? ""
        dnsName = node.string("DNSName") ?? ""
        listeners = node.list("ListenerDescriptions").compactMap { description in
            guard let listener = description.child("Listener") else { return nil }
            return Listener(loadBalancerPort: Int(listener.string("LoadBalancerPort") ?? "") ?? 0,
                            instancePort: Int(listener.string("InstancePort") ?? "") ?? 0,
                            protocolName: listener.string("Protocol") ?? "HTTP")
        }
        healthCheck = node.child("HealthCheck").map {
            HealthCheck(target: $0.string("Target") ?? "", interval: Int($0.string("Interval") ?? "") ?? 30,
                        timeout: Int($0.string("Timeout") ?? "") ?? 5, healthyThreshold: Int($0.string("HealthyThreshold") ?? "") ?? 10,
                        unhealthyThreshold: Int($0.string("UnhealthyThreshold") ?? "") ?? 2)
        }
        instanceIds = node.list("Instances").compactMap { $0.string("InstanceId") }
        createdTime = node.string("CreatedTime").flatMap(AWSDate.parse)
    }
}

/// An instance's state in a classic load balancer.
public struct AWSInstanceHealth: Sendable, Hashable, Codable {
    public var instanceId: String
    /// InService, OutOfService or Unknown.
    public var state: String
    public var description: String?
}

/// The classic Elastic Load Balancing API (2012-06-01) calls the provider needs.
public struct AWSClassicELB: Sendable {
    public let client: AWSQueryClient

    /// Wraps a client of the `elasticloadbalancing` service with version 2012-06-01.
    public init(client: AWSQueryClient) {
        self.client = client
    }

    /// Every load balancer (or those named), all pages.
    public func loadBalancers(named names: [String] = []) async throws -> [AWSClassicLoadBalancer] {
        do {
            let pages = try await client.pages("DescribeLoadBalancers", AWSAutoScaling.members("LoadBalancerNames", names) + (names.isEmpty ? [("PageSize", "400")] : []),
                                               requestToken: "Marker", responseToken: "NextMarker")
            return pages.flatMap { $0.find("LoadBalancerDescriptions").map { $0.children.filter { $0.name == "member" } } ?? [] }
                .map(AWSClassicLoadBalancer.init)
        } catch let error as AWSError where error.code == "LoadBalancerNotFound" && !names.isEmpty {
            return []
        }
    }

    /// Creates a load balancer with one HTTP listener in `zones`, in one try.
    public func create(_ name: String, port: Int, instancePort: Int, zones: [String]) async throws {
        _ = try await client.callOnce("CreateLoadBalancer", [("LoadBalancerName", name),
                                                         ("Listeners.member.1.Protocol", "HTTP"), ("Listeners.member.1.LoadBalancerPort", String(port)),
                                                         ("Listeners.member.1.InstanceProtocol", "HTTP"), ("Listeners.member.1.InstancePort", String(instancePort))]
            + AWSAutoScaling.members("AvailabilityZones", zones))
    }

    /// Sets the health check.
    public func configureHealthCheck(_ name: String, _ check: AWSClassicLoadBalancer.HealthCheck) async throws {
        _ = try await client.call("ConfigureHealthCheck", [("LoadBalancerName", name), ("HealthCheck.Target", check.target),
                                                           ("HealthCheck.Interval", String(check.interval)), ("HealthCheck.Timeout", String(check.timeout)),
                                                           ("HealthCheck.HealthyThreshold", String(check.healthyThreshold)),
                                                           ("HealthCheck.UnhealthyThreshold", String(check.unhealthyThreshold))])
    }

    /// Turns connection draining on with `timeout` seconds.
    public func setDraining(_ name: String, timeout: Int) async throws {
        _ = try await client.call("ModifyLoadBalancerAttributes", [("LoadBalancerName", name),
                                                                   ("LoadBalancerAttributes.ConnectionDraining.Enabled", "true"),
                                                                   ("LoadBalancerAttributes.ConnectionDraining.Timeout", String(timeout))])
    }

    /// The connection draining timeout, 0 when draining is off.
    public func drainingTimeout(_ name: String) async throws -> Int {
        let answer = try await client.call("DescribeLoadBalancerAttributes", [("LoadBalancerName", name)])
        guard let draining = answer.find("ConnectionDraining"), draining.string("Enabled") == "true" else { return 0 }
        return Int(draining.string("Timeout") ?? "") ?? 0
    }

    /// Deletes a load balancer.
    public func delete(_ name: String) async throws {
        _ = try await client.call("DeleteLoadBalancer", [("LoadBalancerName", name)])
    }

    /// The state of each registered instance.
    public func instanceHealth(_ name: String) async throws -> [AWSInstanceHealth] {
        try await client.call("DescribeInstanceHealth", [("LoadBalancerName", name)]).find("InstanceStates").map { states in
            states.children.filter { $0.name == "member" }.map {
                AWSInstanceHealth(instanceId: $0.string("InstanceId") ?? "", state: $0.string("State") ?? "Unknown",
                                  description: $0.string("Description").flatMap { $0 == "N/A" || $0.isEmpty ? nil : $0 })
            }
        } ?? []
    }

    /// Registers (or deregisters) instances.
    public func setRegistered(_ name: String, instances ids: [String], registered: Bool) async throws {
        guard !ids.isEmpty else { return }
        _ = try await client.call(registered ? "RegisterInstancesWithLoadBalancer" : "DeregisterInstancesFromLoadBalancer",
                                  [("LoadBalancerName", name)] + ids.enumerated().map { ("Instances.member.\($0.offset + 1).InstanceId", $0.element) })
    }
}
