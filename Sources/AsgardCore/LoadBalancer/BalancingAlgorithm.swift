/// How a load balancer spreads requests over the healthy instances of a server group, named as
/// ALB names its algorithms. Stored by raw value.
public enum BalancingAlgorithm: String, CaseIterable, Sendable, Codable {
    /// Each instance in turn.
    case roundRobin = "round_robin"
    /// The instance with the fewest requests in flight.
    case leastOutstandingRequests = "least_outstanding_requests"
}
