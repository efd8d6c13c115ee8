import AsgardCloud
import AsgardCore
import AsgardStore
import Foundation

/// The steps of deployments. Each checks before it acts, so that a step resumed after a crash
/// does not do its work twice.
extension DeploymentEngine {
    func perform(_ step: PlannedStep, _ run: DeploymentRun, state: inout DeploymentState) async throws {
        let request = run.request
        switch step.type {
        case .createBaseline, .setWeight, .analyze, .pause, .promote:
            try await performCanary(step, run, state: &state)
        case .createGroup:
            if request.strategy == .canary, state.canaryWeight == nil {
                // No share for the canary until a setWeight step gives it one.
                let newest = try await cloud.serverGroups().last { $0.names?.cluster == request.cluster }
                let balancers = (request.loadBalancers ?? newest?.loadBalancerNames ?? []).map(LoadBalancerName.init(rawValue:))
                var weights = try canaryWeights(0, run, state)
                weights[GroupNaming.nextGroupName(cluster: request.cluster, previousGroup: newest?.autoScalingGroupName)] = 0
                try await applyWeights(weights, on: balancers, run)
                state.canaryWeight = 0
                try await save(state, of: run.id)
            }
            let capacity: DeploymentCapacity
            if request.strategy == .custom {
                // Asgard's automated deployments create the group empty when a resize follows.
                let resizes = request.plan.contains { $0.type == .resize && $0.group == .new }
                let desired = step.capacity ?? (resizes ? 0 : request.capacity.desired)
                capacity = DeploymentCapacity(min: min(request.capacity.min, desired), desired: desired, max: request.capacity.max)
            } else {
                capacity = request.capacity
            }
            try await createGroup(run, capacity: capacity, trafficAllowed: step.trafficAllowed ?? true, state: &state)
            if request.strategy == .custom || request.strategy == .canary, capacity.desired > 0, let name = state.newGroup {
                try await waitHealthy(name, count: capacity.desired, run, step: step.type, state: &state)
            }
        case .waitHealthy:
            guard let name = state.newGroup, let group = try await cloud.serverGroup(named: name) else {
                throw CloudError(.notFound, "the new server group \(state.newGroup ?? "?") is gone")
            }
            try await waitHealthy(name, count: group.desiredCapacity, run, step: step.type, state: &state)
        case .disablePrevious:
            for name in state.previousGroups {
                guard let group = try await cloud.serverGroup(named: name), ClusterTraffic.isEnabled(group) else { continue }
                let (_, done) = try await operations.disable(group, force: true, user: run.task.user, parent: run.id)
                try await log(run.id, "Disabled \(name) (task \(done.id)): " + (done.log.last?.message ?? ""))
            }
        case .trimDisabled, .deletePrevious:
            let existing = try await cloud.serverGroups().map(\.autoScalingGroupName)
            let previous = state.previousGroups.filter { existing.contains($0) }
            let doomed = step.type == .deletePrevious ? previous
                : DeploymentState.groupsToTrim(previous: previous, serving: Set((state.serving ?? [:]).keys), keep: request.keepDisabledGroups ?? 1)
            for name in doomed {
                let done = try await operations.delete(name, user: run.task.user, parent: run.id)
                try await log(run.id, "Deleted \(name) (task \(done.id))")
            }
            let kept = previous.filter { !doomed.contains($0) }
            if step.type == .trimDisabled, !kept.isEmpty {
                try await log(run.id, "Kept \(kept.joined(separator: ", ")) disabled for a rollback")
            }
        case .updateImage:
            guard let name = state.newGroup, let group = try await cloud.serverGroup(named: name) else {
                throw CloudError(.notFound, "the server group \(state.newGroup ?? "?") is gone")
            }
            guard group.imageId != request.imageId else {
                try await log(run.id, "\(name) launches from \(request.imageId) already")
                return
            }
            state.previousImage = group.imageId
            try await save(state, of: run.id)
            try await setImage(of: group, to: request.imageId, run)
        case .relaunch:
            guard let name = state.newGroup else { return }
            var taken = Set(state.relaunched ?? [])
            let options = request.rolling ?? RollingOptions()
            try await relaunch(name, to: request.imageId, options: options, taken: &taken, run, step: step.type, record: {
                state.relaunched = $0.sorted()
                try await self.save(state, of: run.id)
            }, afterBatch: { batch in
                try await self.watchBatch(batch, of: name, image: request.imageId, options: options, step, run, state: &state)
            })
        case .resize:
            let count = step.resizeTarget(desired: request.capacity.desired)
            for name in try targets(step.group, state) {
                guard var group = try await cloud.serverGroup(named: name) else { throw CloudError(.notFound, "the server group \(name) is gone") }
                let sizes = step.group == .new ? request.capacity : DeploymentCapacity(min: group.minSize, desired: group.desiredCapacity, max: group.maxSize)
                if group.desiredCapacity != count {
                    let before = "\(group.minSize)/\(group.desiredCapacity)/\(group.maxSize)"
                    group.minSize = min(sizes.min, count)
                    group.desiredCapacity = count
                    group.maxSize = max(sizes.max, count)
                    _ = try await cloud.updateServerGroup(group, task: TaskDraft(
                        operation: "Resize \(name) to \(count)", objectType: .serverGroup, objectId: name, user: run.task.user, region: region,
                        status: .succeeded, log: [TaskLogLine(time: now(), message: "Resized from \(before) to \(group.minSize)/\(count)/\(group.maxSize) by deployment task \(run.id)")], parent: run.id))
                }
                try await waitHealthy(name, count: count, run, step: step.type, state: &state)
            }
        case .wait:
            let until = try await fixEnd(of: &state, after: .seconds(step.seconds ?? 0), run)
            try await log(run.id, "Waiting \(step.seconds ?? 0) s, until \(Self.clock(until))")
            _ = try await ClusterOperations.poll(for: .seconds(max(0, until.timeIntervalSince(now()))), between: {
                try await self.takeSignal(run, during: .wait)
            }, until: { self.now() >= until })
        case .judgment:
            try await judgment(step, run, state: &state)
        case .enableGroup:
            for name in try targets(step.group, state) {
                guard let group = try await cloud.serverGroup(named: name) else { throw CloudError(.notFound, "the server group \(name) is gone") }
                let (enabled, done) = try await operations.enable(group, user: run.task.user, parent: run.id)
                try await log(run.id, "Enabled \(name) (task \(done.id))")
                try await waitHealthy(name, count: enabled.desiredCapacity, run, step: step.type, state: &state)
            }
        case .disableGroup:
            for name in try targets(step.group, state) {
                guard let group = try await cloud.serverGroup(named: name) else { throw CloudError(.notFound, "the server group \(name) is gone") }
                guard ClusterTraffic.isEnabled(group) else { continue }
                try await requireOtherServingGroup(than: name, run)
                let (_, done) = try await operations.disable(group, force: true, user: run.task.user, parent: run.id)
                try await log(run.id, "Disabled \(name) (task \(done.id)): " + (done.log.last?.message ?? ""))
            }
        case .deleteGroup:
            for name in try targets(step.group, state) {
                guard let group = try await cloud.serverGroup(named: name) else { continue }
                if ClusterTraffic.isEnabled(group) { try await requireOtherServingGroup(than: name, run) }
                let done = try await operations.delete(name, user: run.task.user, parent: run.id)
                try await log(run.id, "Deleted \(name) (task \(done.id))")
            }
        }
    }

    /// How long a group of the deployment may take to become healthy.
    func startupTimeout(_ run: DeploymentRun) -> Duration {
        run.request.startupTimeoutSeconds.map { .seconds($0) } ?? healthyTimeout
    }

    /// The groups a custom step acts on: the new one, or those that served when it started.
    func targets(_ target: StepTarget, _ state: DeploymentState) throws -> [String] {
        switch target {
        case .new:
            guard let name = state.newGroup else { throw CloudError(.conflict, "the new group does not exist yet") }
            return [name]
        case .previous:
            return state.serving.map { serving in state.previousGroups.filter { serving[$0] != nil } } ?? state.previousGroups.suffix(1)
        }
    }

    /// Refuses to take the traffic off `name` unless another enabled group of the cluster has a
    /// healthy instance to serve it.
    func requireOtherServingGroup(than name: String, _ run: DeploymentRun) async throws {
        for group in try await cloud.serverGroups() where group.names?.cluster == run.request.cluster && group.autoScalingGroupName != name {
            if ClusterTraffic.isEnabled(group), try await operations.readiness(of: group).0 > 0 { return }
        }
        throw CloudError(.conflict, "taking the traffic off \(name) would leave \(run.request.cluster) without a healthy enabled group")
    }

    /// Creates the new group, named before it exists so that a resumed step finds it.
    func createGroup(_ run: DeploymentRun, capacity: DeploymentCapacity, trafficAllowed: Bool, state: inout DeploymentState) async throws {
        let request = run.request
        let cluster = try await cloud.serverGroups().filter { $0.names?.cluster == request.cluster }
        let newest = cluster.last
        if state.newGroup == nil {
            state.newGroup = GroupNaming.nextGroupName(cluster: request.cluster, previousGroup: newest?.autoScalingGroupName)
            try await save(state, of: run.id)
        }
        guard let name = state.newGroup else { return }
        if try await cloud.serverGroup(named: name) != nil {
            try await log(run.id, "Server group \(name) exists already; going on")
            // Copying is idempotent: a crash between the creation and the copy loses nothing.
            if let source = ClusterTraffic.scalingSource(in: cluster, excluding: name) {
                try await operations.copyScaling(from: source.autoScalingGroupName, to: name, user: run.task.user, parent: run.id)
            }
            return
        }
        var group = ClusterOperations.nextGroup(named: name, imageId: request.imageId, capacity: capacity, loadBalancers: request.loadBalancers,
                                                inheritingFrom: newest, now: now())
        if !trafficAllowed { group.suspendedProcesses = [.addToLoadBalancer] }
        let balancers = group.loadBalancerNames
        _ = try await cloud.createServerGroup(group, task: TaskDraft(
            operation: "Create server group \(name)", objectType: .serverGroup, objectId: name, user: run.task.user, region: region,
            status: .succeeded, log: [TaskLogLine(time: now(), message: "Created \(name) from \(request.imageId) for deployment task \(run.id)")], parent: run.id))
        try await log(run.id, "Created \(name) from \(request.imageId): min \(capacity.min), desired \(capacity.desired), max \(capacity.max)"
            + (balancers.isEmpty ? ", no load balancer" : ", behind \(balancers.joined(separator: ", "))") + (trafficAllowed ? "" : ", disabled"))
        if let source = ClusterTraffic.scalingSource(in: cluster, excluding: name) {
            let copied = try await operations.copyScaling(from: source.autoScalingGroupName, to: name, user: run.task.user, parent: run.id)
            if !copied.isEmpty { try await log(run.id, "Copied from \(source.autoScalingGroupName): \(copied.joined(separator: ", "))") }
        }
    }

    /// Waits until `count` instances of `name` are InService and healthy (in its load balancers
    /// too while it takes traffic), taking cancel and rollback requests meanwhile.
    ///
    /// The step's deadline (the startup timeout from when it first waited) is saved, so that a
    /// restart of the server does not start it again; instances that end before they ever serve
    /// (`StartupFailures.failingCount` of them) fail it at once, with their exit status and
    /// console lines.
    func waitHealthy(_ name: String, count: Int, _ run: DeploymentRun, step: DeploymentStep, state: inout DeploymentState) async throws {
        let started = ContinuousClock.now
        guard let group = try await cloud.serverGroup(named: name) else { throw CloudError(.notFound, "the server group \(name) is gone") }
        var (ready, total) = (0, 0)
        let limit = startupTimeout(run)
        let resumed = state.healthyBy != nil
        let deadline: Date
        if let saved = state.healthyBy {
            deadline = saved
        } else {
            deadline = now().addingTimeInterval(Double(limit.components.seconds))
            state.healthyBy = deadline
            try await save(state, of: run.id)
        }
        var failures: StartupFailures?
        let remaining = Duration.milliseconds(Int(saturating: max(0, deadline.timeIntervalSince(now())) * 1000))
        let healthy = try await ClusterOperations.poll(for: remaining, quickly: cloud.quickLooks, between: { try await self.takeSignal(run, during: step) }, until: {
            (ready, total) = try await operations.readiness(of: group)
            if ready >= count { return true }
            if let seen = await cloud.startupFailures(of: name), seen.count >= StartupFailures.failingCount {
                failures = seen
                return true
            }
            return false
        })
        if let failures { throw CloudError(.unavailable, failures.description(of: name)) }
        guard healthy else {
            throw CloudError(.unavailable, "\(name) had \(ready) of \(count) healthy instances (\(total) running) after \(limit)"
                + (resumed ? " (counted from \(Self.clock(deadline.addingTimeInterval(-Double(limit.components.seconds)))), before a restart of the server)" : ""))
        }
        try await log(run.id, "\(name): \(ready) of \(count) instances InService"
            + (group.loadBalancerNames.isEmpty || !ClusterTraffic.isEnabled(group) ? "" : " and healthy in \(group.loadBalancerNames.joined(separator: ", "))")
            + " after \(ClusterOperations.milliseconds(since: started)) ms")
    }

    /// A judgment: the task waits until someone proceeds (it goes on) or asks for a rollback, or
    /// until the step's minutes run out (it rolls back).
    func judgment(_ step: PlannedStep, _ run: DeploymentRun, state: inout DeploymentState) async throws {
        let seconds = step.duration
        let resumed = state.waitUntil != nil
        let until = try await fixEnd(of: &state, after: .seconds(seconds), run)
        try await tasks.updateTask(run.id, status: .waiting, checkpoint: nil, at: now())
        try await log(run.id, "Waiting for a judgment until \(Self.clock(until))\(resumed ? " (again, now that the deployment resumed)" : ""): proceed with "
            + "`asgard deployment proceed \(run.id)` or roll back with `asgard deployment rollback \(run.id)`; no decision rolls back")
        if !resumed {
            await notify("judgmentNeeded", run, newGroup: state.newGroup, message: "\(run.request.cluster) waits for a judgment until \(Self.clock(until)): proceed or roll back")
        }
        if try await awaitDecision(run, until: until, during: "a judgment") { return }
        let span = seconds % 60 == 0 ? "\(seconds / 60) minute\(seconds == 60 ? "" : "s")" : "\(seconds) seconds"
        throw DeploymentInterrupted(order: RollbackOrder(reason: "no judgment within \(span)", outcome: .failed))
    }

    /// Waits for a person's decision until `until`: true once someone proceeds (the task runs
    /// again), false when the time is up; a rollback or a cancel interrupts the deployment.
    func awaitDecision(_ run: DeploymentRun, until: Date, during what: String) async throws -> Bool {
        while now() < until {
            if let (signal, user) = try await pendingSignal(run.id) {
                try await tasks.clearSignal(of: run.id)
                switch signal {
                case .proceed:
                    try await tasks.updateTask(run.id, status: .running, checkpoint: nil, at: now())
                    try await log(run.id, "Judgment: \(user) decided to proceed")
                    return true
                case .rollback:
                    throw DeploymentInterrupted(order: RollbackOrder(reason: "judgment: \(user) decided to roll back", outcome: .rolledBack))
                case .cancel:
                    throw DeploymentInterrupted(order: RollbackOrder(reason: "canceled by \(user) during \(what)", outcome: .canceled))
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// The end of the current wait or judgment, fixed and saved the first time so that a restart
    /// does not extend it.
    func fixEnd(of state: inout DeploymentState, after duration: Duration, _ run: DeploymentRun) async throws -> Date {
        if let until = state.waitUntil { return until }
        let until = now().addingTimeInterval(Double(duration.components.seconds))
        state.waitUntil = until
        try await save(state, of: run.id)
        return until
    }

    static func clock(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle().time(includingFractionalSeconds: false)) + " UTC"
    }

    /// Makes `group` launch from `image`.
    func setImage(of group: ServerGroupRecord, to image: ImageID, _ run: DeploymentRun) async throws {
        var changed = group
        let name = group.autoScalingGroupName
        let old = group.imageId
        changed.imageId = image
        _ = try await cloud.updateServerGroup(changed, task: TaskDraft(
            operation: "Push \(image) to \(name)", objectType: .serverGroup, objectId: name, user: run.task.user, region: region,
            status: .succeeded, log: [TaskLogLine(time: now(), message: "New instances of \(name) launch from \(image) (was \(old)); deployment task \(run.id)")], parent: run.id))
        try await log(run.id, "\(name) now launches from \(image) (was \(old))")
    }

    /// Rolling push: replaces the instances of `name` not on `image`, a few at a time, each
    /// drained first, waiting after each batch until the group is back to full health. `taken`
    /// holds the instances already taken (also across a restart); `record` saves it.
    func relaunch(_ name: String, to image: ImageID, options: RollingOptions, taken: inout Set<InstanceID>, _ run: DeploymentRun,
                  step: DeploymentStep, takesSignals: Bool = true, failsFast: Bool = true,
                  record: (Set<InstanceID>) async throws -> Void, afterBatch: (Int) async throws -> Void = { _ in }) async throws {
        // Batches are numbered across a restart too (a batch taken before it is not watched again).
        var batches = (taken.count + max(options.concurrentRelaunches, 1) - 1) / max(options.concurrentRelaunches, 1)
        let limit = options.relaunchCount ?? Int.max
        let check: () async throws -> Void = { if takesSignals { try await self.takeSignal(run, during: step) } }
        while taken.count < limit {
            try await check()
            guard let group = try await cloud.serverGroup(named: name) else { throw CloudError(.notFound, "the server group \(name) is gone") }
            let batch = DeploymentState.nextToRelaunch(try await cloud.instances(of: name, includeTerminated: false), image: image,
                                                       taken: taken, count: min(options.concurrentRelaunches, limit - taken.count),
                                                       newestFirst: options.newestFirst)
            guard !batch.isEmpty else {
                if taken.isEmpty { try await log(run.id, "Every instance of \(name) runs \(image) already; nothing to replace") }
                break
            }
            taken.formUnion(batch.map(\.instanceId))
            try await record(taken)
            let slot = ContinuousClock.now
            try await log(run.id, "Relaunching \(batch.map(\.instanceId.rawValue).joined(separator: ", ")): draining, ending, replacing from \(image)")
            try await withThrowingTaskGroup(of: Void.self) { ending in
                for instance in batch {
                    ending.addTask {
                        try await self.cloud.terminateInstance(instance, reason: "rolling push to \(image) (deployment task \(run.id))")
                    }
                }
                try await ending.waitForAll()
            }
            let replaced = taken.count
            var failures: StartupFailures?
            let back = try await ClusterOperations.poll(for: startupTimeout(run), quickly: cloud.quickLooks, between: check, until: {
                let instances = try await cloud.instances(of: name, includeTerminated: false)
                let fresh = instances.filter { $0.imageId == image }.count
                if try await operations.readiness(of: group).0 >= group.desiredCapacity && fresh >= min(group.desiredCapacity, replaced) { return true }
                if failsFast, let seen = await cloud.startupFailures(of: name), seen.count >= StartupFailures.failingCount {
                    failures = seen
                    return true
                }
                return false
            })
            if let failures { throw CloudError(.unavailable, failures.description(of: name)) }
            guard back else {
                throw CloudError(.unavailable, "\(name) did not get back to \(group.desiredCapacity) healthy instances within \(startupTimeout(run))")
            }
            if options.afterBootWait > 0 { try await Task.sleep(for: .seconds(options.afterBootWait)) }
            try await log(run.id, "Replaced \(batch.count) instance\(batch.count == 1 ? "" : "s") in \(ClusterOperations.milliseconds(since: slot)) ms; \(group.desiredCapacity) healthy")
            batches += 1
            try await afterBatch(batches)
        }
    }
}
