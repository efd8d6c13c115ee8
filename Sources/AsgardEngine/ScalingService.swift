import AsgardCloud
import AsgardCore
import AsgardStore
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Expands and contracts server groups on their own: every `interval` it collects each group's
/// metrics (requests, 5xx and latency from its load balancers; CPU and memory of its instances
/// from the cloud), keeps three hours of them in memory and one-minute aggregates in the store
/// for a week, evaluates the alarms, runs the scaling policies they call and the target tracking
/// policies, and the scheduled actions that are due. Every change of capacity is recorded with
/// its cause in words.
public final class ScalingService: Service, Sendable {
    let cloud: any CloudProvider
    let store: any ScalingStore
    let interval: Duration
    let logger: Logger
    let now: @Sendable () -> Date
    let state = Mutex(CollectorState())

    struct CollectorState {
        var window: [String: [MetricDatapoint]] = [:]
        var traffic: [String: TrafficSnapshot.Series] = [:]
        var usage: [InstanceID: (cpu: Double, time: Date)] = [:]
        /// When each policy last changed its group's capacity.
        var lastScaling: [String: Date] = [:]
        /// Policies that wanted more than their group's maximum, told once in the history.
        var capped: Set<String> = []
        var lastScheduleCheck: Date?
        /// Invalid stored definitions already logged.
        var reportedInvalid: Set<String> = []
        var lastMinute: Date?
    }

    /// Creates the service.
    public init(cloud: any CloudProvider, store: any ScalingStore, interval: Duration = .seconds(10), logger: Logger, now: @escaping @Sendable () -> Date) {
        self.cloud = cloud
        self.store = store
        self.interval = interval
        self.logger = logger
        self.now = now
    }

    /// Seconds between collections.
    public var intervalSeconds: Int { Int(interval.components.seconds) }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                try await tick()
            } catch where Task.isCancelled {
                return
            } catch {
                logger.warning("Scaling pass failed", metadata: ["error": "\(error)"])
            }
            while ContinuousClock.now < started + interval, !Task.isShuttingDownGracefully, !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// One pass: collect, evaluate, act.
    func tick() async throws {
        let time = now()
        let groups = try await cloud.serverGroups()
        for group in groups {
            let point = try await collect(group, at: time)
            state.withLock { state in
                state.window[group.autoScalingGroupName, default: []].append(point)
                let oldest = time.addingTimeInterval(-3 * 3600)
                state.window[group.autoScalingGroupName]?.removeAll { $0.time < oldest }
            }
        }
        let known = Set(groups.map(\.autoScalingGroupName))
        state.withLock { state in state.window = state.window.filter { known.contains($0.key) } }
        try await saveMinute(groups, at: time)
        let policies = try await decode(ScalingPolicyRecord.self, .policy)
        for alarm in try await decode(AlarmRecord.self, .alarm) where known.contains(alarm.autoScalingGroupName) {
            try await evaluate(alarm, groups: groups, policies: policies, at: time)
        }
        for policy in policies where policy.policyType == .targetTrackingScaling {
            guard let group = groups.first(where: { $0.autoScalingGroupName == policy.autoScalingGroupName }), !group.isSuspended(.alarmNotification) else { continue }
            try await track(policy, group: group, at: time)
        }
        let last = state.withLock { state in defer { state.lastScheduleCheck = time }; return state.lastScheduleCheck ?? time.addingTimeInterval(-1) }
        for action in try await decode(ScheduledActionRecord.self, .scheduledAction) where action.isDue(at: time, lastCheck: last) {
            guard let group = groups.first(where: { $0.autoScalingGroupName == action.autoScalingGroupName }), !group.isSuspended(.scheduledActions) else { continue }
            try await run(action, group: group, at: time)
        }
    }

    /// The valid definitions of `kind`. One that cannot be read or breaks the rules (stored by an
    /// older version, or by hand) is skipped with a log line, once, instead of being run.
    func decode<T: Decodable>(_ type: T.Type, _ kind: ScalingObjectKind) async throws -> [T] {
        try await store.scalingObjects(kind, group: nil).compactMap { json in
            let problems = ScalingJSON.problems(kind, json: json, interval: intervalSeconds)
            guard problems.isEmpty else {
                if state.withLock({ $0.reportedInvalid.insert(json).inserted }) {
                    logger.error("Skipping an invalid stored scaling definition; delete it or save it again",
                                 metadata: ["kind": "\(kind.rawValue)", "problems": "\(ValidationFailure(problems).message)",
                                            "definition": "\(json.prefix(1024))"])
                }
                return nil
            }
            return try? ScalingJSON.decoder.decode(type, from: Data(json.utf8))
        }
    }


    /// The group's metrics since the last collection.
    func collect(_ group: ServerGroupRecord, at time: Date) async throws -> MetricDatapoint {
        let name = group.autoScalingGroupName
        let snapshot = await TrafficSnapshot.read(group.loadBalancerNames.map(LoadBalancerName.init(rawValue:)), from: cloud)
        let cumulative = snapshot.merged([name])
        let previous = state.withLock { state in defer { state.traffic[name] = cumulative }; return state.traffic[name] }
        let seconds = Double(intervalSeconds)
        var values: [ScalingMetric: Double] = [:]
        let instances = try await cloud.instances(of: name, includeTerminated: false)
        let inService = instances.filter { $0.lifecycleState == .inService }.count
        values[.inServiceInstances] = Double(inService)
        if let previous {
            // The same difference a canary's analysis takes, a counter that went back counting from zero.
            let delta = TrafficSnapshot(groups: [name: cumulative]).since(TrafficSnapshot(groups: [name: previous])).merged([name])
            values[.requestCount] = Double(delta.requests)
            values[.http5xxCount] = Double(delta.errors)
            // AWS's ALBRequestCountPerTarget is per instance per minute.
            values[.requestCountPerTarget] = Double(delta.requests) / Double(max(1, inService)) * 60 / seconds
            let slice = delta.histogram
            let total = slice.reduce(0) { $0 + $1[1] }
            if total > 0 {
                values[.targetResponseTime] = Double(slice.reduce(0) { $0 + $1[0] * $1[1] }) / Double(total) / 1000
                values[.targetResponseTimeP99] = CanaryGroupFigures.percentile(slice, 0.99)
            }
        }
        var cpu: [Double] = [], memory: [Double] = []
        for reading in try await cloud.instanceUsage(of: name) {
            memory.append(Double(reading.residentBytes) / 1_048_576)
            let before = state.withLock { state in defer { state.usage[reading.instanceId] = (reading.cpuSeconds, time) }; return state.usage[reading.instanceId] }
            if let before, time.timeIntervalSince(before.time) > 0 {
                cpu.append(max(0, (reading.cpuSeconds - before.cpu) / time.timeIntervalSince(before.time) * 100))
            }
        }
        if !cpu.isEmpty { values[.cpuUtilization] = cpu.reduce(0, +) / Double(cpu.count) }
        if !memory.isEmpty { values[.memoryResident] = memory.reduce(0, +) / Double(memory.count) }
        return MetricDatapoint(time: time, seconds: seconds, values: values)
    }

    /// The window of `group` (oldest first).
    public func datapoints(of group: String) -> [MetricDatapoint] {
        state.withLock { $0.window[group] ?? [] }
    }

    /// The statistic of `metric` for each of the last `count` periods of `period` seconds, oldest
    /// first, nil for a period without data.
    public func periods(of group: String, metric: ScalingMetric, statistic: AlarmStatistic, period: Int, count: Int, at time: Date) -> [Double?] {
        let points = datapoints(of: group)
        return (0..<count).reversed().map { back in
            let end = time.addingTimeInterval(-Double(back * period)), start = end.addingTimeInterval(-Double(period))
            let values = points.filter { $0.time > start && $0.time <= end }.compactMap { $0.values[metric] }
            return statistic.reduce(values)
        }
    }

    /// Keeps a one-minute aggregate of every group once a minute.
    func saveMinute(_ groups: [ServerGroupRecord], at time: Date) async throws {
        let minute = Date(timeIntervalSince1970: (time.timeIntervalSince1970 / 60).rounded(.down) * 60)
        let due = state.withLock { state -> Bool in
            defer { state.lastMinute = minute }
            return state.lastMinute.map { $0 < minute } ?? false
        }
        guard due else { return }
        let start = minute.addingTimeInterval(-60)
        for group in groups {
            let points = datapoints(of: group.autoScalingGroupName).filter { $0.time > start && $0.time <= minute }
            guard !points.isEmpty else { continue }
            var aggregate: [String: Double] = [:]
            for metric in ScalingMetric.allCases {
                let values = points.compactMap { $0.values[metric] }
                guard !values.isEmpty else { continue }
                aggregate[metric.rawValue] = metric.isCount && metric != .requestCountPerTarget ? values.reduce(0, +) : values.reduce(0, +) / Double(values.count)
            }
            let json = String(decoding: try ScalingJSON.encoder.encode(aggregate), as: UTF8.self)
            try await store.saveMetricMinute(group: group.autoScalingGroupName, minute: start, json: json, forgetBefore: time.addingTimeInterval(-7 * 86_400))
        }
    }

    /// Evaluates `alarm`, records a change of state, and runs its actions while in ALARM.
    func evaluate(_ alarm: AlarmRecord, groups: [ServerGroupRecord], policies: [ScalingPolicyRecord], at time: Date) async throws {
        let values = periods(of: alarm.autoScalingGroupName, metric: alarm.metricName, statistic: alarm.statistic, period: alarm.period,
                             count: alarm.evaluationPeriods, at: time)
        let (newState, reason) = AlarmEvaluator.evaluate(alarm, periods: values)
        var updated = alarm
        let changed = newState != alarm.stateValue
        if changed {
            updated.stateValue = newState
            updated.stateReason = reason
            updated.stateUpdatedTimestamp = time
            let json = String(decoding: try ScalingJSON.encoder.encode(updated), as: UTF8.self)
            try await store.updateScalingObject(.alarm, group: alarm.autoScalingGroupName, name: alarm.alarmName, json: json)
            logger.info("Alarm changed state", metadata: ["alarm": "\(alarm.alarmName)", "state": "\(newState.rawValue)", "reason": "\(reason)"])
            for url in (newState == .alarm ? alarm.alarmActions : newState == .ok ? alarm.okActions : []) where url.hasPrefix("http") {
                await postWebhook(url, alarm: updated)
            }
        }
        guard newState == .alarm, let group = groups.first(where: { $0.autoScalingGroupName == alarm.autoScalingGroupName }),
              !group.isSuspended(.alarmNotification) else { return }
        for name in alarm.alarmActions where !name.hasPrefix("http") {
            guard let policy = policies.first(where: { $0.policyName == name && $0.autoScalingGroupName == group.autoScalingGroupName }) else { continue }
            let breach = (values.last ?? nil).map { $0 - alarm.threshold }
            try await execute(policy, group: group, breach: breach, cause: "an alarm \(alarm.alarmName) in breach (\(reason))", at: time)
        }
    }

    /// Runs a simple or step policy.
    func execute(_ policy: ScalingPolicyRecord, group: ServerGroupRecord, breach: Double?, cause: String, at time: Date) async throws {
        let key = "\(group.autoScalingGroupName)/\(policy.policyName)"
        let wait = Double(policy.policyType == .simpleScaling ? policy.cooldown ?? 300 : policy.estimatedInstanceWarmup ?? 300)
        if let last = state.withLock({ $0.lastScaling[key] }), time.timeIntervalSince(last) < wait { return }
        let adjustment: Int
        switch policy.policyType {
        case .simpleScaling:
            adjustment = policy.scalingAdjustment ?? 0
        case .stepScaling:
            guard let breach, let step = ScalingMath.step(policy.stepAdjustments ?? [], breach: breach) else { return }
            adjustment = step.scalingAdjustment
        case .targetTrackingScaling:
            return
        }
        let desired = ScalingMath.adjusted(group.desiredCapacity, by: adjustment, type: policy.adjustmentType ?? .changeInCapacity,
                                           minAdjustmentMagnitude: policy.minAdjustmentMagnitude, min: group.minSize, max: group.maxSize)
        guard desired != group.desiredCapacity else { return }
        try await setCapacity(group, desired: desired, by: policy.policyType.rawValue,
                              because: "\(cause), policy \(policy.policyName) changed the desired capacity from \(group.desiredCapacity) to \(desired)")
        state.withLock { $0.lastScaling[key] = time }
    }

    /// A target tracking policy: out when the metric stayed above the target for 3 collections,
    /// in when it stayed below 90 % of it for 15, by the proportion that brings it to the target;
    /// never again before the warmup has passed.
    func track(_ policy: ScalingPolicyRecord, group: ServerGroupRecord, at time: Date) async throws {
        guard let config = policy.targetTrackingConfiguration else { return }
        let key = "\(group.autoScalingGroupName)/\(policy.policyName)"
        let warmup = Double(policy.estimatedInstanceWarmup ?? 300)
        if let last = state.withLock({ $0.lastScaling[key] }), time.timeIntervalSince(last) < warmup { return }
        let (metric, _) = config.metric
        let recent = datapoints(of: group.autoScalingGroupName).compactMap { $0.values[metric] }
        let target = config.targetValue
        var desired = group.desiredCapacity
        var why = ""
        if recent.count >= 3, recent.suffix(3).allSatisfy({ $0 > target }) {
            let value = recent.suffix(3).reduce(0, +) / 3
            desired = ScalingMath.tracked(current: max(1, group.desiredCapacity), metric: value, target: target, min: group.minSize, max: group.maxSize)
            why = "\(metric.rawValue) \(CanaryJudge.format(value)) above the target \(CanaryJudge.format(target)) for 3 datapoints"
        } else if config.disableScaleIn != true, recent.count >= 15, recent.suffix(15).allSatisfy({ $0 < target * 0.9 }) {
            let value = recent.suffix(15).reduce(0, +) / 15
            desired = min(group.desiredCapacity,
                          ScalingMath.tracked(current: max(1, group.desiredCapacity), metric: value, target: target, min: group.minSize, max: group.maxSize))
            why = "\(metric.rawValue) \(CanaryJudge.format(value)) below 90 % of the target \(CanaryJudge.format(target)) for 15 datapoints"
        }
        if !why.isEmpty, desired == group.maxSize, why.contains("above"),
           ScalingMath.tracked(current: max(1, group.desiredCapacity), metric: recent.suffix(3).reduce(0, +) / 3, target: target, min: 0, max: Int.max) > group.maxSize {
            // Say once why it does not grow further: a group at its maximum looks stuck otherwise.
            if state.withLock({ $0.capped.insert(key).inserted }) {
                try await store.recordActivity(ScalingActivity(autoScalingGroupName: group.autoScalingGroupName,
                    description: "Not growing beyond the maximum of \(group.maxSize)",
                    cause: "At \(time.formatted(.iso8601)) a target tracking policy \(policy.policyName) saw \(why) and would grow \(group.autoScalingGroupName) beyond its maxSize \(group.maxSize); raise maxSize to let it grow",
                    startTime: time, endTime: time))
            }
        } else if desired < group.maxSize {
            state.withLock { _ = $0.capped.remove(key) }
        }
        guard desired != group.desiredCapacity else { return }
        try await setCapacity(group, desired: desired, by: policy.policyType.rawValue,
                              because: "a target tracking policy \(policy.policyName) saw \(why), changing the desired capacity from \(group.desiredCapacity) to \(desired)")
        state.withLock { $0.lastScaling[key] = time }
    }

    /// Runs a scheduled action.
    func run(_ action: ScheduledActionRecord, group: ServerGroupRecord, at time: Date) async throws {
        var changed = group
        (changed.minSize, changed.desiredCapacity, changed.maxSize) = action.applied(
            to: (group.minSize, group.desiredCapacity, group.maxSize), limit: InputLimits.localGroupSize)
        _ = try await cloud.updateServerGroup(changed, task: TaskDraft(
            operation: "Scheduled action \(action.scheduledActionName) on \(group.autoScalingGroupName)", objectType: .serverGroup,
            objectId: group.autoScalingGroupName, user: "asgard", region: "local", status: .succeeded,
            log: [TaskLogLine(time: time, message: "a scheduled action \(action.scheduledActionName) was executed, setting min \(changed.minSize), desired \(changed.desiredCapacity), max \(changed.maxSize)"
                + (group.desiredCapacity != changed.desiredCapacity ? " (desired capacity from \(group.desiredCapacity) to \(changed.desiredCapacity))" : ""))]))
        ScalingService.counted(cause: "ScheduledAction")
        var ran = action
        ran.lastRun = time
        try await store.updateScalingObject(.scheduledAction, group: action.autoScalingGroupName, name: action.scheduledActionName,
                                            json: String(decoding: try ScalingJSON.encoder.encode(ran), as: UTF8.self))
        if group.desiredCapacity == changed.desiredCapacity {
            // No capacity change: the history still says the action ran.
            try await store.recordActivity(ScalingActivity(autoScalingGroupName: group.autoScalingGroupName,
                                                           description: "Scheduled action \(action.scheduledActionName): min \(changed.minSize), max \(changed.maxSize)",
                                                           cause: "At \(time.formatted(.iso8601)) a scheduled action \(action.scheduledActionName) was executed",
                                                           startTime: time, endTime: time))
        }
    }

    /// Counts a scaling activity for Prometheus by what caused it: a policy's type
    /// (`TargetTrackingScaling`, `StepScaling`, `SimpleScaling`) or `ScheduledAction`.
    static func counted(cause: String) {
        Counter(label: "asgard_scaling_activities_total", dimensions: [("cause", cause)]).increment()
    }

    /// Changes a group's desired capacity for a policy of type `kind`; the provider records the
    /// activity with `because`.
    func setCapacity(_ group: ServerGroupRecord, desired: Int, by kind: String, because cause: String) async throws {
        ScalingService.counted(cause: kind)
        var changed = group
        changed.desiredCapacity = desired
        _ = try await cloud.updateServerGroup(changed, task: TaskDraft(
            operation: "Scale \(group.autoScalingGroupName) to \(desired)", objectType: .serverGroup, objectId: group.autoScalingGroupName,
            user: "asgard", region: "local", status: .succeeded, log: [TaskLogLine(time: now(), message: cause)]))
        logger.info("Scaled", metadata: ["group": "\(group.autoScalingGroupName)", "desired": "\(desired)", "cause": "\(cause)"])
    }

    func postWebhook(_ url: String, alarm: AlarmRecord) async {
        let event = DeploymentEvent(event: "alarm\(alarm.stateValue == .alarm ? "" : "Ok")", taskId: 0, taskUrl: "/local/alarm/show/\(alarm.alarmName).json",
                                    cluster: alarm.autoScalingGroupName, strategy: "", imageId: "", newGroup: nil,
                                    message: "\(alarm.alarmName) is \(alarm.stateValue.rawValue): \(alarm.stateReason)", time: now())
        await DeploymentNotifier(logger: logger).send(event, to: url)
    }
}
