import AsgardCloud
import AsgardCore
import AsgardStore
import Foundation

/// The primitives of traffic and deployments, each recorded as a task: disable and enable a
/// group (Asgard's deactivate and activate), create a group, delete one with draining. The API
/// uses them alone; deployments chain them.
public struct ClusterOperations: Sendable {
    let cloud: any CloudProvider
    let tasks: any TaskStore
    let now: @Sendable () -> Date

    /// Creates the operations.
    public init(cloud: any CloudProvider, tasks: any TaskStore, now: @escaping @Sendable () -> Date) {
        self.cloud = cloud
        self.tasks = tasks
        self.now = now
    }

    /// Suspends Launch, Terminate and AddToLoadBalancer, which takes `group` out of its load
    /// balancers, and waits until its requests in flight finish.
    ///
    /// - Throws: `CloudError.conflict` for the last enabled group of its cluster unless `force`.
    public func disable(_ group: ServerGroupRecord, force: Bool, user: String) async throws -> (ServerGroupRecord, TaskRecord) {
        var changed = group
        let name = group.autoScalingGroupName
        let cluster = try await cloud.serverGroups().filter { $0.names?.cluster == group.names?.cluster }
        if !force, let problem = ClusterTraffic.guardProblem(disabling: group, cluster: cluster) {
            throw CloudError(.conflict, problem)
        }
        let added = ClusterTraffic.disableProcesses.filter { !group.isSuspended($0) }
        changed.suspendedProcesses += added
        return try await changeTraffic(changed, operation: "Disable traffic to \(name)", user: user,
                                       first: "Suspending \(added.isEmpty ? "nothing (all were suspended)" : added.map(\.rawValue).joined(separator: ", "))"
                                           + (force ? "; past the traffic guard" : "")) { instances, elapsed in
            group.loadBalancerNames.isEmpty ? "\(name) has no load balancer; nothing to deregister"
                : "Deregistered \(instances) instance\(instances == 1 ? "" : "s") from \(group.loadBalancerNames.joined(separator: ", ")); requests in flight finished after \(elapsed) ms"
        }
    }

    /// Resumes Launch, Terminate and AddToLoadBalancer, which puts `group` back into its load
    /// balancers.
    public func enable(_ group: ServerGroupRecord, user: String) async throws -> (ServerGroupRecord, TaskRecord) {
        var changed = group
        let name = group.autoScalingGroupName
        let resumed = group.suspendedProcesses.filter { ClusterTraffic.disableProcesses.contains($0) }
        changed.suspendedProcesses.removeAll { ClusterTraffic.disableProcesses.contains($0) }
        return try await changeTraffic(changed, operation: "Enable traffic to \(name)", user: user,
                                       first: "Resuming \(resumed.isEmpty ? "nothing (none was suspended)" : resumed.map(\.rawValue).joined(separator: ", "))") { instances, _ in
            group.loadBalancerNames.isEmpty ? "\(name) has no load balancer; nothing to register"
                : "Registered \(instances) instance\(instances == 1 ? "" : "s") with \(group.loadBalancerNames.joined(separator: ", ")); each takes requests once it passes the health check"
        }
    }

    /// Saves `group` with a running task, brings its load balancers in line, logs how that went
    /// and marks the task succeeded.
    private func changeTraffic(_ group: ServerGroupRecord, operation: String, user: String, first: String,
                               done: (Int, Int) -> String) async throws -> (ServerGroupRecord, TaskRecord) {
        let started = ContinuousClock.now
        let task = try await cloud.updateServerGroup(group, task: TaskDraft(
            operation: operation, objectType: .serverGroup, objectId: group.autoScalingGroupName, user: user, region: "local",
            status: .running, log: [TaskLogLine(time: now(), message: first)]))
        try await cloud.syncLoadBalancers(of: group)
        let instances = try await cloud.instances(of: group.autoScalingGroupName, includeTerminated: false).count
        try await tasks.appendLog(to: task.id, TaskLogLine(time: now(), message: done(instances, ClusterOperations.milliseconds(since: started))))
        try await tasks.updateTask(task.id, status: .succeeded, checkpoint: nil, at: now())
        return (group, try await tasks.task(task.id) ?? task)
    }

    /// Deletes a group: its instances leave their load balancers (draining) and end first.
    public func delete(_ name: String, user: String) async throws -> TaskRecord {
        guard var group = try await cloud.serverGroup(named: name) else {
            throw CloudError(.notFound, "Server group '\(name)' not found; see /local/autoScaling/list")
        }
        let instances = try await cloud.instances(of: name, includeTerminated: false)
        if !instances.isEmpty {
            group.minSize = 0
            group.desiredCapacity = 0
            _ = try await cloud.updateServerGroup(group, task: TaskDraft(
                operation: "Delete server group \(name)", objectType: .serverGroup, objectId: name, user: user, region: "local",
                status: .running, log: [TaskLogLine(time: now(), message: "Terminating \(instances.count) instances before deleting \(name)")]))
            for instance in instances {
                try await cloud.terminateInstance(instance, reason: "its server group \(name) is being deleted")
            }
        }
        let task = TaskDraft(operation: "Delete server group \(name)", objectType: .serverGroup, objectId: name, user: user, region: "local",
                             status: .succeeded, log: [TaskLogLine(time: now(), message: "Deleted server group \(name)")])
        return try await cloud.deleteServerGroup(named: name, task: task)
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}
