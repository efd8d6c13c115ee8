import AsgardCore
import AsgardStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps every local server group at its desired capacity: the thin driver around
/// `ServerGroupPlanner`. It observes each instance (process alive? port answering?), plans, and
/// carries the actions out; it re-adopts instances still running after a restart of the server
/// and ends stray processes of its own. On a graceful stop it stops the instances, unless the
/// data plane is to be kept.
public final class LocalReconciler: Service, Sendable {
    public typealias Store = ServerGroupStore & ImageStore & LoadBalancerStore & ScalingStore

    let store: any Store
    let supervisor = ProcessSupervisor()
    /// The absolute data directory; instances live under `instances/` in it.
    let dataDir: String
    let interval: Duration
    let terminationGrace: Duration
    let keepDataPlane: Bool
    let logger: Logger
    let now: @Sendable () -> Date
    /// Wakes the loop for a pass as soon as possible.
    private let pokes = Wakeup()
    /// Per group, how long to hold off launching after instances died before serving.
    private let backoffs = Mutex<[String: LaunchBackoff]>([:])
    /// Groups with invalid stored sizes, reported once each.
    private let invalidReported = Mutex<Set<String>>([])
    /// Per group, the instances whose process ended before they ever served, since one last did.
    private let startupFailures = Mutex<[String: StartupFailures]>([:])
    /// One pass at a time: a poke during a pass runs another right after it.
    private let passLock = AsyncLock()
    /// The load balancers' processes.
    public let loadBalancers: LoadBalancerFleet

    /// Creates the driver.
    public init(store: any Store, dataDir: String, interval: Duration = .seconds(1), terminationGrace: Duration = .seconds(10),
                keepDataPlane: Bool = false, proxyExecutable: String = LoadBalancerFleet.defaultProxyExecutable, logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.dataDir = URL(fileURLWithPath: dataDir).standardizedFileURL.path
        var fleetLogger = logger
        fleetLogger[metadataKey: "component"] = "load-balancers"
        self.loadBalancers = LoadBalancerFleet(store: store, supervisor: supervisor, dataDir: self.dataDir,
                                               proxyExecutable: proxyExecutable, logger: fleetLogger)
        self.interval = interval
        self.terminationGrace = terminationGrace
        self.keepDataPlane = keepDataPlane
        self.logger = logger
        self.now = now
    }

    /// Asks for a pass as soon as possible, after a change to a group.
    public func poke() {
        pokes.signal()
    }

    public func run() async throws {
        await endStrays()
        await withGracefulShutdownHandler {
            // Ports seen open while their instance was still Pending after the next pass: not
            // watched again, or a pass that cannot mark them InService would run back to back.
            var seenOpen: Set<Int> = []
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let pending = Set(await reconcileAll())
                seenOpen.formIntersection(pending)
                let watched = pending.subtracting(seenOpen)
                // While instances start, look again as soon as one's port answers: it counts as
                // InService (and joins its load balancers) then, not a whole interval later.
                let deadline = ContinuousClock.now + interval
                while ContinuousClock.now < deadline, !Task.isShuttingDownGracefully, !Task.isCancelled {
                    let wait = watched.isEmpty ? deadline - ContinuousClock.now : LocalReconciler.startingLook
                    if await pokes.wait(upTo: wait) { break }
                    let opened = watched.filter(PortProbe.isOpen)
                    if !opened.isEmpty {
                        seenOpen.formUnion(opened)
                        break
                    }
                }
            }
        } onGracefulShutdown: { [pokes] in pokes.signal() }
        if !keepDataPlane {
            await stopAll()
            await loadBalancers.stopAll(grace: terminationGrace)
        }
    }

    /// How often the ports of starting instances are tried between passes.
    static let startingLook = Duration.milliseconds(5)

    /// One pass over every group; answers the ports of the instances still Pending.
    @discardableResult
    public func reconcileAll() async -> [Int] {
        await passLock.run {
            do {
                let groups = try await store.serverGroups()
                for group in groups {
                    // A group stored with sizes out of range (by an older version, or by hand) is
                    // left alone and reported, rather than launched thousands of processes for.
                    let problems = group.sizeProblems(limit: InputLimits.localGroupSize)
                    guard problems.isEmpty else {
                        if invalidReported.withLock({ $0.insert(group.autoScalingGroupName).inserted }) {
                            logger.error("Skipping a server group with invalid sizes; resize or delete it",
                                         metadata: ["group": "\(group.autoScalingGroupName)", "problems": "\(ValidationFailure(problems).message)"])
                        }
                        continue
                    }
                    try await reconcile(group)
                }
                try await endOrphans(of: Set(groups.map(\.autoScalingGroupName)))
                let routing = try await routingGroups(groups)
                await loadBalancers.reconcile(groups: routing)
                return routing.flatMap { $0.1.filter { $0.lifecycleState == .pending }.map(\.port) }
            } catch {
                logger.error("Reconcile pass failed", metadata: ["error": "\(error)"])
                return []
            }
        }
    }

    private func reconcile(_ group: ServerGroupRecord) async throws {
        let records = try await store.instances(of: group.autoScalingGroupName, includeTerminated: false)
        // Finish terminations a crash interrupted.
        for record in records where record.lifecycleState == .terminating {
            try await finishTermination(record, reason: record.statusReason ?? "terminated")
        }
        let observations = records.filter { $0.lifecycleState != .terminating }.map { record in
            let handle = handle(of: record)
            let alive = handle.map(supervisor.isRunning) ?? false
            return InstanceObservation(record: record, processAlive: alive, portOpen: alive && PortProbe.isOpen(record.port),
                                       loadBalancerProblem: loadBalancers.healthProblem(of: record.instanceId, in: group),
                                       exit: alive ? nil : handle.flatMap(supervisor.exitDescription))
        }
        let actions = ServerGroupPlanner.plan(group, instances: observations, now: now())
        guard !actions.isEmpty else { return }
        let byId = Dictionary(uniqueKeysWithValues: records.map { ($0.instanceId, $0) })
        var terminations: [(InstanceRecord, String)] = []
        for action in actions {
            switch action {
            case .markInService(let id):
                guard var record = byId[id] else { continue }
                record.lifecycleState = .inService
                try await store.saveInstance(record)
                backoffs.withLock { $0[group.autoScalingGroupName, default: LaunchBackoff()].recordSuccess() }
                startupFailures.withLock { _ = $0.removeValue(forKey: group.autoScalingGroupName) }
                logger.info("Instance in service", metadata: ["instance": "\(id)", "group": "\(group.autoScalingGroupName)"])
            case .markUnhealthy(let id, let reason):
                guard var record = byId[id] else { continue }
                let time = now()
                if LaunchBackoff.isEarly(launchTime: record.launchTime, diedAt: time, wasInService: record.lifecycleState == .inService) {
                    backoffs.withLock { $0[group.autoScalingGroupName, default: LaunchBackoff()].recordEarlyFailure(at: time) }
                }
                if record.lifecycleState == .pending {
                    // Its process ended before it ever served: what a deployment fails fast on.
                    let console = consoleOutput(id).split(separator: "\n", omittingEmptySubsequences: true).suffix(5).joined(separator: "\n")
                    startupFailures.withLock { failures in
                        let count = (failures[group.autoScalingGroupName]?.count ?? 0) + 1
                        failures[group.autoScalingGroupName] = StartupFailures(count: count, instanceId: id, reason: reason,
                                                                               consoleTail: InputLimits.echoed(console))
                    }
                }
                record.healthStatus = .unhealthy
                record.statusReason = reason
                try await store.saveInstance(record)
            case .terminate(let id, let reason):
                guard let record = byId[id] else { continue }
                terminations.append((record, reason))
            case .launch(let count, let reason):
                let time = now()
                let backoff = backoffs.withLock { $0[group.autoScalingGroupName] ?? LaunchBackoff() }
                guard backoff.allowsLaunch(at: time) else {
                    logger.debug("Holding off launches", metadata: ["group": "\(group.autoScalingGroupName)", "failures": "\(backoff.failures)"])
                    continue
                }
                for _ in 0..<count { try await launch(in: group, reason: reason) }
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for (record, reason) in terminations {
                tasks.addTask { try await self.terminate(record, reason: reason) }
            }
            try await tasks.waitForAll()
        }
    }

    /// Ends the instances of groups that no longer exist: one launched while its group was being
    /// deleted would otherwise run on, out of every group's reach.
    private func endOrphans(of known: Set<String>) async throws {
        for record in try await store.instances(of: nil, includeTerminated: false) where !known.contains(record.autoScalingGroupName) {
            logger.warning("Ending an instance of a deleted group", metadata: ["instance": "\(record.instanceId)", "group": "\(record.autoScalingGroupName)"])
            try await finishTermination(record, reason: "its server group \(record.autoScalingGroupName) was deleted")
        }
    }

    private func launch(in group: ServerGroupRecord, reason: String) async throws {
        let id = InstanceID.random()
        let port = try PortProbe.freePort()
        let directory = instanceDirectory(id)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var record = InstanceRecord(instanceId: id, autoScalingGroupName: group.autoScalingGroupName, imageId: group.imageId,
                                    lifecycleState: .pending, healthStatus: .healthy, launchTime: now(), port: port,
                                    pid: nil, startTicks: nil, statusReason: reason)
        guard let image = try await store.image(group.imageId) else {
            record.lifecycleState = .terminated
            record.healthStatus = .unhealthy
            record.statusReason = "image \(group.imageId) no longer exists"
            try await store.saveInstance(record)
            return
        }
        do {
            let handle = try supervisor.launch(spec(for: record, image: image, directory: directory))
            record.pid = handle.pid
            record.startTicks = handle.startTicks
            try await store.saveInstance(record)
            logger.info("Launched instance", metadata: ["instance": "\(id)", "group": "\(group.autoScalingGroupName)", "pid": "\(handle.pid)"])
            await recordActivity(group.autoScalingGroupName, "Launching a new instance: \(id)", because: reason)
        } catch {
            record.lifecycleState = .terminated
            record.healthStatus = .unhealthy
            record.statusReason = "the launch failed: \(error)"
            try await store.saveInstance(record)
            let time = now()
            backoffs.withLock { $0[group.autoScalingGroupName, default: LaunchBackoff()].recordEarlyFailure(at: time) }
        }
    }

    /// The process environment of an instance: a few of the server's own variables, the image's,
    /// then what the cloud sets (which wins).
    func spec(for record: InstanceRecord, image: ImageRecord, directory: String) -> LaunchSpec {
        let inherited = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG", "TZ", "TMPDIR", "USER"].contains($0.key) }
        var environment = inherited.merging(image.env) { _, image in image }
        environment.merge(GroupNaming.environmentVariables(forGroup: record.autoScalingGroupName) ?? [:]) { _, cloud in cloud }
        environment["PORT"] = String(record.port)
        environment["ASGARD_INSTANCE_ID"] = record.instanceId.rawValue
        environment[LocalReconciler.marker] = dataDir
        return LaunchSpec(command: image.command, environment: environment, workingDirectory: image.workingDirectory ?? directory,
                          logPath: consoleLogPath(record.instanceId))
    }

    /// The environment variable that marks a process as ours: the data directory it belongs to.
    static let marker = "ASGARD_LOCAL_CLOUD"

    /// Ends an instance now, for terminate requests; the group then replaces it unless shrunk.
    /// Its load balancers stop sending it requests first and let those in flight finish.
    public func terminate(_ record: InstanceRecord, reason: String) async throws {
        var ending = record
        ending.lifecycleState = .terminating
        ending.statusReason = reason
        try await store.saveInstance(ending)
        if let group = try await store.serverGroup(named: record.autoScalingGroupName), !group.loadBalancerNames.isEmpty {
            await loadBalancers.drain([record.instanceId], of: group, routingGroups: try await routingGroups(try await store.serverGroups()))
        }
        try await finishTermination(ending, reason: reason)
        poke()
    }

    /// Pushes the routing the store holds now to `group`'s load balancers and waits until its
    /// instances that left it have finished their requests (after a group was disabled).
    public func drainLoadBalancers(of group: ServerGroupRecord) async throws {
        let instances = Set(try await store.instances(of: group.autoScalingGroupName, includeTerminated: false).map(\.instanceId))
        await loadBalancers.drain(instances, of: group, routingGroups: try await routingGroups(try await store.serverGroups()))
    }

    /// Every group with its live instances, for the load balancers' routing.
    func routingGroups(_ groups: [ServerGroupRecord]) async throws -> [(ServerGroupRecord, [InstanceRecord])] {
        let instances = Dictionary(grouping: try await store.instances(of: nil, includeTerminated: false), by: \.autoScalingGroupName)
        return groups.map { ($0, instances[$0.autoScalingGroupName] ?? []) }
    }

    private func finishTermination(_ record: InstanceRecord, reason: String) async throws {
        if let handle = handle(of: record) {
            await supervisor.terminate(handle, grace: terminationGrace)
        }
        var ended = record
        ended.lifecycleState = .terminated
        ended.statusReason = reason
        try await store.saveInstance(ended)
        logger.info("Terminated instance", metadata: ["instance": "\(record.instanceId)", "reason": "\(reason)"])
        await recordActivity(record.autoScalingGroupName, "Terminating instance: \(record.instanceId)", because: reason)
    }

    /// Adds a launch or termination to the group's history, its cause in words with the change of
    /// capacity that led to it (when one came in the last minute).
    private func recordActivity(_ group: String, _ description: String, because reason: String) async {
        let time = now()
        var cause = "At \(time.formatted(.iso8601)) \(reason)"
        if let change = try? await store.activities(of: group, limit: 5).first(where: { $0.description.hasPrefix("Changing the desired capacity") }),
           time.timeIntervalSince(change.startTime) < 60, reason.contains("launching") || reason.contains("shrinking") || reason.contains("needs") {
            cause += "; \(change.cause)"
        }
        try? await store.recordActivity(ScalingActivity(autoScalingGroupName: group, description: description, cause: cause, startTime: time, endTime: time))
    }

    /// Stops the process of an instance and starts it again with the same id and port.
    public func reboot(_ record: InstanceRecord) async throws {
        if let handle = handle(of: record) { await supervisor.terminate(handle, grace: terminationGrace) }
        guard let image = try await store.image(record.imageId) else { return }
        var rebooted = record
        let started = try supervisor.launch(spec(for: record, image: image, directory: instanceDirectory(record.instanceId)))
        rebooted.pid = started.pid
        rebooted.startTicks = started.startTicks
        rebooted.lifecycleState = .pending
        rebooted.healthStatus = .healthy
        rebooted.statusReason = "rebooted"
        try await store.saveInstance(rebooted)
        poke()
    }

    /// The last 64 KiB of an instance's console.
    public func consoleOutput(_ id: InstanceID) -> String {
        supervisor.consoleOutput(consoleLogPath(id))
    }

    /// Stops every instance, as a graceful stop of the server does.
    public func stopAll() async {
        guard let records = try? await store.instances(of: nil, includeTerminated: false) else { return }
        await withTaskGroup(of: Void.self) { tasks in
            for record in records {
                tasks.addTask {
                    if let handle = self.handle(of: record) { await self.supervisor.terminate(handle, grace: self.terminationGrace) }
                }
            }
        }
    }

    /// Ends processes that carry our marker but belong to no live instance record, such as one
    /// started just before a crash and never recorded.
    func endStrays() async {
        guard let records = try? await store.instances(of: nil, includeTerminated: false) else { return }
        let known = Set(records.compactMap(handle(of:)) + (await loadBalancers.knownHandles()))
        let needle = "\(LocalReconciler.marker)=\(dataDir)\0"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        for entry in entries {
            guard let pid = Int32(entry), pid != getpid(),
                  let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                  String(decoding: environ, as: UTF8.self).contains(needle),
                  let ticks = ProcessSupervisor.startTicks(of: pid) else { continue }
            let handle = ProcessHandle(pid: pid, startTicks: ticks)
            if !known.contains(handle) {
                logger.warning("Ending a stray process of the local cloud", metadata: ["pid": "\(pid)"])
                await supervisor.terminate(handle, grace: terminationGrace)
            }
        }
    }

    /// The instances of `group` whose process ended before they ever served, since the last
    /// one of the group came into service; nil when none did.
    public func startupFailures(of group: String) -> StartupFailures? {
        startupFailures.withLock { $0[group] }
    }

    func handle(of record: InstanceRecord) -> ProcessHandle? {
        guard let pid = record.pid, let ticks = record.startTicks else { return nil }
        return ProcessHandle(pid: pid, startTicks: ticks)
    }

    func instanceDirectory(_ id: InstanceID) -> String { "\(dataDir)/instances/\(id)" }

    func consoleLogPath(_ id: InstanceID) -> String { "\(instanceDirectory(id))/console.log" }
}

/// A lock held across `await`, for one reconcile pass at a time.
actor AsyncLock {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async -> T) async -> T {
        if busy {
            await withCheckedContinuation { waiters.append($0) }
        } else {
            busy = true
        }
        let result = await body()
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
        return result
    }
}
