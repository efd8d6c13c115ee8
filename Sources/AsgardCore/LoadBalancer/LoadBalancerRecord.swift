import Foundation

/// What kind of load balancer it is: its cloud's.
public enum LoadBalancerType: String, Sendable, Hashable, Codable, CaseIterable {
    /// The local cloud's reverse proxy process on 127.0.0.1.
    case proxy
    /// An AWS classic ELB: every instance gets an equal share, so no weights.
    case classic
    /// An AWS application load balancer: a target group per server group, weighted.
    case application

    /// Whether it can split requests between server groups by weight (what a canary needs).
    public var weighsTraffic: Bool { self != .classic }
}

/// A load balancer: the local cloud's reverse proxy process listening on 127.0.0.1, or an AWS
/// classic or application load balancer.
public struct LoadBalancerRecord: Sendable, Hashable, Codable {
    public var loadBalancerName: LoadBalancerName
    public var type: LoadBalancerType
    /// The port it accepts requests on, on 127.0.0.1.
    public var listenerPort: Int
    public var healthCheck: HealthCheckSettings
    public var algorithm: BalancingAlgorithm
    /// Seconds a deregistered instance may take to finish its requests.
    public var drainingTimeout: Int
    /// Seconds an instance may take to answer a request before the load balancer answers 504
    /// (ELB's idle timeout; `InputLimits.idleTimeoutSeconds`).
    public var idleTimeoutSeconds: Int
    /// The share of requests per server group, when set: a group left out gets none.
    public var trafficWeights: [String: Int]
    public var createdTime: Date
    /// The DNS name AWS gave it; nil for a local one, which listens on 127.0.0.1.
    public var dnsName: String?

    /// Where it answers.
    public var url: String { "http://\(dnsName ?? "127.0.0.1"):\(listenerPort)/" }

    /// Creates a record.
    public init(loadBalancerName: LoadBalancerName, listenerPort: Int, healthCheck: HealthCheckSettings = HealthCheckSettings(),
                algorithm: BalancingAlgorithm = .roundRobin, drainingTimeout: Int = 30, idleTimeoutSeconds: Int = defaultIdleTimeout,
                trafficWeights: [String: Int] = [:], createdTime: Date, type: LoadBalancerType = .proxy) {
        self.loadBalancerName = loadBalancerName
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.type = type
        self.listenerPort = listenerPort
        self.healthCheck = healthCheck
        self.algorithm = algorithm
        self.drainingTimeout = drainingTimeout
        self.trafficWeights = trafficWeights
        self.createdTime = createdTime
    }

    /// Every setting out of its range; empty when valid. A load balancer stored with one (by an
    /// older version, or by hand) is reported rather than run.
    public var problems: [FieldError] {
        var problems = healthCheck.problems
        for (field, value, range) in [("listenerPort", listenerPort, InputLimits.port), ("drainingTimeout", drainingTimeout, InputLimits.drainingTimeoutSeconds),
                                      ("idleTimeoutSeconds", idleTimeoutSeconds, InputLimits.idleTimeoutSeconds)] {
            if let problem = InputLimits.problem(field, value, range) { problems.append(problem) }
        }
        for (group, weight) in trafficWeights.sorted(by: { $0.key < $1.key }) where !InputLimits.trafficWeight.contains(weight) {
            problems.append(FieldError(field: "trafficWeights", message: "\(group)=\(weight): a weight must be from 0 to \(InputLimits.trafficWeight.upperBound)"))
        }
        return problems
    }

    /// The longest draining timeout, as ELB allows.
    public static let drainingTimeoutRange = 0...3600
    /// The idle timeout when none is given, as ELB's.
    public static let defaultIdleTimeout = 60
    /// How long a client may take to send a request's head, from its first byte, before the
    /// connection is closed (slow-header clients hold connections otherwise).
    public static let headTimeoutSeconds = 10
}

/// The process that serves a load balancer: how the server finds and talks to it again after a
/// restart.
public struct LoadBalancerProcess: Sendable, Hashable, Codable {
    public var pid: Int32
    /// The process's start time in clock ticks since boot, with `pid` its identity.
    public var startTicks: UInt64
    /// The loopback port of its control interface.
    public var adminPort: Int
    /// The bearer secret its control interface asks for.
    public var adminSecret: String

    /// Creates a description.
    public init(pid: Int32, startTicks: UInt64, adminPort: Int, adminSecret: String) {
        self.pid = pid
        self.startTicks = startTicks
        self.adminPort = adminPort
        self.adminSecret = adminSecret
    }
}
