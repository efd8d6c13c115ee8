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
    /// Where scaling policies, alarms and scheduled actions live, to copy them to a next group.
    let scaling: (any ScalingStore)?
    /// The region its tasks are recorded under and its messages point to.
    public let region: String

    /// Creates the operations.
    public init(cloud: any CloudProvider, tasks: any TaskStore, scaling: (any ScalingStore)? = nil, region: String = "local",
                now: @escaping @Sendable () -> Date) {
        self.cloud = cloud
        self.region = region
        self.tasks = tasks
        self.scaling = scaling
        self.now = now
    }

    /// Copies `previous`'s scaling policies, alarms (back to INSUFFICIENT_DATA) and scheduled
    /// actions (not yet run) to `next`, as Asgard's create next group does; answers what it copied.
    @discardableResult
    public func copyScaling(from previous: String, to next: String, user: String, parent: TaskID? = nil) async throws -> [String] {
        guard let scaling else { return [] }
        var copied: [String] = []
        for kind in ScalingObjectKind.allCases {
            for json in try await scaling.scalingObjects(kind, group: previous) {
                guard var object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { continue }
                let nameKey = kind == .policy ? "policyName" : kind == .alarm ? "alarmName" : "scheduledActionName"
                guard var name = object[nameKey] as? String else { continue }
                object["autoScalingGroupName"] = next
                if kind == .alarm {
                    // Alarm names are one per region: the copy names its group.
                    name = name.hasSuffix(previous) ? String(name.dropLast(previous.count)) + next : "\(name)-\(next)"
                    object[nameKey] = name
                    object["stateValue"] = AlarmState.insufficientData.rawValue
                    object["stateReason"] = "Copied from \(previous)"
                }
                object.removeValue(forKey: "lastRun")
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                _ = try await scaling.saveScalingObject(kind, group: next, name: name, json: String(decoding: data, as: UTF8.self), task: TaskDraft(
                    operation: "Copy \(kind.rawValue) \(name) to \(next)", objectType: .serverGroup, objectId: next, user: user, region: region,
                    status: .succeeded, log: [TaskLogLine(time: now(), message: "Copied from \(previous)")], parent: parent))
                copied.append("\(kind.rawValue) \(name)")
            }
        }
        return copied
    }

    /// Suspends Launch, Terminate and AddToLoadBalancer, which takes `group` out of its load
    /// balancers, and waits until its requests in flight finish.
    ///
    /// - Throws: `CloudError.conflict` for the last enabled group of its cluster unless `force`.
    public func disable(_ group: ServerGroupRecord, force: Bool, user: String, parent: TaskID? = nil) async throws -> (ServerGroupRecord, TaskRecord) {
        var changed = group
        let name = group.autoScalingGroupName
        let cluster = try await cloud.serverGroups().filter { $0.names?.cluster == group.names?.cluster }
        if !force, let problem = ClusterTraffic.guardProblem(disabling: group, cluster: cluster) {
            throw CloudError(.conflict, problem)
        }
        let added = ClusterTraffic.disableProcesses.filter { !group.isSuspended($0) }
        changed.suspendedProcesses += added
        return try await changeTraffic(changed, operation: "Disable traffic to \(name)", user: user, parent: parent,
                                       first: "Suspending \(added.isEmpty ? "nothing (all were suspended)" : added.map(\.rawValue).joined(separator: ", "))"
                                           + (force ? "; past the traffic guard" : "")) { instances, elapsed in
            group.loadBalancerNames.isEmpty ? "\(name) has no load balancer; nothing to deregister"
                : "Deregistered \(instances) instance\(instances == 1 ? "" : "s") from \(group.loadBalancerNames.joined(separator: ", ")); requests in flight finished after \(elapsed) ms"
        }
    }

    /// Resumes Launch, Terminate and AddToLoadBalancer, which puts `group` back into its load
    /// balancers.
    public func enable(_ group: ServerGroupRecord, user: String, parent: TaskID? = nil) async throws -> (ServerGroupRecord, TaskRecord) {
        var changed = group
        let name = group.autoScalingGroupName
        let resumed = group.suspendedProcesses.filter { ClusterTraffic.disableProcesses.contains($0) }
        changed.suspendedProcesses.removeAll { ClusterTraffic.disableProcesses.contains($0) }
        return try await changeTraffic(changed, operation: "Enable traffic to \(name)", user: user, parent: parent,
                                       first: "Resuming \(resumed.isEmpty ? "nothing (none was suspended)" : resumed.map(\.rawValue).joined(separator: ", "))") { instances, _ in
            group.loadBalancerNames.isEmpty ? "\(name) has no load balancer; nothing to register"
                : "Registered \(instances) instance\(instances == 1 ? "" : "s") with \(group.loadBalancerNames.joined(separator: ", ")); each takes requests once it passes the health check"
        }
    }

    /// Saves `group` with a running task, brings its load balancers in line, logs how that went
    /// and marks the task succeeded.
    private func changeTraffic(_ group: ServerGroupRecord, operation: String, user: String, parent: TaskID?, first: String,
                               done: (Int, Int) -> String) async throws -> (ServerGroupRecord, TaskRecord) {
        let started = ContinuousClock.now
        let task = try await cloud.updateServerGroup(group, task: TaskDraft(
            operation: operation, objectType: .serverGroup, objectId: group.autoScalingGroupName, user: user, region: region,
            status: .running, log: [TaskLogLine(time: now(), message: first)], parent: parent))
        try await cloud.syncLoadBalancers(of: group)
        let instances = try await cloud.instances(of: group.autoScalingGroupName, includeTerminated: false).count
        try await tasks.appendLog(to: task.id, TaskLogLine(time: now(), message: done(instances, ClusterOperations.milliseconds(since: started))))
        try await tasks.updateTask(task.id, status: .succeeded, checkpoint: nil, at: now())
        return (group, try await tasks.task(task.id) ?? task)
    }

    /// Deletes a group: its instances leave their load balancers (draining) and end first.
    public func delete(_ name: String, user: String, parent: TaskID? = nil, timeout: Duration = .seconds(60)) async throws -> TaskRecord {
        guard var group = try await cloud.serverGroup(named: name) else {
            throw CloudError(.notFound, "Server group '\(name)' not found; see /\(region)/autoScaling/list")
        }
        let instances = try await cloud.instances(of: name, includeTerminated: false)
        if !instances.isEmpty || group.desiredCapacity > 0 {
            group.minSize = 0
            group.desiredCapacity = 0
            _ = try await cloud.updateServerGroup(group, task: TaskDraft(
                operation: "Resize \(name) to 0", objectType: .serverGroup, objectId: name, user: user, region: region,
                status: .succeeded, log: [TaskLogLine(time: now(), message: "Terminating \(instances.count) instances before deleting \(name)")], parent: parent))
        }
        let task = TaskDraft(operation: "Delete server group \(name)", objectType: .serverGroup, objectId: name, user: user, region: region,
                             status: .succeeded, log: [TaskLogLine(time: now(), message: "Deleted server group \(name)")], parent: parent)
        // A reconcile pass that read the group before its capacity went to 0 may still launch (or
        // replace) an instance: end whatever is left until the group is empty, then delete it.
        let deadline = ContinuousClock.now + timeout
        while true {
            for instance in try await cloud.instances(of: name, includeTerminated: false) where instance.lifecycleState != .terminating {
                try await cloud.terminateInstance(instance, reason: "its server group \(name) is being deleted")
            }
            do {
                return try await cloud.deleteServerGroup(named: name, task: task)
            } catch let error as CloudError where error.code == .conflict && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// How many instances of `group` are InService and healthy, in its load balancers too while
    /// it takes traffic, and how many run.
    public func readiness(of group: ServerGroupRecord) async throws -> (Int, Int) {
        let instances = try await cloud.instances(of: group.autoScalingGroupName, includeTerminated: false)
        var ready = instances.filter { $0.lifecycleState == .inService && $0.healthStatus == .healthy }.map(\.instanceId)
        if ClusterTraffic.isEnabled(group) {
            for name in group.loadBalancerNames {
                let traffic = await cloud.loadBalancerState(named: LoadBalancerName(rawValue: name)).traffic
                ready = ready.filter { traffic?.instance($0)?.health == .healthy }
            }
        }
        return (ready.count, instances.count)
    }

    /// The cluster's next group: its settings inherited from `newest` (the cluster's newest group)
    /// unless given, as Asgard's "create next group" does.
    public static func nextGroup(named name: String, imageId: ImageID, capacity: DeploymentCapacity, loadBalancers: [String]?,
                                 inheritingFrom newest: ServerGroupRecord?, now: Date) -> ServerGroupRecord {
        let balancers = loadBalancers ?? newest?.loadBalancerNames ?? []
        var group = ServerGroupRecord(
            autoScalingGroupName: name, imageId: imageId, minSize: capacity.min, desiredCapacity: capacity.desired, maxSize: capacity.max,
            healthCheckType: balancers.isEmpty ? .ec2 : newest?.healthCheckType ?? .ec2, healthCheckGracePeriod: newest?.healthCheckGracePeriod ?? 0,
            terminationPolicies: newest?.terminationPolicies ?? [.default], suspendedProcesses: [], loadBalancerNames: balancers, createdTime: now)
        group.securityGroups = newest?.securityGroups ?? []
        return group
    }

    /// Asgard's "create next group": the cluster's next push version, its settings inherited from
    /// the newest group unless given (`noOptionalDefaults` turns inheritance off), created
    /// disabled unless `trafficAllowed`, and with `checkHealth` answered once it is healthy.
    public func createNextGroup(cluster: String, imageId: ImageID?, capacity: DeploymentCapacity?, loadBalancers: [String]?,
                                trafficAllowed: Bool, checkHealth: Bool, noOptionalDefaults: Bool, user: String,
                                timeout: Duration = .seconds(600)) async throws -> (ServerGroupRecord, TaskRecord) {
        let groups = try await cloud.serverGroups().filter { $0.names?.cluster == cluster }
        guard let newest = groups.last else {
            throw CloudError(.notFound, "Cluster '\(cluster)' has no server group to follow; create its first with /\(region)/autoScaling/save or /local/deployment/start")
        }
        let inherited = noOptionalDefaults ? nil : newest
        guard let image = imageId ?? inherited?.imageId else { throw CloudError(.invalidRequest, "imageId: is required with noOptionalDefaults=true") }
        guard try await cloud.image(image) != nil else { throw CloudError(.invalidRequest, "imageId: '\(image)' is not a registered image; see /\(region)/image/list") }
        let sizes = capacity ?? inherited.map { DeploymentCapacity(min: $0.minSize, desired: $0.desiredCapacity, max: $0.maxSize) }
            ?? DeploymentCapacity(min: 1, desired: 1, max: 1)
        guard 0 <= sizes.min, sizes.min <= sizes.desired, sizes.desired <= sizes.max, sizes.max <= 50 else {
            throw CloudError(.invalidRequest, "capacity: needs 0 <= minSize <= desiredCapacity <= maxSize <= 50; got \(sizes.min)/\(sizes.desired)/\(sizes.max)")
        }
        let known = Set(try await cloud.loadBalancers().map(\.loadBalancerName.rawValue))
        for name in loadBalancers ?? [] where !known.contains(name) {
            throw CloudError(.invalidRequest, "selectedLoadBalancers: '\(name)' is not a load balancer; see /\(region)/loadBalancer/list")
        }
        let name = GroupNaming.nextGroupName(cluster: cluster, previousGroup: newest.autoScalingGroupName)
        var group = ClusterOperations.nextGroup(named: name, imageId: image, capacity: sizes, loadBalancers: loadBalancers ?? (noOptionalDefaults ? [] : nil),
                                                inheritingFrom: inherited, now: now())
        if !trafficAllowed { group.suspendedProcesses = [.addToLoadBalancer] }
        let task = try await cloud.createServerGroup(group, task: TaskDraft(
            operation: "Create next group \(name)", objectType: .serverGroup, objectId: name, user: user, region: region,
            status: checkHealth ? .running : .succeeded,
            log: [TaskLogLine(time: now(), message: "Creating \(name) after \(newest.autoScalingGroupName) from \(image): \(sizes.min)/\(sizes.desired)/\(sizes.max)"
                + (group.loadBalancerNames.isEmpty ? ", no load balancer" : ", behind \(group.loadBalancerNames.joined(separator: ", "))")
                + (trafficAllowed ? "" : ", disabled (trafficAllowed=false)"))]))
        if !noOptionalDefaults, let source = ClusterTraffic.scalingSource(in: groups, excluding: name) {
            let copied = try await copyScaling(from: source.autoScalingGroupName, to: name, user: user, parent: task.id)
            if !copied.isEmpty { try await tasks.appendLog(to: task.id, TaskLogLine(time: now(), message: "Copied from \(source.autoScalingGroupName): \(copied.joined(separator: ", "))")) }
        }
        guard checkHealth else { return (group, task) }
        let started = ContinuousClock.now
        guard try await Self.poll(for: timeout, quickly: cloud.quickLooks, until: { try await readiness(of: group).0 >= group.desiredCapacity }) else {
            try await tasks.updateTask(task.id, status: .failed, checkpoint: nil, at: now())
            throw CloudError(.unavailable, "\(name) did not become healthy within \(timeout)")
        }
        try await tasks.appendLog(to: task.id, TaskLogLine(time: now(), message: "\(name) is healthy after \(ClusterOperations.milliseconds(since: started)) ms"))
        try await tasks.updateTask(task.id, status: .succeeded, checkpoint: nil, at: now())
        return (group, try await tasks.task(task.id) ?? task)
    }

    /// Looks at `done` every 50 ms (every 10 ms during `quickly`) until it holds (true) or
    /// `timeout` has passed (false); `between` runs before each pause, for a cancel check. Every
    /// wait of a deployment or a primitive goes through here.
    static func poll(for timeout: Duration, quickly: Duration = .zero, between: () async throws -> Void = {},
                     until done: () async throws -> Bool) async throws -> Bool {
        let start = ContinuousClock.now
        let deadline = start + timeout
        while true {
            if try await done() { return true }
            guard ContinuousClock.now < deadline else { return false }
            try await between()
            try await Task.sleep(for: ContinuousClock.now - start < quickly ? .milliseconds(10) : .milliseconds(50))
        }
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}
