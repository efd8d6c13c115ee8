import AsgardCloud
import AsgardCore
import AsgardStore
import Foundation

/// The embedded cloud behind the `CloudProvider` protocol: definitions live in the console's own
/// store (each written with its task in one transaction), and `LocalReconciler` makes the
/// processes and load balancers follow them.
public struct LocalCloudProvider: CloudProvider {
    public typealias Store = ServerGroupStore & ImageStore & LoadBalancerStore & ScalingStore

    let store: any Store
    let reconciler: LocalReconciler

    /// Creates the provider over `store`, driven by `reconciler`.
    public init(store: any Store, reconciler: LocalReconciler) {
        self.store = store
        self.reconciler = reconciler
    }

    public var capabilities: CloudCapabilities { [.registersImages, .reportsTraffic, .weightsTraffic] }
    public var loadBalancerTypes: [LoadBalancerType] { [.proxy] }

    // MARK: Images

    public func images() async throws -> [ImageRecord] { try await store.images() }

    public func image(_ id: ImageID) async throws -> ImageRecord? { try await store.image(id) }

    public func registerImage(_ image: ImageRecord, task: TaskDraft) async throws -> TaskRecord {
        try await store.createImage(image, task: task)
    }

    public func deregisterImage(_ id: ImageID, task: TaskDraft) async throws -> TaskRecord {
        try await store.deleteImage(id, task: task)
    }

    // MARK: Server groups and instances

    public func serverGroups() async throws -> [ServerGroupRecord] { try await store.serverGroups() }

    public func serverGroup(named name: String) async throws -> ServerGroupRecord? { try await store.serverGroup(named: name) }

    public func createServerGroup(_ group: ServerGroupRecord, task: TaskDraft) async throws -> TaskRecord {
        let record = try await store.createServerGroup(group, task: task)
        reconciler.poke()
        return record
    }

    public func updateServerGroup(_ group: ServerGroupRecord, task: TaskDraft) async throws -> TaskRecord {
        let before = try await store.serverGroup(named: group.autoScalingGroupName)
        let record = try await store.updateServerGroup(group, task: task)
        if let before, before.desiredCapacity != group.desiredCapacity {
            // The history says why the capacity changed: the task's first line is its reason.
            let time = record.startTime
            try? await store.recordActivity(ScalingActivity(
                autoScalingGroupName: group.autoScalingGroupName,
                description: "Changing the desired capacity from \(before.desiredCapacity) to \(group.desiredCapacity)",
                cause: "At \(time.formatted(.iso8601)) " + (task.log.first?.message ?? task.operation) + " (task \(record.id), \(task.user))",
                startTime: time, endTime: time))
        }
        reconciler.poke()
        return record
    }

    public func deleteServerGroup(named name: String, task: TaskDraft) async throws -> TaskRecord {
        let left = try await store.instances(of: name, includeTerminated: false)
        guard left.isEmpty else {
            throw CloudError(.conflict, "Server group \(name) still has \(left.count) instance\(left.count == 1 ? "" : "s"); terminate them first")
        }
        let record = try await store.deleteServerGroup(named: name, task: task)
        reconciler.poke()
        return record
    }

    public func syncLoadBalancers(of group: ServerGroupRecord) async throws {
        try await reconciler.drainLoadBalancers(of: group)
    }

    public func instances(of group: String?, includeTerminated: Bool) async throws -> [InstanceRecord] {
        try await store.instances(of: group, includeTerminated: includeTerminated)
    }

    public func instance(_ id: InstanceID) async throws -> InstanceRecord? { try await store.instance(id) }

    public func setInstanceProtection(_ ids: [InstanceID], protected: Bool, task: TaskDraft) async throws -> TaskRecord {
        let record = try await store.setInstanceProtection(ids, protected: protected, task: task)
        reconciler.poke()
        return record
    }

    public func instanceUsage(of group: String) async throws -> [InstanceUsage] {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        return try await store.instances(of: group, includeTerminated: false).compactMap { instance in
            guard let pid = instance.pid,
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let statm = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return nil }
            return InstanceUsage.parse(instanceId: instance.instanceId, stat: stat, statm: statm, ticksPerSecond: ticks, pageSize: page)
        }
    }

    public func terminateInstance(_ instance: InstanceRecord, reason: String) async throws {
        try await reconciler.terminate(instance, reason: reason)
    }

    public func terminateAndShrink(_ instance: InstanceRecord, group: ServerGroupRecord, task: TaskDraft) async throws -> TaskRecord {
        let record = try await updateServerGroup(group, task: task)
        try await reconciler.terminate(instance, reason: task.log.first?.message ?? task.operation)
        return record
    }

    public func rebootInstance(_ instance: InstanceRecord) async throws {
        try await reconciler.reboot(instance)
    }

    public func consoleOutput(_ id: InstanceID) async throws -> String { reconciler.consoleOutput(id) }

    public func startupFailures(of group: String) async -> StartupFailures? { reconciler.startupFailures(of: group) }

    // MARK: Load balancers

    public func loadBalancers() async throws -> [LoadBalancerRecord] { try await store.loadBalancers() }

    public func loadBalancer(named name: LoadBalancerName) async throws -> LoadBalancerRecord? { try await store.loadBalancer(named: name) }

    /// Instances here answer within tens of milliseconds of their launch.
    public var quickLooks: Duration { .seconds(1) }

    public func loadBalancerState(named name: LoadBalancerName) async -> LoadBalancerState {
        let fleet = reconciler.loadBalancers
        let traffic = await fleet.currentTraffic(of: name)
        return LoadBalancerState(status: fleet.problem(of: name) ?? (traffic == nil ? "starting" : "running"), traffic: traffic)
    }

    public func createLoadBalancer(_ balancer: LoadBalancerRecord, task: TaskDraft) async throws -> TaskRecord {
        let record = try await store.createLoadBalancer(balancer, task: task)
        reconciler.poke()
        return record
    }

    public func updateLoadBalancer(_ balancer: LoadBalancerRecord, previous: LoadBalancerRecord, task: TaskDraft) async throws -> TaskRecord {
        let record = try await store.updateLoadBalancer(balancer, task: task)
        if balancer.listenerPort != previous.listenerPort {
            // A new port needs a new process; the reconciler starts it at once.
            await reconciler.loadBalancers.stop(balancer.loadBalancerName, grace: .seconds(Int64(previous.drainingTimeout)))
        }
        reconciler.poke()
        return record
    }

    public func deleteLoadBalancer(named name: LoadBalancerName, task: TaskDraft) async throws -> TaskRecord {
        let users = try await store.serverGroups().filter { $0.loadBalancerNames.contains(name.rawValue) }
        guard users.isEmpty else {
            throw CloudError(.conflict, "Load balancer \(name) is used by server group\(users.count == 1 ? "" : "s") \(users.map(\.autoScalingGroupName).joined(separator: ", ")); remove it from them (or delete them) first")
        }
        await reconciler.loadBalancers.stop(name, grace: .seconds(5))
        return try await store.deleteLoadBalancer(named: name, task: task)
    }
}
