import Foundation
import AsgardCore

/// What a cloud offers the console: images, server groups with their instances, and load
/// balancers, in the vocabulary both the local cloud and AWS share. Routes and registries
/// validate what people ask for; a provider carries it out and reports what is.
///
/// Every change takes the task that records it, so that a provider backed by the console's own
/// store writes the change and its task in one transaction, and a remote one (AWS) records the
/// task once the cloud accepted the change.
public protocol CloudProvider: Sendable {
    /// What this provider can do beyond the common ground.
    var capabilities: CloudCapabilities { get }
    /// The kinds of load balancer it makes; the first when none is asked for.
    var loadBalancerTypes: [LoadBalancerType] { get }

    // MARK: Images

    /// Every image, by name then version.
    func images() async throws -> [ImageRecord]
    /// One image, or nil.
    func image(_ id: ImageID) async throws -> ImageRecord?
    /// Registers an image (a local command line; AWS registers AMIs outside the console).
    func registerImage(_ image: ImageRecord, task: TaskDraft) async throws -> TaskRecord
    /// Removes an image; the caller checks first that no server group uses it.
    func deregisterImage(_ id: ImageID, task: TaskDraft) async throws -> TaskRecord

    // MARK: Server groups and instances

    /// Every server group, oldest first.
    func serverGroups() async throws -> [ServerGroupRecord]
    /// One server group, or nil.
    func serverGroup(named name: String) async throws -> ServerGroupRecord?
    /// Creates a server group; the cloud then launches its instances.
    func createServerGroup(_ group: ServerGroupRecord, task: TaskDraft) async throws -> TaskRecord
    /// Changes a group's sizes, health check, policies, suspended processes or load balancers.
    func updateServerGroup(_ group: ServerGroupRecord, task: TaskDraft) async throws -> TaskRecord
    /// Removes a group that has no instances left.
    func deleteServerGroup(named name: String, task: TaskDraft) async throws -> TaskRecord
    /// Brings `group`'s load balancers in line with its settings now and, for instances they no
    /// longer route to, waits until their requests in flight finish (up to the draining timeout).
    func syncLoadBalancers(of group: ServerGroupRecord) async throws
    /// Instances, of one group or all; terminated ones only when asked.
    func instances(of group: String?, includeTerminated: Bool) async throws -> [InstanceRecord]
    /// The instances (not terminated) of the groups named, as the provider holds them now: a
    /// list of one application's groups reads only theirs.
    func instances(ofGroups names: Set<String>) async throws -> [InstanceRecord]
    /// One instance, or nil.
    func instance(_ id: InstanceID) async throws -> InstanceRecord?
    /// Takes an instance out of its load balancers (letting its requests finish), then ends it.
    func terminateInstance(_ instance: InstanceRecord, reason: String) async throws
    /// Ends an instance and lowers its group's capacity by one in the same step, so that the
    /// group neither replaces it nor picks another to end; `group` carries the new sizes.
    func terminateAndShrink(_ instance: InstanceRecord, group: ServerGroupRecord, task: TaskDraft) async throws -> TaskRecord
    /// Restarts an instance in place.
    func rebootInstance(_ instance: InstanceRecord) async throws
    /// Protects instances of one group from scale-in, or stops protecting them.
    func setInstanceProtection(_ ids: [InstanceID], protected: Bool, task: TaskDraft) async throws -> TaskRecord
    /// The last 64 KiB of an instance's console.
    func consoleOutput(_ id: InstanceID) async throws -> String
    /// The instances of `group` whose process ended before they ever served, since the last
    /// one of the group came into service; nil when none did or the cloud cannot tell.
    func startupFailures(of group: String) async -> StartupFailures?
    /// Since when and why the cloud's endpoint cannot be reached; nil while it can (and for a
    /// cloud on this machine).
    var unreachable: (since: Date, error: String)? { get }

    /// What the running instances of `group` use now (CPU time, memory); empty where the
    /// provider cannot tell.
    func instanceUsage(of group: String) async throws -> [InstanceUsage]

    // MARK: Load balancers

    /// Every load balancer, by name.
    func loadBalancers() async throws -> [LoadBalancerRecord]
    /// One load balancer, or nil.
    func loadBalancer(named name: LoadBalancerName) async throws -> LoadBalancerRecord?
    /// Whether it serves, its instances' health and the traffic it carried.
    func loadBalancerState(named name: LoadBalancerName) async -> LoadBalancerState
    /// The same as the provider holds it now, without asking the cloud again: for the lists,
    /// which the cache answers (deployments ask `loadBalancerState`, which reads health anew).
    func cachedLoadBalancerState(named name: LoadBalancerName) async -> LoadBalancerState
    /// The requests, errors and latency of each server group behind a load balancer, counted
    /// from a fixed point in the past (the canary analysis takes differences).
    func groupTraffic(on name: LoadBalancerName) async -> [GroupTraffic]
    /// Creates a load balancer; it starts serving at once.
    func createLoadBalancer(_ balancer: LoadBalancerRecord, task: TaskDraft) async throws -> TaskRecord
    /// Changes a load balancer's listener, health check, algorithm, draining or weights.
    func updateLoadBalancer(_ balancer: LoadBalancerRecord, previous: LoadBalancerRecord, task: TaskDraft) async throws -> TaskRecord
    /// Removes a load balancer no server group uses.
    func deleteLoadBalancer(named name: LoadBalancerName, task: TaskDraft) async throws -> TaskRecord

    /// Reads again from the cloud whatever it keeps in memory (a cloud that keeps nothing does
    /// nothing): before a console goes on with a task another console ran, whose last changes
    /// it may not have seen.
    func refreshCache() async throws

    /// Reads again the object another console just changed (a server group, an instance, a
    /// load balancer …), so that this console's reads show the change too.
    func followChange(of objectType: TaskObjectType, id: String) async throws

    /// How current the provider's cache is; nil for a provider that reads its store on every
    /// call (the local cloud), whose answers are always current.
    var cacheStatus: CacheStatus? { get }

    /// How long a wait for instances to serve looks every 10 ms before it looks every 50 ms: a
    /// cloud on this machine starts instances in milliseconds; a remote one in minutes, and each
    /// look may cost it calls.
    var quickLooks: Duration { get }
}

extension CloudProvider {
    /// A cloud read directly keeps nothing to refresh.
    public func refreshCache() async throws {}

    /// A cloud read directly sees every change already.
    public func followChange(of objectType: TaskObjectType, id: String) async throws {}

    /// Clouds that cannot see instance processes end say nothing.
    public func startupFailures(of group: String) async -> StartupFailures? { nil }

    /// A provider without a cache answers as it always does.
    public func cachedLoadBalancerState(named name: LoadBalancerName) async -> LoadBalancerState {
        await loadBalancerState(named: name)
    }

    /// Every instance, those of other groups left out.
    public func instances(ofGroups names: Set<String>) async throws -> [InstanceRecord] {
        try await instances(of: nil, includeTerminated: false).filter { names.contains($0.autoScalingGroupName) }
    }

    /// A cloud read directly keeps no cache.
    public var cacheStatus: CacheStatus? { nil }

    /// A cloud looked at every 50 ms from the start.
    public var quickLooks: Duration { .zero }

    /// A cloud on this machine is always there.
    public var unreachable: (since: Date, error: String)? { nil }

    /// What the load balancer itself reports.
    public func groupTraffic(on name: LoadBalancerName) async -> [GroupTraffic] {
        await loadBalancerState(named: name).traffic?.groups ?? []
    }
}

/// What a provider can do beyond the common ground.
public struct CloudCapabilities: OptionSet, Sendable, Hashable {
    public let rawValue: Int

    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    /// Images are registered through the console (local command lines).
    public static let registersImages = CloudCapabilities(rawValue: 1 << 0)
    /// Load balancers report traffic per server group and instance with latency histograms.
    public static let reportsTraffic = CloudCapabilities(rawValue: 1 << 1)
    /// Load balancers split traffic between server groups by weight.
    public static let weightsTraffic = CloudCapabilities(rawValue: 1 << 2)
}

/// A load balancer as its cloud sees it now.
public struct LoadBalancerState: Sendable, Hashable {
    /// `running`, `starting`, or why it does not serve.
    public var status: String
    /// What it reported last; nil before its first report.
    public var traffic: LoadBalancerTraffic?

    /// Creates a state.
    public init(status: String, traffic: LoadBalancerTraffic?) {
        self.status = status
        self.traffic = traffic
    }
}

/// A cloud with security groups (AWS's; the local cloud's instances listen on 127.0.0.1).
public protocol SecurityGroupProvider: Sendable {
    /// Every security group, by name.
    func securityGroups() async throws -> [SecurityGroupRecord]
    /// One security group by name, or nil.
    func securityGroup(named name: String) async throws -> SecurityGroupRecord?
    /// Creates an empty security group (no ingress) in the default VPC.
    func createSecurityGroup(named name: String, description: String, task: TaskDraft) async throws -> TaskRecord
    /// Opens (or closes) ingress rules of a group; a source group is given by id.
    func setIngress(_ rules: [IngressRule], of name: String, authorized: Bool, task: TaskDraft) async throws -> TaskRecord
    /// Deletes a security group; the cloud refuses while instances or other groups' rules use it.
    func deleteSecurityGroup(named name: String, task: TaskDraft) async throws -> TaskRecord
}

/// A cloud whose images carry tags people change (AWS's AMIs; a local image's environment is
/// fixed when it is registered).
public protocol ImageTagging: Sendable {
    /// Sets `tags` and removes the keys of `remove` on an image.
    func setImageTags(_ id: ImageID, set tags: [String: String], remove: [String], task: TaskDraft) async throws -> TaskRecord
}
