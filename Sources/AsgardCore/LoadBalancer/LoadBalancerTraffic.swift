import Foundation

/// What a load balancer process reports: the routing it has, each instance's health and the
/// traffic it carried since it started.
public struct LoadBalancerTraffic: Sendable, Hashable, Codable {
    /// The routing it serves now.
    public var routing: LoadBalancerRouting?
    /// When the process started.
    public var startedAt: Date
    public var groups: [GroupTraffic]
    /// Instances deregistered that still finish requests.
    public var draining: [InstanceTraffic]
    /// Requests answered by the load balancer itself because no instance could take them.
    public var unrouted: StatusCounts

    /// Creates a report.
    public init(routing: LoadBalancerRouting?, startedAt: Date, groups: [GroupTraffic], draining: [InstanceTraffic], unrouted: StatusCounts) {
        self.routing = routing
        self.startedAt = startedAt
        self.groups = groups
        self.draining = draining
        self.unrouted = unrouted
    }

    /// The traffic and health of one instance, wherever it is.
    public func instance(_ id: InstanceID) -> InstanceTraffic? {
        for group in groups { if let found = group.instances.first(where: { $0.instanceId == id }) { return found } }
        return draining.first { $0.instanceId == id }
    }
}

/// The traffic of one server group behind a load balancer.
public struct GroupTraffic: Sendable, Hashable, Codable {
    public var name: String
    public var weight: Int?
    public var requests: StatusCounts
    public var latency: LatencySummary
    public var instances: [InstanceTraffic]

    /// Creates a group's traffic.
    public init(name: String, weight: Int?, requests: StatusCounts, latency: LatencySummary, instances: [InstanceTraffic]) {
        self.name = name
        self.weight = weight
        self.requests = requests
        self.latency = latency
        self.instances = instances
    }
}

/// An instance's health as its load balancer sees it, with ELB's state names.
public enum TargetHealth: String, Sendable, Hashable, Codable {
    /// Registered, not yet past the healthy threshold.
    case initial
    case healthy
    case unhealthy
    /// Deregistered, finishing its requests.
    case draining
}

/// The traffic and health of one instance behind a load balancer.
public struct InstanceTraffic: Sendable, Hashable, Codable {
    public var instanceId: InstanceID
    public var port: Int
    public var health: TargetHealth
    /// Why the last check failed, in words.
    public var healthReason: String?
    /// Requests sent to it and not yet answered.
    public var inFlight: Int
    public var requests: StatusCounts
    public var latency: LatencySummary

    /// Creates an instance's traffic.
    public init(instanceId: InstanceID, port: Int, health: TargetHealth, healthReason: String?, inFlight: Int,
                requests: StatusCounts, latency: LatencySummary) {
        self.instanceId = instanceId
        self.port = port
        self.health = health
        self.healthReason = healthReason
        self.inFlight = inFlight
        self.requests = requests
        self.latency = latency
    }
}

/// Answers counted by status class. Failed requests (the instance closed the connection, or
/// could not be reached) count as `5xx`.
public struct StatusCounts: Sendable, Hashable, Codable {
    public var total: Int
    public var status2xx: Int
    public var status3xx: Int
    public var status4xx: Int
    public var status5xx: Int

    /// Creates counts.
    public init(total: Int = 0, status2xx: Int = 0, status3xx: Int = 0, status4xx: Int = 0, status5xx: Int = 0) {
        self.total = total
        self.status2xx = status2xx
        self.status3xx = status3xx
        self.status4xx = status4xx
        self.status5xx = status5xx
    }

    enum CodingKeys: String, CodingKey {
        case total, status2xx = "2xx", status3xx = "3xx", status4xx = "4xx", status5xx = "5xx"
    }

    /// Counts one answer with `status`.
    public mutating func record(status: Int) {
        total += 1
        switch status {
        case 200..<300: status2xx += 1
        case 300..<400: status3xx += 1
        case 400..<500: status4xx += 1
        default: status5xx += 1
        }
    }

    /// Adds `other`'s counts.
    public mutating func add(_ other: StatusCounts) {
        total += other.total
        status2xx += other.status2xx
        status3xx += other.status3xx
        status4xx += other.status4xx
        status5xx += other.status5xx
    }
}

/// Latency of answered requests in milliseconds, from an HdrHistogram (3 significant digits),
/// with the histogram's recorded values so that intervals can be compared.
public struct LatencySummary: Sendable, Hashable, Codable {
    public var count: Int
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var max: Double
    /// `[microseconds, count]` pairs of the histogram, smallest first.
    public var histogram: [[UInt64]]

    /// Creates a summary.
    public init(count: Int = 0, p50: Double = 0, p90: Double = 0, p99: Double = 0, max: Double = 0, histogram: [[UInt64]] = []) {
        self.count = count
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.max = max
        self.histogram = histogram
    }
}
