import AsgardCloud
import AsgardCore
import AsgardStore
import Foundation
import Logging
import ServiceLifecycle

/// Runs deployments as durable tasks: the request is the task's input, the `DeploymentState`
/// its checkpoint, saved after every step. A deployment interrupted by a crash or a stop of the
/// server goes on from its last finished step at the next start; one cluster runs one
/// deployment at a time (the store refuses a second while the first runs).
public final class DeploymentEngine: Service, Sendable {
    let cloud: any CloudProvider
    let tasks: any TaskStore
    let operations: ClusterOperations
    let logger: Logger
    let now: @Sendable () -> Date
    /// How long the new group may take to become healthy.
    let healthyTimeout: Duration
    private let started: AsyncStream<TaskID>
    private let starter: AsyncStream<TaskID>.Continuation
    private let events: AsyncStream<(DeploymentEvent, String)>
    private let eventSink: AsyncStream<(DeploymentEvent, String)>.Continuation

    /// Creates the engine.
    public init(cloud: any CloudProvider, tasks: any TaskStore, operations: ClusterOperations, healthyTimeout: Duration = .seconds(600),
                logger: Logger, now: @escaping @Sendable () -> Date) {
        self.cloud = cloud
        self.tasks = tasks
        self.operations = operations
        self.healthyTimeout = healthyTimeout
        self.logger = logger
        self.now = now
        (started, starter) = AsyncStream.makeStream(of: TaskID.self)
        (events, eventSink) = AsyncStream.makeStream(of: (DeploymentEvent, String).self)
    }

    /// Queues `event` for the deployment's webhook, if it has one.
    private func notify(_ event: String, task: TaskRecord, request: DeploymentRequest, newGroup: String?, message: String) {
        guard let url = request.notification?.webhookUrl else { return }
        eventSink.yield((DeploymentEvent(event: event, taskId: task.id.rawValue, taskUrl: "/deployment/show/\(task.id).json", cluster: request.cluster,
                                         strategy: request.strategy.rawValue, imageId: request.imageId.rawValue, newGroup: newGroup,
                                         message: message, time: now()), url))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// Checks `request` against the cloud, records its task (refused while another deployment of
    /// the cluster runs) and starts it.
    ///
    /// - Throws: `CloudError.invalidRequest` naming what is wrong; `StoreError.conflict` while the
    ///   cluster is busy.
    public func start(_ request: DeploymentRequest, user: String) async throws -> TaskRecord {
        let problems = request.problems
        guard problems.isEmpty else { throw CloudError(.invalidRequest, ValidationFailure(problems).message) }
        guard try await cloud.image(request.imageId) != nil else {
            throw CloudError(.invalidRequest, "imageId: '\(request.imageId)' is not a registered image; see /local/image/list")
        }
        let known = Set(try await cloud.loadBalancers().map(\.loadBalancerName.rawValue))
        for name in request.loadBalancers ?? [] where !known.contains(name) {
            throw CloudError(.invalidRequest, "loadBalancers: '\(name)' is not a load balancer; see /local/loadBalancer/list")
        }
        let groups = try await cloud.serverGroups().filter { $0.names?.cluster == request.cluster }
        let previous = groups.map(\.autoScalingGroupName)
        var state = DeploymentState(previousGroups: previous)
        if request.strategy == .rolling {
            // In place: the group that serves now (the newest enabled one), not a newer disabled one.
            let serving = groups.last(where: ClusterTraffic.isEnabled) ?? groups.last
            guard let target = request.serverGroup ?? serving?.autoScalingGroupName else {
                throw CloudError(.invalidRequest, "cluster: \(request.cluster) has no server group to push to; deploy with redBlack first")
            }
            guard previous.contains(target) else {
                throw CloudError(.invalidRequest, "name: '\(target)' is not a server group of \(request.cluster)")
            }
            state.newGroup = target
        }
        let steps = DeploymentStep.plan(request.strategy)
        let task = try await tasks.createExclusiveTask(TaskDraft(
            operation: "Deploy \(request.imageId) to \(request.cluster) (\(request.strategy.rawValue))", objectType: .cluster,
            objectId: request.cluster, user: user, region: "local", status: .running,
            log: [TaskLogLine(time: now(), message: "Deploying \(request.imageId) to \(request.cluster) with \(request.strategy.rawValue): "
                + steps.map(\.rawValue).joined(separator: ", ")
                + (previous.isEmpty ? "; the cluster has no server group yet" : "; previous groups: \(previous.joined(separator: ", "))"))],
            input: String(decoding: try Self.encoder.encode(request), as: UTF8.self)),
            checkpoint: String(decoding: try Self.encoder.encode(state), as: UTF8.self))
        starter.yield(task.id)
        notify("started", task: task, request: request, newGroup: state.newGroup, message: task.log.first?.message ?? "")
        return task
    }

    /// Puts traffic back on the previous group of `cluster` after a deployment: enables the newest
    /// disabled group older than the newest enabled one, waits until it is healthy in its load
    /// balancers, then disables the newer one (which stays for inspection). Holds the cluster's
    /// lock while it runs.
    ///
    /// - Throws: `CloudError.invalidRequest` when there is nothing to roll back to;
    ///   `StoreError.conflict` while a deployment of the cluster runs.
    public func rollback(cluster: String, user: String) async throws -> TaskRecord {
        let groups = try await cloud.serverGroups().filter { $0.names?.cluster == cluster }
        guard !groups.isEmpty else { throw CloudError(.notFound, "Cluster '\(cluster)' not found; see /local/cluster/list") }
        guard let current = groups.last(where: ClusterTraffic.isEnabled) else {
            throw CloudError(.invalidRequest, "name: no server group of \(cluster) takes traffic; enable one with /local/cluster/activate")
        }
        let older = groups.prefix { $0.autoScalingGroupName != current.autoScalingGroupName }
        guard let previous = older.last(where: { !ClusterTraffic.isEnabled($0) && !$0.loadBalancerNames.isEmpty }) else {
            throw CloudError(.invalidRequest, "name: \(cluster) has no disabled server group older than \(current.autoScalingGroupName) to go back to")
        }
        let task = try await tasks.createExclusiveTask(TaskDraft(
            operation: "Roll back \(cluster) to \(previous.autoScalingGroupName)", objectType: .cluster, objectId: cluster, user: user,
            region: "local", status: .running,
            log: [TaskLogLine(time: now(), message: "Rolling back \(cluster): enabling \(previous.autoScalingGroupName), then disabling \(current.autoScalingGroupName)")]),
            checkpoint: nil)
        do {
            let started = ContinuousClock.now
            let (enabled, enabling) = try await operations.enable(previous, user: user)
            try await log(task.id, "Enabled \(previous.autoScalingGroupName) (task \(enabling.id))")
            // All of it healthy, or at the deadline at least one instance.
            var ready = 0
            let all = try await ClusterOperations.poll(for: healthyTimeout, until: {
                ready = try await operations.readiness(of: enabled).0
                return ready >= enabled.desiredCapacity
            })
            if !all, ready == 0 {
                throw CloudError(.unavailable, "\(previous.autoScalingGroupName) has no healthy instance; \(current.autoScalingGroupName) keeps the traffic")
            }
            let (_, disabling) = try await operations.disable(current, force: true, user: user)
            try await log(task.id, "Disabled \(current.autoScalingGroupName) (task \(disabling.id)); \(previous.autoScalingGroupName) serves \(cluster) after \(ClusterOperations.milliseconds(since: started)) ms")
            try await tasks.updateTask(task.id, status: .succeeded, checkpoint: nil, at: now())
        } catch {
            try? await log(task.id, "Rollback failed: \(error)")
            try? await tasks.updateTask(task.id, status: .failed, checkpoint: nil, at: now())
            throw error
        }
        return try await tasks.task(task.id) ?? task
    }

    /// Asks a running deployment to stop at its next safe point (between steps, or while it
    /// waits); it logs what it leaves behind. Its cluster is free at once.
    ///
    /// - Throws: `CloudError.notFound`, or `.conflict` for a task that ended or is not a deployment.
    public func cancel(_ id: TaskID, user: String) async throws -> TaskRecord {
        guard let task = try await tasks.task(id) else { throw CloudError(.notFound, "Task \(id) not found; see /task/list") }
        guard !task.status.isFinished else { throw CloudError(.conflict, "Task \(id) has already \(task.status.rawValue); nothing to cancel") }
        guard task.objectType == .cluster, task.input != nil else {
            throw CloudError(.conflict, "Task \(id) (\(task.operation)) cannot be canceled; only deployments can")
        }
        try await log(id, "Cancel requested by \(user); stopping at the next safe point")
        try await tasks.updateTask(id, status: .canceled, checkpoint: nil, at: now())
        return try await tasks.task(id) ?? task
    }

    /// Throws `DeploymentCanceled` once someone canceled the deployment.
    private func stopIfCanceled(_ id: TaskID, _ step: DeploymentStep) async throws {
        if try await isCanceled(id) { throw DeploymentCanceled(step: step) }
    }

    /// True once someone canceled the deployment.
    private func isCanceled(_ id: TaskID) async throws -> Bool {
        try await tasks.task(id)?.status == .canceled
    }

    /// The cluster tasks that were running when the server stopped: deployments (which have an
    /// input) are answered, to resume; others (a rollback) are marked failed, so that they do not
    /// hold their cluster's lock.
    func unfinished() async throws -> [TaskID] {
        var deployments: [TaskID] = []
        for status in [TaskStatus.running, .waiting] {
            let page = try await tasks.tasks(TaskQuery(status: status, objectType: .cluster, limit: 1000))
            for task in page.tasks {
                if task.input != nil {
                    deployments.append(task.id)
                } else {
                    try await log(task.id, "Interrupted by a restart of the server; run it again")
                    try await tasks.updateTask(task.id, status: .failed, checkpoint: nil, at: now())
                }
            }
        }
        return deployments
    }

    public func run() async throws {
        let resumed = (try? await unfinished()) ?? []
        await withDiscardingTaskGroup { group in
            let notifier = DeploymentNotifier(logger: logger)
            let events = self.events
            group.addTask {
                await withDiscardingTaskGroup { sends in
                    for await (event, url) in events {
                        sends.addTask { await notifier.send(event, to: url) }
                    }
                }
            }
            for id in resumed {
                logger.info("Resuming deployment", metadata: ["task": "\(id)"])
                group.addTask { await self.execute(id) }
            }
            for await id in started.cancelOnGracefulShutdown() {
                group.addTask { await self.execute(id) }
            }
            eventSink.finish()
            group.cancelAll()
        }
    }

    /// Runs a deployment from its checkpoint to its end, unless the server stops first.
    func execute(_ id: TaskID) async {
        guard let task = try? await tasks.task(id), let input = task.input, let checkpoint = task.checkpoint,
              let request = try? Self.decoder.decode(DeploymentRequest.self, from: Data(input.utf8)),
              var state = try? Self.decoder.decode(DeploymentState.self, from: Data(checkpoint.utf8)) else { return }
        do {
            let steps = DeploymentStep.plan(request.strategy)
            while state.step < steps.count {
                if Task.isCancelled { return }
                if try await isCanceled(id) {
                    notify("canceled", task: task, request: request, newGroup: state.newGroup, message: "canceled before \(steps[state.step].rawValue)")
                    try await log(id, "Canceled after \(state.step) of \(steps.count) steps, before \(steps[state.step].rawValue): " + (state.newGroup.map { "\($0) is left as it is; " } ?? "")
                        + "previous groups \(state.previousGroups.isEmpty ? "none" : state.previousGroups.joined(separator: ", ")) untouched by later steps")
                    return
                }
                let step = steps[state.step]
                try await perform(step, request: request, state: &state, task: task)
                if Task.isCancelled { return }
                state.finished[state.step] = now()
                state.step += 1
                try await save(state, of: id)
            }
            if try await isCanceled(id) { return }
            try await log(id, "Deployment finished: \(state.newGroup ?? "?") serves \(request.cluster)")
            try await tasks.updateTask(id, status: .succeeded, checkpoint: nil, at: now())
            notify("succeeded", task: task, request: request, newGroup: state.newGroup, message: "\(state.newGroup ?? "?") serves \(request.cluster)")
        } catch let canceled as DeploymentCanceled {
            try? await log(id, "Canceled while it ran \(canceled.step.rawValue); what that step made is left as it is")
            notify("canceled", task: task, request: request, newGroup: state.newGroup, message: "canceled while it ran \(canceled.step.rawValue)")
        } catch is CancellationError {
            return
        } catch where Task.isCancelled {
            // The server is stopping: the deployment goes on from its checkpoint at the next start.
            return
        } catch {
            if (try? await isCanceled(id)) == true { return }
            logger.warning("Deployment failed", metadata: ["task": "\(id)", "error": "\(error)"])
            try? await log(id, "Deployment failed: \(error)")
            try? await tasks.updateTask(id, status: .failed, checkpoint: nil, at: now())
            notify("failed", task: task, request: request, newGroup: state.newGroup, message: "\(error)")
        }
    }

    private func save(_ state: DeploymentState, of id: TaskID) async throws {
        try await tasks.saveCheckpoint(id, String(decoding: try Self.encoder.encode(state), as: UTF8.self), at: now())
    }

    private func log(_ id: TaskID, _ message: String) async throws {
        try await tasks.appendLog(to: id, TaskLogLine(time: now(), message: message))
    }

    private func perform(_ step: DeploymentStep, request: DeploymentRequest, state: inout DeploymentState, task: TaskRecord) async throws {
        let started = ContinuousClock.now
        switch step {
        case .createGroup:
            let cluster = try await cloud.serverGroups().filter { $0.names?.cluster == request.cluster }
            let newest = cluster.last
            if state.newGroup == nil {
                // The name is fixed before the group exists, so that a resumed step finds it.
                state.newGroup = GroupNaming.nextGroupName(cluster: request.cluster, previousGroup: newest?.autoScalingGroupName)
                try await save(state, of: task.id)
            }
            guard let name = state.newGroup else { return }
            if try await cloud.serverGroup(named: name) != nil {
                try await log(task.id, "Server group \(name) exists already; going on")
                return
            }
            let group = ClusterOperations.nextGroup(named: name, imageId: request.imageId, capacity: request.capacity,
                                                    loadBalancers: request.loadBalancers, inheritingFrom: newest, now: now())
            let balancers = group.loadBalancerNames
            _ = try await cloud.createServerGroup(group, task: TaskDraft(
                operation: "Create server group \(name)", objectType: .serverGroup, objectId: name, user: task.user, region: "local",
                status: .succeeded, log: [TaskLogLine(time: now(), message: "Created \(name) from \(request.imageId) for deployment task \(task.id)")]))
            try await log(task.id, "Created \(name) from \(request.imageId): min \(request.capacity.min), desired \(request.capacity.desired), max \(request.capacity.max)"
                + (balancers.isEmpty ? ", no load balancer" : ", behind \(balancers.joined(separator: ", "))"))
        case .waitHealthy:
            guard let name = state.newGroup, let group = try await cloud.serverGroup(named: name) else {
                throw CloudError(.notFound, "the new server group \(state.newGroup ?? "?") is gone")
            }
            var (ready, total) = (0, 0)
            let healthy = try await ClusterOperations.poll(for: healthyTimeout, between: { try await stopIfCanceled(task.id, step) }, until: {
                (ready, total) = try await operations.readiness(of: group)
                return ready >= group.desiredCapacity
            })
            guard healthy else {
                throw CloudError(.unavailable, "\(name) had \(ready) of \(group.desiredCapacity) healthy instances (\(total) running) after \(healthyTimeout)")
            }
            try await log(task.id, "\(name): \(ready) of \(group.desiredCapacity) instances InService"
                + (group.loadBalancerNames.isEmpty ? "" : " and healthy in \(group.loadBalancerNames.joined(separator: ", "))")
                + " after \(ClusterOperations.milliseconds(since: started)) ms")
        case .disablePrevious:
            for name in state.previousGroups {
                guard let group = try await cloud.serverGroup(named: name), ClusterTraffic.isEnabled(group) else { continue }
                let (_, done) = try await operations.disable(group, force: true, user: task.user)
                try await log(task.id, "Disabled \(name) (task \(done.id)): " + (done.log.last?.message ?? ""))
            }
        case .updateImage:
            guard let name = state.newGroup, var group = try await cloud.serverGroup(named: name) else {
                throw CloudError(.notFound, "the server group \(state.newGroup ?? "?") is gone")
            }
            guard group.imageId != request.imageId else { return }
            let old = group.imageId
            group.imageId = request.imageId
            _ = try await cloud.updateServerGroup(group, task: TaskDraft(
                operation: "Push \(request.imageId) to \(name)", objectType: .serverGroup, objectId: name, user: task.user, region: "local",
                status: .succeeded, log: [TaskLogLine(time: now(), message: "New instances of \(name) launch from \(request.imageId) (was \(old)); deployment task \(task.id)")]))
            try await log(task.id, "\(name) now launches from \(request.imageId) (was \(old))")
        case .relaunch:
            guard let name = state.newGroup else { return }
            let options = request.rolling ?? RollingOptions()
            var taken = Set(state.relaunched ?? [])
            let limit = options.relaunchCount ?? Int.max
            while taken.count < limit {
                try await stopIfCanceled(task.id, step)
                guard let group = try await cloud.serverGroup(named: name) else { throw CloudError(.notFound, "the server group \(name) is gone") }
                let batch = DeploymentState.nextToRelaunch(try await cloud.instances(of: name, includeTerminated: false), image: request.imageId,
                                                           taken: taken, count: min(options.concurrentRelaunches, limit - taken.count),
                                                           newestFirst: options.newestFirst)
                guard !batch.isEmpty else { break }
                taken.formUnion(batch.map(\.instanceId))
                state.relaunched = taken.sorted()
                try await save(state, of: task.id)
                let slot = ContinuousClock.now
                try await log(task.id, "Relaunching \(batch.map(\.instanceId.rawValue).joined(separator: ", ")): draining, ending, replacing from \(request.imageId)")
                try await withThrowingTaskGroup(of: Void.self) { ending in
                    for instance in batch {
                        ending.addTask {
                            try await self.cloud.terminateInstance(instance, reason: "rolling push to \(request.imageId) (deployment task \(task.id))")
                        }
                    }
                    try await ending.waitForAll()
                }
                let replaced = taken.count
                let back = try await ClusterOperations.poll(for: healthyTimeout, between: { try await stopIfCanceled(task.id, step) }, until: {
                    let instances = try await cloud.instances(of: name, includeTerminated: false)
                    let fresh = instances.filter { $0.imageId == request.imageId }.count
                    return try await operations.readiness(of: group).0 >= group.desiredCapacity && fresh >= min(group.desiredCapacity, replaced)
                })
                guard back else {
                    throw CloudError(.unavailable, "\(name) did not get back to \(group.desiredCapacity) healthy instances within \(healthyTimeout)")
                }
                if options.afterBootWait > 0 { try await Task.sleep(for: .seconds(options.afterBootWait)) }
                try await log(task.id, "Replaced \(batch.count) instance\(batch.count == 1 ? "" : "s") in \(ClusterOperations.milliseconds(since: slot)) ms; \(group.desiredCapacity) healthy")
            }
        case .trimDisabled, .deletePrevious:
            let existing = try await cloud.serverGroups().map(\.autoScalingGroupName)
            let previous = state.previousGroups.filter { existing.contains($0) }
            let doomed = step == .deletePrevious ? previous : DeploymentState.groupsToTrim(previous: previous, keep: request.keepDisabledGroups ?? 1)
            for name in doomed {
                let done = try await operations.delete(name, user: task.user)
                try await log(task.id, "Deleted \(name) (task \(done.id))")
            }
            if step == .trimDisabled, let kept = previous.last, !doomed.contains(kept) {
                try await log(task.id, "Kept \(kept) disabled for a rollback")
            }
        }
    }
}

/// A deployment someone canceled, noticed in the middle of a step.
struct DeploymentCanceled: Error {
    let step: DeploymentStep
}
