import Foundation

/// The one word for an instance's or a group's health, as pages and the API show it.
/// Stored by raw value.
public enum HealthSummary: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// Serving: in service, and healthy in every load balancer that routes to it.
    case healthy
    /// Launched or registered, not yet past its checks.
    case starting
    /// Out of its load balancers (its group is disabled), finishing its requests, or ending.
    case outOfService
    /// A check fails: the cloud's, or a load balancer's.
    case unhealthy

    /// Worse is greater: a group is as healthy as its worst instance that matters.
    public static func < (lhs: HealthSummary, rhs: HealthSummary) -> Bool {
        let order: [HealthSummary] = [.healthy, .outOfService, .starting, .unhealthy]
        return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
    }
}

/// How one load balancer sees an instance.
public struct BalancerHealth: Sendable, Hashable, Codable {
    public var loadBalancer: String
    /// Its state there; nil when the load balancer does not route to it (its group is disabled, it
    /// is not in service yet) or has not reported.
    public var state: TargetHealth?
    /// Why, when it is not healthy.
    public var reason: String?

    /// Creates a view.
    public init(loadBalancer: String, state: TargetHealth?, reason: String?) {
        self.loadBalancer = loadBalancer
        self.state = state
        self.reason = reason
    }
}

/// An instance's health wherever it is shown: the cloud's view, each load balancer's, and what
/// they add up to.
public struct InstanceHealthView: Sendable, Hashable, Codable {
    public var instanceId: InstanceID
    public var summary: HealthSummary
    /// Why it is not healthy, in words; nil when it is.
    public var reason: String?
    public var loadBalancers: [BalancerHealth]

    /// Creates a view.
    public init(instanceId: InstanceID, summary: HealthSummary, reason: String?, loadBalancers: [BalancerHealth]) {
        self.instanceId = instanceId
        self.summary = summary
        self.reason = reason
        self.loadBalancers = loadBalancers
    }

    /// The health of `instance` of `group`, given what each of the group's load balancers
    /// reported (nil: no report yet). While the group takes traffic, a load balancer's failing
    /// check makes the instance unhealthy even when the cloud still counts it in service.
    public static func of(_ instance: InstanceRecord, in group: ServerGroupRecord, reports: [String: LoadBalancerTraffic?]) -> InstanceHealthView {
        of(instance, in: group, index: TrafficIndex(reports))
    }

    /// The same with the reports indexed once for many instances (a list of a whole region).
    public static func of(_ instance: InstanceRecord, in group: ServerGroupRecord, index: TrafficIndex) -> InstanceHealthView {
        let reports = index.reports
        let enabled = ClusterTraffic.isEnabled(group)
        let balancers = group.loadBalancerNames.map { name -> BalancerHealth in
            let seen = index.instance(instance.instanceId, on: name)
            return BalancerHealth(loadBalancer: name, state: seen?.health,
                                  reason: seen?.health == .healthy ? nil : seen?.healthReason)
        }
        func view(_ summary: HealthSummary, _ reason: String?) -> InstanceHealthView {
            InstanceHealthView(instanceId: instance.instanceId, summary: summary, reason: reason, loadBalancers: balancers)
        }
        switch instance.lifecycleState {
        case .terminating, .terminated:
            return view(.outOfService, instance.statusReason ?? "ending")
        case .pending:
            return view(.starting, "launched; its port does not answer yet")
        case .inService:
            break
        }
        if instance.healthStatus == .unhealthy { return view(.unhealthy, instance.statusReason ?? "its health check failed") }
        // A group without load balancers has only the cloud's view.
        guard enabled || group.loadBalancerNames.isEmpty else {
            return view(.outOfService, "its group is disabled: out of its load balancers")
        }
        if let failing = balancers.first(where: { $0.state == .unhealthy }) {
            return view(.unhealthy, "\(failing.loadBalancer): \(failing.reason ?? "its health check fails")")
        }
        if let draining = balancers.first(where: { $0.state == .draining }) {
            return view(.outOfService, "\(draining.loadBalancer): draining")
        }
        // Not in a report the load balancer made: not registered yet. No report: nothing to say.
        if let waiting = balancers.first(where: { $0.state == .initial || ($0.state == nil && (reports[$0.loadBalancer] ?? nil) != nil) }) {
            return view(.starting, "\(waiting.loadBalancer): " + (waiting.state == nil ? "not registered yet" : "not past its first health checks yet"))
        }
        return view(.healthy, nil)
    }
}

/// A server group's health: the worst of its instances that matter, and how many are healthy.
public struct GroupHealthView: Sendable, Hashable, Codable {
    public var summary: HealthSummary
    public var healthy: Int
    /// The instances it should have (its desired capacity).
    public var desired: Int
    /// The worst instance's reason.
    public var reason: String?

    /// Creates a view.
    public init(summary: HealthSummary, healthy: Int, desired: Int, reason: String?) {
        self.summary = summary
        self.healthy = healthy
        self.desired = desired
        self.reason = reason
    }

    /// The health of `group` whose live instances have `instances` health: unhealthy if one is,
    /// starting while fewer than its desired capacity are healthy, out of service when disabled.
    public static func of(_ group: ServerGroupRecord, instances: [InstanceHealthView]) -> GroupHealthView {
        let desired = group.desiredCapacity
        let enabled = ClusterTraffic.isEnabled(group) || group.loadBalancerNames.isEmpty
        let healthy = instances.filter { $0.summary == .healthy }.count
        let worst = instances.max { $0.summary < $1.summary }
        var summary = worst?.summary ?? (desired == 0 ? .healthy : .starting)
        var reason = worst?.reason
        if summary == .healthy, healthy < desired {
            summary = .starting
            reason = "\(healthy) of \(desired) instances healthy"
        }
        if !enabled, summary != .unhealthy {
            summary = .outOfService
        }
        return GroupHealthView(summary: summary, healthy: healthy, desired: desired, reason: reason)
    }
}

/// A server group's share of the requests of its cluster's load balancers.
public struct TrafficShareView: Sendable, Hashable, Codable {
    /// Its traffic weight as a percentage of the weights set on its load balancer; nil when none
    /// are set (requests then go round robin over every healthy instance).
    public var weightPercent: Double?
    /// The share of its cluster's requests it served in the last minute, in percent; nil when
    /// the cluster served none or nothing was measured.
    public var servedPercent: Double?
    /// Requests per second it served over the last minute.
    public var requestsPerSecond: Double?

    /// Creates a view.
    public init(weightPercent: Double? = nil, servedPercent: Double? = nil, requestsPerSecond: Double? = nil) {
        self.weightPercent = weightPercent
        self.servedPercent = servedPercent
        self.requestsPerSecond = requestsPerSecond
    }

    /// `group`'s weight in percent on the first of its load balancers that has weights set.
    public static func weightPercent(of group: String, on balancers: [LoadBalancerRecord]) -> Double? {
        for balancer in balancers where !balancer.trafficWeights.isEmpty {
            let total = balancer.trafficWeights.values.reduce(0, +)
            guard total > 0 else { continue }
            return 100 * Double(balancer.trafficWeights[group] ?? 0) / Double(total)
        }
        return nil
    }
}

/// Load balancers' reports with each one's instances indexed by id: finding an instance costs a
/// lookup, not a walk through every instance behind the load balancer.
public struct TrafficIndex: Sendable {
    /// The reports, by load balancer; nil where one has not reported.
    public let reports: [String: LoadBalancerTraffic?]
    private let byInstance: [String: [InstanceID: InstanceTraffic]]

    /// Indexes `reports`.
    public init(_ reports: [String: LoadBalancerTraffic?]) {
        self.reports = reports
        var index: [String: [InstanceID: InstanceTraffic]] = [:]
        for case let (name, report?) in reports {
            var instances: [InstanceID: InstanceTraffic] = [:]
            // As `LoadBalancerTraffic.instance` finds them: the first group's entry, then draining.
            for traffic in report.groups.flatMap(\.instances) + report.draining where instances[traffic.instanceId] == nil {
                instances[traffic.instanceId] = traffic
            }
            index[name] = instances
        }
        byInstance = index
    }

    /// What load balancer `name` reported of instance `id`.
    public func instance(_ id: InstanceID, on name: String) -> InstanceTraffic? { byInstance[name]?[id] }
}
