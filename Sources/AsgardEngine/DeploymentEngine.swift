import AsgardCloud
import AsgardCore
import AsgardStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

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
    private let started: AsyncStream<(TaskID, TaskStart)>
    private let starter: AsyncStream<(TaskID, TaskStart)>.Continuation
    private let events: AsyncStream<(DeploymentEvent, String)>
    private let eventSink: AsyncStream<(DeploymentEvent, String)>.Continuation
    /// The webhook of an application, looked up for each event.
    let applicationWebhook: @Sendable (String) async -> String?
    let faults: DeploymentFaults
    /// The regions whose deployments it runs and resumes (the first is where it records them).
    let regions: Set<String>
    var region: String { operations.region }
    /// On a shared database, the leases that give each task one owner among the consoles: the
    /// engine takes over the tasks of consoles that stopped, every `claimEvery`. Without it
    /// (SQLite, one console) it resumes its unfinished tasks at start.
    let leases: (any TaskLeasing)?
    let claimEvery: Duration
    /// The Prometheus that canary metrics with `"source": "prometheus"` ask; nil when none is
    /// configured (such a metric then has no data, and the canary waits for a person).
    let prometheus: PrometheusQuerier?
    /// The tasks it runs now, to stop one whose lease another console took.
    private let executions = Mutex<[TaskID: Task<Void, Never>]>([:])
    /// On a shared database, when the engine last read each running task's signal and whether a
    /// console said one was sent since (`wake`): it reads a task's row for a decision when woken,
    /// or every `signalRecheck` (a wake-up can be lost), not at every poll.
    private let signalChecks = Mutex<[TaskID: (woken: Bool, readAt: ContinuousClock.Instant)]>([:])
    static let signalRecheck: Duration = .seconds(1)

    /// Creates the engine.
    ///
    /// - Parameters:
    ///   - applicationWebhook: the webhook URL of the application named, if it has one.
    ///   - faults: failures to inject, for the crash tests.
    public init(cloud: any CloudProvider, tasks: any TaskStore, operations: ClusterOperations, healthyTimeout: Duration = .seconds(600),
                applicationWebhook: @escaping @Sendable (String) async -> String? = { _ in nil }, faults: DeploymentFaults = DeploymentFaults(),
                regions: Set<String>? = nil, leases: (any TaskLeasing)? = nil, claimEvery: Duration = .milliseconds(500),
                prometheus: PrometheusQuerier? = nil, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.prometheus = prometheus
        self.leases = leases
        self.claimEvery = claimEvery
        self.cloud = cloud
        self.regions = regions ?? [operations.region]
        self.tasks = tasks
        self.operations = operations
        self.healthyTimeout = healthyTimeout
        self.applicationWebhook = applicationWebhook
        self.faults = faults
        self.logger = logger
        self.now = now
        (started, starter) = AsyncStream.makeStream(of: (TaskID, TaskStart).self)
        (events, eventSink) = AsyncStream.makeStream(of: (DeploymentEvent, String).self)
    }

    /// Queues `event` for the deployment's webhook and its application's, if they have them.
    func notify(_ event: String, _ run: DeploymentRun, newGroup: String?, message: String) async {
        let request = run.request
        let app = Names(parsing: request.cluster)?.app ?? request.cluster
        let urls = Set([request.notification?.webhookUrl, await applicationWebhook(app)].compactMap { $0 })
        let body = DeploymentEvent(event: event, taskId: run.id.rawValue, taskUrl: "/deployment/show/\(run.id).json", cluster: request.cluster,
                                   strategy: request.strategy.rawValue, imageId: request.imageId.rawValue, newGroup: newGroup,
                                   message: message, time: now())
        for url in urls.sorted() { eventSink.yield((body, url)) }
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
    public func start(_ asked: DeploymentRequest, user: String) async throws -> TaskRecord {
        var request = asked
        let problems = request.problems
        guard problems.isEmpty else { throw CloudError(.invalidRequest, ValidationFailure(problems).message) }
        guard let image = try await cloud.image(request.imageId) else {
            throw CloudError(.invalidRequest, "imageId: '\(request.imageId)' is not a registered image; see /\(region)/image/list")
        }
        // People know an image by its application and version: the deployment keeps them.
        request.imageName = image.name.isEmpty ? nil : "\(image.name) \(image.version)"
        let shown = request.imageName.map { "\($0) (\(request.imageId))" } ?? request.imageId.rawValue
        let known = Set(try await cloud.loadBalancers().map(\.loadBalancerName.rawValue))
        for name in request.loadBalancers ?? [] where !known.contains(name) {
            throw CloudError(.invalidRequest, "loadBalancers: '\(name)' is not a load balancer; see /\(region)/loadBalancer/list")
        }
        let groups = try await cloud.serverGroups().filter { $0.names?.cluster == request.cluster }
        let previous = groups.map(\.autoScalingGroupName)
        var state = DeploymentState(previousGroups: previous)
        state.serving = Dictionary(uniqueKeysWithValues: groups.filter(ClusterTraffic.isEnabled).map {
            ($0.autoScalingGroupName, DeploymentCapacity(min: $0.minSize, desired: $0.desiredCapacity, max: $0.maxSize))
        })
        if request.strategy == .canary {
            guard cloud.capabilities.contains(.weightsTraffic) else {
                throw CloudError(.invalidRequest, "strategy: a canary needs load balancers that split traffic by weight; the load balancers of region \(region) do not (yet), so deploy with redBlack or custom with judgments")
            }
            guard state.serving?.isEmpty == false else {
                throw CloudError(.invalidRequest, "cluster: \(request.cluster) has no enabled server group to compare a canary with; deploy with redBlack first")
            }
            let balancers = request.loadBalancers ?? groups.last(where: ClusterTraffic.isEnabled)?.loadBalancerNames ?? []
            guard !balancers.isEmpty else {
                throw CloudError(.invalidRequest, "loadBalancers: a canary needs a load balancer to share the traffic; give loadBalancers or put the cluster behind one")
            }
            for name in balancers {
                if let balancer = try await cloud.loadBalancer(named: LoadBalancerName(rawValue: name)), !balancer.type.weighsTraffic {
                    throw CloudError(.invalidRequest, "loadBalancers: \(name) is a \(balancer.type.rawValue) load balancer, which cannot split traffic by weight; put the cluster behind an application load balancer (asgard lb create NAME --type application) or deploy with redBlack")
                }
            }
        }
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
        let steps = request.plan.map { $0.summary(desired: request.capacity.desired) }
        let task = try await tasks.createExclusiveTask(TaskDraft(
            operation: "Deploy \(shown) to \(request.cluster) (\(request.strategy.rawValue))", objectType: .cluster,
            objectId: request.cluster, user: user, region: region, status: .running,
            log: [TaskLogLine(time: now(), message: "Deploying \(shown) to \(request.cluster) with \(request.strategy.rawValue): "
                + steps.joined(separator: ", ")
                + (previous.isEmpty ? "; the cluster has no server group yet" : "; previous groups: \(previous.joined(separator: ", "))"))],
            input: String(decoding: try Self.encoder.encode(request), as: UTF8.self)),
            checkpoint: String(decoding: try Self.encoder.encode(state), as: UTF8.self))
        startTask(task.id)
        await notify("started", DeploymentRun(task: task, request: request), newGroup: state.newGroup, message: task.log.first?.message ?? "")
        return task
    }

    /// Hands a recorded task to the engine.
    func startTask(_ id: TaskID) {
        starter.yield((id, .new))
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
        guard !groups.isEmpty else { throw CloudError(.notFound, "Cluster '\(cluster)' not found; see /\(region)/cluster/list") }
        guard let serving = groups.last(where: ClusterTraffic.isEnabled) else {
            throw CloudError(.invalidRequest, "name: no server group of \(cluster) takes traffic; enable one with /\(region)/cluster/activate")
        }
        guard let (current, previous) = ClusterTraffic.rollbackTarget(in: groups) else {
            throw CloudError(.invalidRequest, "name: \(cluster) has no disabled server group older than \(serving.autoScalingGroupName) to go back to")
        }
        let task = try await tasks.createExclusiveTask(TaskDraft(
            operation: "Roll back \(cluster) to \(previous.autoScalingGroupName)", objectType: .cluster, objectId: cluster, user: user,
            region: region, status: .running,
            log: [TaskLogLine(time: now(), message: "Rolling back \(cluster): enabling \(previous.autoScalingGroupName), then disabling \(current.autoScalingGroupName)")]),
            checkpoint: nil)
        do {
            let started = ContinuousClock.now
            let (enabled, enabling) = try await operations.enable(previous, user: user)
            try await log(task.id, "Enabled \(previous.autoScalingGroupName) (task \(enabling.id))")
            // All of it healthy, or at the deadline at least one instance.
            var ready = 0
            let all = try await ClusterOperations.poll(for: healthyTimeout, quickly: cloud.quickLooks, until: {
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

    /// Asks a running deployment to stop: at its next safe point (between steps, or while it
    /// waits) it rolls back — the previous group serves again, the new one is kept disabled — and
    /// ends as canceled. The cluster stays locked until the rollback is done.
    ///
    /// - Throws: `CloudError.notFound`, or `.conflict` for a task that ended or is not a deployment.
    public func cancel(_ id: TaskID, user: String) async throws -> TaskRecord {
        try await signal(.cancel, to: id, user: user, note: "Cancel requested by \(user); rolling back at the next safe point")
    }

    /// Answers a deployment's judgment: `proceed` goes on with the next step; `rollback` (also
    /// accepted at any other time) rolls the deployment back and ends it as failed.
    ///
    /// - Throws: `CloudError.notFound`; `.conflict` for a task that ended, that is not a
    ///   deployment, or (for `proceed`) that does not wait for a judgment.
    public func decide(_ signal: TaskSignal, _ id: TaskID, user: String) async throws -> TaskRecord {
        switch signal {
        case .proceed:
            guard let task = try await tasks.task(id), task.status == .waiting else {
                _ = try await deploymentTask(id)
                throw CloudError(.conflict, "Task \(id) is not waiting for a judgment; proceed only answers a judgment step")
            }
            return try await self.signal(.proceed, to: id, user: user, note: "Proceed requested by \(user)")
        case .rollback:
            if try await deploymentTask(id).input.flatMap(GroupResizeOrder.decode) != nil {
                throw CloudError(.conflict, "Task \(id) is a resize, which has nothing to roll back to; cancel it instead")
            }
            return try await self.signal(.rollback, to: id, user: user, note: "\(user) asked to roll back")
        case .cancel:
            return try await cancel(id, user: user)
        }
    }

    /// A running deployment's task.
    private func deploymentTask(_ id: TaskID) async throws -> TaskRecord {
        guard let task = try await tasks.task(id) else { throw CloudError(.notFound, "Task \(id) not found; see /task/list") }
        guard !task.status.isFinished else { throw CloudError(.conflict, "Task \(id) has already \(task.status.rawValue); it takes no more requests") }
        guard task.objectType == .cluster, task.input != nil else {
            throw CloudError(.conflict, "Task \(id) (\(task.operation)) is not a deployment; only deployments take cancel, proceed and rollback")
        }
        return task
    }

    private func signal(_ signal: TaskSignal, to id: TaskID, user: String, note: String) async throws -> TaskRecord {
        let task = try await deploymentTask(id)
        do {
            try await tasks.sendSignal(signal, to: id, by: user, at: now())
        } catch let error as StoreError where error.code == .conflict {
            throw CloudError(.conflict, error.message)
        }
        try await log(id, note)
        return try await tasks.task(id) ?? task
    }

    /// Of `candidates` (tasks found running or waiting with no console working on them): the
    /// deployments and resizes (which have an input), to resume; others (a cluster rollback, a
    /// change made within a request) are marked failed, so that they do not hold their cluster's
    /// lock nor claim to run.
    func resumable(_ candidates: [TaskRecord], why: String) async throws -> [TaskID] {
        var resumable: [TaskID] = []
        for task in candidates {
            if task.objectType == .cluster, task.input != nil {
                resumable.append(task.id)
            } else {
                try await log(task.id, "Interrupted by \(why); run it again")
                try await tasks.updateTask(task.id, status: .failed, checkpoint: nil, at: now())
                await leases?.releaseTask(task.id)
            }
        }
        return resumable
    }

    /// The tasks that were running when the server stopped, to resume (see `resumable`).
    func unfinished() async throws -> [TaskID] {
        var candidates: [TaskRecord] = []
        for status in [TaskStatus.running, .waiting] {
            let page = try await tasks.tasks(TaskQuery(status: status, limit: 1000))
            // Tasks recorded before regions were (nil) belong to the local cloud's engine.
            candidates += page.tasks.filter { regions.contains($0.region ?? "local") }
        }
        return try await resumable(candidates, why: "a restart of the server")
    }

    /// Takes over, every `claimEvery`, the tasks of consoles that stopped renewing their leases.
    func claimOrphans(_ leases: any TaskLeasing) async {
        var failing = false
        while !Task.isCancelled {
            var claimed: [TaskID] = []
            do {
                claimed = try await leases.claimOrphanedTasks(in: regions, limit: 50)
                if !claimed.isEmpty { try await takeOver(claimed, leases) }
                failing = false
            } catch where Task.isCancelled {
                return
            } catch {
                // Said once, not every look, while the database is away.
                if !failing { logger.warning("Cannot look for or take over the tasks of a console that stopped", metadata: ["error": "\(error)"]) }
                failing = true
                // Left for the next look (here or on another console) rather than held unrun.
                for id in claimed where executions.withLock({ $0[id] == nil }) { await leases.releaseTask(id) }
            }
            try? await Task.sleep(for: claimEvery)
        }
    }

    /// Goes on with the tasks `claimed`: resumes deployments and resizes, ends the others.
    func takeOver(_ claimed: [TaskID], _ leases: any TaskLeasing) async throws {
        var candidates: [TaskRecord] = []
        for id in claimed {
            // Already running here (its lease row was lost meanwhile): it goes on, now leased again.
            if executions.withLock({ $0[id] != nil }) { continue }
            guard let task = try await tasks.task(id), !task.status.isFinished else {
                await leases.releaseTask(id)
                continue
            }
            logger.notice("Taking over a task whose console stopped", metadata: ["task": "\(id)"])
            candidates.append(task)
        }
        for id in try await resumable(candidates, why: "the stop of the console that ran it") { starter.yield((id, .takenOver)) }
    }

    /// Says a decision was sent to task `id` (from any console): its run here reads it at once.
    /// Without `id`, every running task reads its row again (after a lost wake-up channel).
    public func wake(_ id: TaskID? = nil) {
        signalChecks.withLock { checks in
            if let id {
                checks[id] = (true, checks[id]?.readAt ?? .now)
            } else {
                for key in checks.keys { checks[key]?.woken = true }
            }
        }
    }

    /// Stops running tasks `ids` at once: another console took their leases (this one was
    /// paused or cut off past their expiry), and their writes from here are refused anyway.
    public func leaseLost(_ ids: [TaskID]) {
        for id in ids {
            guard let execution = executions.withLock({ $0[id] }) else { continue }
            logger.warning("Another console took this task over; stopping it here", metadata: ["task": "\(id)"])
            execution.cancel()
        }
    }

    /// Runs task `id`, where `leaseLost` can stop it, then gives its lease up.
    func runTracked(_ id: TaskID, _ start: TaskStart) async {
        if executions.withLock({ $0[id] != nil }) { return }
        let execution = Task { await self.execute(id, start: start) }
        executions.withLock { $0[id] = execution }
        await withTaskCancellationHandler { await execution.value } onCancel: { execution.cancel() }
        executions.withLock { $0[id] = nil }
        signalChecks.withLock { $0[id] = nil }
        await leases?.releaseTask(id)
    }

    public func run() async throws {
        let resumed = leases == nil ? (try? await unfinished()) ?? [] : []
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
            if let leases { group.addTask { await self.claimOrphans(leases) } }
            for id in resumed {
                logger.info("Resuming deployment", metadata: ["task": "\(id)"])
                group.addTask { await self.runTracked(id, .resumed) }
            }
            for await (id, start) in started.cancelOnGracefulShutdown() {
                group.addTask { await self.runTracked(id, start) }
            }
            eventSink.finish()
            group.cancelAll()
        }
    }

    /// Throws `leaseLost` unless this console still owns task `id` (always true without leases):
    /// checked before each step, so that a console that lost a task does not act on the cloud.
    /// While the database is away it waits, as the task's other writes do.
    func confirmOwnership(of id: TaskID) async throws {
        guard let leases else { return }
        while true {
            do {
                if try await leases.holdsTask(id) { return }
                throw StoreError(.leaseLost, "Another console took task \(id) over; this one stops running it")
            } catch let error as StoreError where error.code == .databaseUnavailable {
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Runs a deployment from its checkpoint to its end, unless the server stops first. A failed
    /// step, a cancel, a rollback request or a judgment's timeout roll it back.
    func execute(_ id: TaskID, start: TaskStart = .new) async {
        let resumed = start != .new

        if let task = try? await tasks.task(id), let order = task.input.flatMap(GroupResizeOrder.decode) {
            if resumed { await noteResuming(id, start.resuming, start) }
            return await executeResize(task, order)
        }
        guard let task = try? await tasks.task(id) else { return }
        // A stored deployment that cannot be read, or that breaks today's rules (written by an
        // older version, or by hand), is ended and said so: it must neither trap the engine nor
        // hold its cluster's lock for ever.
        guard let input = task.input, let checkpoint = task.checkpoint,
              let request = try? Self.decoder.decode(DeploymentRequest.self, from: Data(input.utf8)),
              var state = try? Self.decoder.decode(DeploymentState.self, from: Data(checkpoint.utf8)) else {
            logger.error("A stored deployment cannot be read; ending it", metadata: ["task": "\(id)"])
            try? await log(id, "Ended: its stored request or checkpoint cannot be read; nothing more was done, so check the cluster")
            try? await tasks.updateTask(id, status: .failed, checkpoint: nil, at: now())
            return
        }
        if resumed, case let problems = request.problems, !problems.isEmpty {
            let why = ValidationFailure(problems).message
            logger.error("A stored deployment breaks the rules; ending it", metadata: ["task": "\(id)", "problems": "\(why)"])
            try? await log(id, "Ended: its stored request breaks the rules (\(why)); nothing more was done, so check the cluster")
            try? await tasks.updateTask(id, status: .failed, checkpoint: nil, at: now())
            return
        }
        let plan = request.plan
        if resumed {
            let next = state.rollback.map { _ in "its rollback" }
                ?? (state.step < plan.count ? "step \(state.step + 1) of \(plan.count) (\(plan[state.step].type.rawValue))" : "its end")
            await noteResuming(id, "\(start.resuming) at \(next)", start)
        }
        let run = DeploymentRun(task: task, request: request)
        var interruption: DeploymentInterrupted?
        if state.rollback == nil {
            do {
                while state.step < plan.count {
                    if Task.isCancelled { return }
                    try await takeSignal(run, during: plan[state.step].type)
                    try await confirmOwnership(of: id)
                    try await perform(plan[state.step], run, state: &state)
                    if Task.isCancelled { return }
                    state.finished[state.step] = now()
                    state.step += 1
                    state.waitUntil = nil
                    state.healthyBy = nil
                    try await save(state, of: id)
                    faults.afterStep(state.step)
                }
                try await log(id, "Deployment finished: \(state.newGroup ?? "?") serves \(request.cluster)")
                try await tasks.updateTask(id, status: .succeeded, checkpoint: nil, at: now())
                DeploymentMetrics.finished(run, outcome: .succeeded, at: now())
                try? await tasks.clearSignal(of: id)
                await notify("succeeded", run, newGroup: state.newGroup, message: "\(state.newGroup ?? "?") serves \(request.cluster)")
                return
            } catch let interrupted as DeploymentInterrupted {
                state.rollback = interrupted.order
                interruption = interrupted
            } catch let error as StoreError where error.code == .leaseLost {
                // Another console runs it now: nothing more here, not even a rollback.
                logger.warning("Stopped a deployment another console took over", metadata: ["task": "\(id)"])
                return
            } catch is CancellationError {
                return
            } catch where Task.isCancelled {
                // The server is stopping: the deployment goes on from its checkpoint at the next start.
                return
            } catch {
                logger.warning("Deployment step failed", metadata: ["task": "\(id)", "error": "\(error)"])
                let step = state.step < plan.count ? plan[state.step].type.rawValue : "the end"
                state.rollback = RollbackOrder(reason: "\(step) failed: \(error)", outcome: .failed)
            }
        }
        guard let order = state.rollback else { return }
        let verdictTime = interruption?.verdictTime
        do {
            try await save(state, of: id)
            try? await tasks.clearSignal(of: id)
            try await log(id, "Rolling back (\(order.reason))")
            try await confirmOwnership(of: id)
            let done = try await rollBack(run, state: state, since: verdictTime)
            try await log(id, "Rolled back: \(done)")
            try await tasks.updateTask(id, status: order.outcome, checkpoint: nil, at: now())
            DeploymentMetrics.finished(run, outcome: order.outcome, at: now())
            await notify("rolledBack", run, newGroup: state.newGroup, message: order.outcome == .rolledBack ? "\(order.reason); rolled back: \(done)" : done)
            if order.outcome != .rolledBack {
                await notify(order.outcome == .canceled ? "canceled" : "failed", run, newGroup: state.newGroup, message: "\(order.reason); rolled back: \(done)")
            }
        } catch where Task.isCancelled {
            return
        } catch let error as StoreError where error.code == .leaseLost {
            return
        } catch {
            logger.warning("Rollback failed", metadata: ["task": "\(id)", "error": "\(error)"])
            try? await log(id, "Rollback failed: \(error); the cluster is left as it is, check it and fix it by hand")
            try? await tasks.updateTask(id, status: .failed, checkpoint: nil, at: now())
            DeploymentMetrics.finished(run, outcome: .failed, at: now())
            await notify("failed", run, newGroup: state.newGroup, message: "\(order.reason); the rollback failed too: \(error)")
        }
    }

    /// Logs that task `id` goes on; when it was taken over, reads the cloud again first (the
    /// console that ran it may have changed it after this one last read it).
    func noteResuming(_ id: TaskID, _ line: String, _ start: TaskStart) async {
        try? await log(id, line)
        guard start == .takenOver else { return }
        do {
            try await cloud.refreshCache()
        } catch {
            logger.warning("Cannot read the cloud again before going on with a task taken over; going on with what this console knows",
                           metadata: ["task": "\(id)", "error": "\(error)"])
        }
    }

    /// Takes a cancel or rollback request sent to the deployment, as a `DeploymentInterrupted`;
    /// a `proceed` outside a judgment (or a canary's pause) is dropped.
    func takeSignal(_ run: DeploymentRun, during step: DeploymentStep) async throws {
        guard let (signal, user) = try await pendingSignal(run.task.id) else { return }
        // A proceed sent as a resumed judgment is about to wait again is that judgment's answer.
        if signal == .proceed, step == .judgment || step == .pause { return }
        try await tasks.clearSignal(of: run.task.id)
        switch signal {
        case .cancel: throw DeploymentInterrupted(order: RollbackOrder(reason: "canceled by \(user) during \(step.rawValue)", outcome: .canceled))
        case .rollback: throw DeploymentInterrupted(order: RollbackOrder(reason: "\(user) asked for a rollback during \(step.rawValue)", outcome: .rolledBack))
        case .proceed: try await log(run.task.id, "\(user)'s proceed came outside a judgment; nothing to do")
        }
    }

    func pendingSignal(_ id: TaskID) async throws -> (TaskSignal, String)? {
        if leases != nil {
            let now = ContinuousClock.now
            let due = signalChecks.withLock { checks in
                guard let check = checks[id], !check.woken, now - check.readAt < Self.signalRecheck else {
                    checks[id] = (false, now)
                    return true
                }
                return false
            }
            if !due { return nil }
        }
        guard let task = try await tasks.task(id), let signal = task.signal else { return nil }
        return (signal, task.signalBy ?? "someone")
    }

    func save(_ state: DeploymentState, of id: TaskID) async throws {
        try await tasks.saveCheckpoint(id, String(decoding: try Self.encoder.encode(state), as: UTF8.self), at: now())
    }

    func log(_ id: TaskID, _ message: String) async throws {
        try await tasks.appendLog(to: id, TaskLogLine(time: now(), message: message))
    }
}

/// How a task came to the engine.
enum TaskStart: Sendable, Hashable {
    /// Someone just asked for it.
    case new
    /// It was running when this console last stopped.
    case resumed
    /// Its console stopped renewing its lease and this one took it over.
    case takenOver

    /// The log's line on going on with it.
    var resuming: String {
        switch self {
        case .new: "Starting"
        case .resumed: "Resuming after a restart of the server"
        case .takenOver: "Taken over from a console that stopped; resuming"
        }
    }
}

/// The deployment an engine runs: its task and request.
struct DeploymentRun: Sendable {
    let task: TaskRecord
    let request: DeploymentRequest

    var id: TaskID { task.id }
}

/// A deployment stopped by a person, a judgment's timeout or a canary's verdict, to roll back.
struct DeploymentInterrupted: Error {
    let order: RollbackOrder
    /// When a canary's failing verdict came, to measure how fast its traffic went.
    var verdictTime: ContinuousClock.Instant?
}
