import AsgardCore

/// Stores the local cloud's load balancers and the processes that serve them. Every change of a
/// definition is recorded with its task, in one transaction.
public protocol LoadBalancerStore: Sendable {
    /// Every load balancer, by name.
    func loadBalancers() async throws -> [LoadBalancerRecord]
    /// One load balancer, or nil.
    func loadBalancer(named name: LoadBalancerName) async throws -> LoadBalancerRecord?
    /// Creates a load balancer and records `task`.
    ///
    /// - Throws: `StoreError.conflict` when the name or the listener port is taken.
    func createLoadBalancer(_ balancer: LoadBalancerRecord, task: TaskDraft) async throws -> TaskRecord
    /// Replaces a load balancer's settings and records `task`.
    ///
    /// - Throws: `StoreError.notFound`.
    func updateLoadBalancer(_ balancer: LoadBalancerRecord, task: TaskDraft) async throws -> TaskRecord
    /// Removes a load balancer and records `task`.
    ///
    /// - Throws: `StoreError.notFound`.
    func deleteLoadBalancer(named name: LoadBalancerName, task: TaskDraft) async throws -> TaskRecord
    /// The process serving a load balancer, or nil.
    func loadBalancerProcess(named name: LoadBalancerName) async throws -> LoadBalancerProcess?
    /// Records (or, with nil, forgets) the process serving a load balancer.
    func saveLoadBalancerProcess(_ process: LoadBalancerProcess?, named name: LoadBalancerName) async throws
}
