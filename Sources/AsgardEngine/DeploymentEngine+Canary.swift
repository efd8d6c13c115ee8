import AsgardCloud
import AsgardCore
import AsgardStore
import Foundation

/// Canary deployments: the canary group runs next to the current one behind the same load
/// balancers, which send it an exact share of the requests; each analysis interval judges it
/// against its baseline; a failing verdict takes its traffic away at once and rolls back.
extension DeploymentEngine {
    /// The groups the canary is compared with: the fresh baseline, or those that served.
    func baselineGroups(_ run: DeploymentRun, _ state: DeploymentState) throws -> [String] {
        if run.request.canary?.baseline == .fresh, let baseline = state.baselineGroup { return [baseline] }
        return try targets(.previous, state)
    }

    /// The weights that give the canary `weight` percent: as much to a fresh baseline (Kayenta's
    /// practice: equal shares), the rest to the groups that served, split evenly.
    func canaryWeights(_ weight: Int, _ run: DeploymentRun, _ state: DeploymentState) throws -> [String: Int] {
        var weights: [String: Int] = [:]
        if let canary = state.newGroup { weights[canary] = weight }
        var rest = 100 - weight
        if run.request.canary?.baseline == .fresh, let baseline = state.baselineGroup {
            let share = min(weight, rest)
            weights[baseline] = share
            rest -= share
        }
        let serving = try targets(.previous, state)
        for (index, name) in serving.enumerated() {
            weights[name] = rest / max(1, serving.count) + (index == serving.count - 1 ? rest % max(1, serving.count) : 0)
        }
        return weights
    }

    /// The load balancers of the canary.
    func canaryBalancers(_ state: DeploymentState) async throws -> [LoadBalancerName] {
        guard let name = state.newGroup, let group = try await cloud.serverGroup(named: name) else { return [] }
        return group.loadBalancerNames.map(LoadBalancerName.init(rawValue:))
    }

    /// Sets `weights` (empty: none) on `balancers` and waits until each proxy routes by them.
    func applyWeights(_ weights: [String: Int], on balancers: [LoadBalancerName], _ run: DeploymentRun) async throws {
        for name in balancers {
            guard let record = try await cloud.loadBalancer(named: name) else { throw CloudError(.notFound, "the load balancer \(name) is gone") }
            guard record.trafficWeights != weights else { continue }
            var changed = record
            changed.trafficWeights = weights
            _ = try await cloud.updateLoadBalancer(changed, previous: record, task: TaskDraft(
                operation: "Set the traffic weights of \(name)", objectType: .loadBalancer, objectId: name.rawValue, user: run.task.user, region: region,
                status: .succeeded, log: [TaskLogLine(time: now(), message: (weights.isEmpty ? "No weights" : "Weights " + Self.describe(weights)) + " for deployment task \(run.id)")], parent: run.id))
        }
        let applied = try await ClusterOperations.poll(for: .seconds(10), until: {
            for name in balancers {
                guard let routing = await cloud.loadBalancerState(named: name).traffic?.routing else { return false }
                for group in routing.groups {
                    let wanted = weights.isEmpty ? nil : (weights[group.name] ?? 0)
                    if group.weight != wanted { return false }
                }
            }
            return true
        })
        if !applied { throw CloudError(.unavailable, "the load balancers did not take the weights \(Self.describe(weights)) within 10 s") }
    }

    static func describe(_ weights: [String: Int]) -> String {
        weights.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }

    /// Canary steps.
    func performCanary(_ step: PlannedStep, _ run: DeploymentRun, state: inout DeploymentState) async throws {
        switch step.type {
        case .createBaseline:
            guard let canary = state.newGroup, let serving = try targets(.previous, state).last,
                  let template = try await cloud.serverGroup(named: serving) else {
                throw CloudError(.conflict, "a fresh baseline needs a group that serves the cluster now")
            }
            if state.baselineGroup == nil {
                state.baselineGroup = GroupNaming.nextGroupName(cluster: run.request.cluster, previousGroup: canary)
                try await save(state, of: run.id)
            }
            guard let name = state.baselineGroup else { return }
            if try await cloud.serverGroup(named: name) == nil {
                let capacity = run.request.capacity
                let group = ClusterOperations.nextGroup(named: name, imageId: template.imageId, capacity: capacity,
                                                        loadBalancers: template.loadBalancerNames, inheritingFrom: template, now: now())
                _ = try await cloud.createServerGroup(group, task: TaskDraft(
                    operation: "Create baseline group \(name)", objectType: .serverGroup, objectId: name, user: run.task.user, region: region,
                    status: .succeeded, log: [TaskLogLine(time: now(), message: "Baseline of \(template.imageId) for canary deployment task \(run.id)")], parent: run.id))
                try await log(run.id, "Created the baseline \(name) from \(template.imageId) (the image of \(serving)), \(capacity.desired) instances, no traffic yet")
            }
            try await waitHealthy(name, count: run.request.capacity.desired, run, step: step.type, state: &state)
        case .setWeight:
            let weight = step.percent ?? 0
            let weights = try canaryWeights(weight, run, state)
            try await applyWeights(weights, on: try await canaryBalancers(state), run)
            state.canaryWeight = weight
            try await log(run.id, "The canary gets \(weight) % of the requests (\(Self.describe(weights)))")
        case .analyze:
            try await analyze(step, run, state: &state)
        case .pause:
            try await canaryPause(step, run, state: &state, reason: nil)
        case .promote:
            guard let canary = state.newGroup else { return }
            let balancers = try await canaryBalancers(state)
            var all = try canaryWeights(100, run, state)
            all[canary] = 100
            try await applyWeights(all, on: balancers, run)
            for name in try targets(.previous, state) {
                guard let group = try await cloud.serverGroup(named: name), ClusterTraffic.isEnabled(group) else { continue }
                let (_, done) = try await operations.disable(group, force: true, user: run.task.user, parent: run.id)
                try await log(run.id, "Disabled \(name) (task \(done.id))")
            }
            if let baseline = state.baselineGroup, try await cloud.serverGroup(named: baseline) != nil {
                let done = try await operations.delete(baseline, user: run.task.user, parent: run.id)
                try await log(run.id, "Deleted the baseline \(baseline) (task \(done.id))")
            }
            try await applyWeights([:], on: balancers, run)
            state.canaryWeight = 100
            try await log(run.id, "\(canary) is the only enabled group of \(run.request.cluster); weights removed")
        default:
            break
        }
    }

    /// A pause: waits for proceed (or the end of its duration) or a rollback.
    func canaryPause(_ step: PlannedStep, _ run: DeploymentRun, state: inout DeploymentState, reason: String?) async throws {
        let seconds = step.type == .pause ? step.seconds : nil
        // A marginal or inconclusive verdict waits an hour for a person, then rolls back.
        let limit = seconds ?? (reason == nil ? 259_200 : 3_600)
        let until = try await fixEnd(of: &state, after: .seconds(limit), run)
        try await tasks.updateTask(run.id, status: .waiting, checkpoint: nil, at: now())
        try await log(run.id, (reason.map { "\($0); " } ?? "") + "waiting for a decision until \(Self.clock(until)): `asgard deployment proceed \(run.id)` or `asgard deployment rollback \(run.id)`"
            + (seconds != nil ? "; it proceeds by itself then" : "; no decision rolls back"))
        await notify("judgmentNeeded", run, newGroup: state.newGroup, message: reason ?? "the canary pauses for a decision")
        if try await awaitDecision(run, until: until, during: "a pause") { return }
        if seconds != nil {
            try await tasks.updateTask(run.id, status: .running, checkpoint: nil, at: now())
            try await log(run.id, "The pause ended; going on")
            return
        }
        throw DeploymentInterrupted(order: RollbackOrder(reason: "no decision within \(limit / 60) minutes", outcome: .failed))
    }

    /// One analyze step: every interval, the figures of canary and baseline since the step began
    /// are judged; a failing verdict rolls back at once, the last verdict decides the step.
    func analyze(_ step: PlannedStep, _ run: DeploymentRun, state: inout DeploymentState) async throws {
        guard let canary = state.newGroup, let settings = run.request.canary else { return }
        if settings.analysis.judge == .sequential { return try await analyzeSequentially(step, run, state: &state) }
        let baselines = try baselineGroups(run, state)
        let balancers = try await canaryBalancers(state)
        let duration = Double(step.seconds ?? 0), every = Double(step.intervalSeconds ?? 10)
        let count = max(1, Int((duration / every).rounded(.down)))
        let stepIndex = state.step
        // A step resumed after a restart starts its window again.
        state.intervals = state.intervals?.filter { $0.step != stepIndex }
        let start = try await trafficSnapshot(balancers)
        var previous = start
        var usage = UsageSampler()
        let began = now()
        try await log(run.id, "Analyzing \(canary) against \(baselines.joined(separator: ", ")) for \(Int(duration)) s, judging every \(Int(every)) s")
        var last: CanaryVerdict?
        for index in 1...count {
            let end = began.addingTimeInterval(every * Double(index))
            var nextSample = now()
            while now() < end {
                try await takeSignal(run, during: .analyze)
                if now() >= nextSample {
                    await usage.sample(canary: canary, baselines: baselines, cloud: cloud, at: now())
                    nextSample = now().addingTimeInterval(1)
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            await usage.sample(canary: canary, baselines: baselines, cloud: cloud, at: now())
            let snapshot = try await trafficSnapshot(balancers)
            let window = snapshot.since(start), slice = snapshot.since(previous)
            previous = snapshot
            let canaryWindow = window.merged([canary]), baselineWindow = window.merged(baselines)
            var observations: [String: MetricObservations] = [
                "errorRate": .proportion(canary: Proportion(events: canaryWindow.errors, total: canaryWindow.requests),
                                         baseline: Proportion(events: baselineWindow.errors, total: baselineWindow.requests)),
                "latency": .samples(canary: canaryWindow.latencySamples, baseline: baselineWindow.latencySamples),
                "cpu": .samples(canary: usage.cpu(canary), baseline: baselines.flatMap { usage.cpu($0) }),
                "memory": .samples(canary: usage.memory(canary), baseline: baselines.flatMap { usage.memory($0) }),
            ]
            for metric in settings.analysis.metrics where metric.source == .prometheus && !metric.muted {
                observations[metric.name] = await prometheusObservations(metric, canary: canary, baselines: baselines, run, from: began, to: now())
            }
            let verdict = CanaryJudge.judge(observations, config: settings.analysis)
            let verdictTime = ContinuousClock.now
            let seconds = max(0.001, every)
            let interval = CanaryInterval(step: stepIndex, index: index, time: now(), weight: state.canaryWeight ?? 0,
                                          canary: slice.figures([canary], seconds: seconds, usage: usage, since: end.addingTimeInterval(-every)),
                                          baseline: slice.figures(baselines, seconds: seconds, usage: usage, since: end.addingTimeInterval(-every)),
                                          verdict: verdict)
            state.intervals = (state.intervals ?? []) + [interval]
            try await save(state, of: run.id)
            try await log(run.id, "Interval \(index) of \(count) at \(state.canaryWeight ?? 0) %: score \(CanaryJudge.format(verdict.score)), \(verdict.outcome.rawValue): \(verdict.reason)")
            last = verdict
            DeploymentMetrics.verdict(verdict.outcome.rawValue)
            if verdict.outcome == .fail {
                throw DeploymentInterrupted(order: RollbackOrder(reason: "canary failed: \(verdict.reason)", outcome: .failed), verdictTime: verdictTime)
            }
        }
        guard let last else { return }
        switch last.outcome {
        case .pass: try await log(run.id, "The canary passed: \(last.reason)")
        case .marginal, .inconclusive:
            try await canaryPause(step, run, state: &state, reason: "The canary's verdict is \(last.outcome.rawValue): \(last.reason)")
        case .fail: break
        }
    }

    /// One analyze step with the sequential judge: every second, what canary and baseline served
    /// since the last second goes to the judge, which fails the canary the moment its evidence
    /// crosses 1/α (then it rolls back at once), or stops without a verdict when the requests do
    /// not split as the weights say (then a person decides). Once `minimumSeconds` are over, the
    /// step passes as soon as the evidence shows the canary within its tolerance; no verdict by
    /// the step's end passes it too. The evidence is kept in the state for the task page.
    func analyzeSequentially(_ step: PlannedStep, _ run: DeploymentRun, state: inout DeploymentState) async throws {
        guard let canary = state.newGroup, let settings = run.request.canary else { return }
        let baselines = try baselineGroups(run, state)
        let balancers = try await canaryBalancers(state)
        let weights = try canaryWeights(state.canaryWeight ?? 0, run, state)
        let canaryWeight = Double(weights[canary] ?? 0), baselineWeight = Double(baselines.map { weights[$0] ?? 0 }.reduce(0, +))
        guard canaryWeight > 0, baselineWeight > 0 else {
            try await log(run.id, "Nothing to analyze at \(state.canaryWeight ?? 0) %: canary or baseline gets no requests")
            return
        }
        let share = canaryWeight / (canaryWeight + baselineWeight)
        let duration = step.seconds ?? 0
        let minimum = min(step.minimumSeconds ?? 30, duration)
        let margin = settings.analysis.metrics.first { $0.name == "errorRate" }?.minimumDifference ?? 0.01
        let judge = SequentialJudge(share: share, config: SequentialJudgeConfig(alpha: settings.analysis.alpha, errorMargin: margin))
        try await log(run.id, "Analyzing \(canary) against \(baselines.joined(separator: ", ")) for \(duration) s with the sequential judge "
            + "(α = \(settings.analysis.alpha), the canary's share \(String(format: "%.1f", share * 100)) %): it decides the moment the evidence is strong enough"
            + (minimum < duration ? ", and passes after \(minimum) s once the canary is shown within its tolerance" : ""))
        let outcome = try await watch(judge, on: balancers, seconds: duration, minimumSeconds: minimum, every: step.intervalSeconds ?? 10,
                                      weight: state.canaryWeight ?? 0, run, state: &state, during: .analyze) { snapshot in
            let mine = snapshot.merged([canary]), theirs = snapshot.merged(baselines)
            return (ArmSample(requests: mine.requests, errors: mine.errors, latencies: mine.latencySamples),
                    ArmSample(requests: theirs.requests, errors: theirs.errors, latencies: theirs.latencySamples))
        }
        DeploymentMetrics.verdict(outcome.name)
        switch outcome {
        case .failed(let reason, let at, let seconds):
            try await log(run.id, "The sequential judge failed the canary after \(seconds) s: \(reason)")
            throw DeploymentInterrupted(order: RollbackOrder(reason: "canary failed: \(reason)", outcome: .failed), verdictTime: at)
        case .inconclusive(let reason):
            try await canaryPause(step, run, state: &state, reason: "The sequential judge stopped without a verdict: \(reason)")
        case .promoted(let reason, let seconds):
            try await log(run.id, "The canary passed early, after \(seconds) s: \(reason)")
        case .passed(let evidence, _):
            try await log(run.id, "The canary passed: no test crossed its threshold in \(duration) s (\(evidence))")
        }
    }

    /// A watched rolling push, after a batch is replaced and healthy: the sequential judge
    /// compares the instances on the new image with the old ones behind the same load
    /// balancers (the share is the new instances' part of them), for `watchSeconds` or until it
    /// decides. A regression stops the push and rolls back what was replaced; a split that does
    /// not hold waits for a person. The last batch has nothing old left to compare with.
    func watchBatch(_ batch: Int, of name: String, image: ImageID, options: RollingOptions, _ step: PlannedStep, _ run: DeploymentRun,
                    state: inout DeploymentState) async throws {
        guard let seconds = options.watchSeconds, seconds > 0 else { return }
        guard let group = try await cloud.serverGroup(named: name) else { throw CloudError(.notFound, "the server group \(name) is gone") }
        let instances = try await cloud.instances(of: name, includeTerminated: false)
        let fresh = instances.filter { $0.imageId == image }.map(\.instanceId.rawValue), old = instances.filter { $0.imageId != image }.map(\.instanceId.rawValue)
        let balancers = group.loadBalancerNames.map(LoadBalancerName.init(rawValue:))
        guard !fresh.isEmpty, !old.isEmpty, !balancers.isEmpty else {
            let why = balancers.isEmpty ? "\(name) has no load balancer" : "no instance of the old image is left to compare with"
            return try await log(run.id, "Batch \(batch) is not watched: \(why)")
        }
        let share = Double(fresh.count) / Double(fresh.count + old.count)
        let alpha = options.alpha ?? 0.01
        let minimum = min(options.minimumSeconds ?? 30, seconds)
        try await log(run.id, "Watching batch \(batch) for \(seconds) s with the sequential judge (α = \(alpha)): \(fresh.joined(separator: ", ")) on \(image) "
            + "against \(old.joined(separator: ", ")) (\(String(format: "%.0f", share * 100)) % of the requests)"
            + (minimum < seconds ? "; it passes after \(minimum) s once shown within tolerance" : ""))
        let outcome = try await watch(SequentialJudge(share: share, config: SequentialJudgeConfig(alpha: alpha)), on: balancers, seconds: seconds,
                                      minimumSeconds: minimum, every: 10, weight: Int((share * 100).rounded()), batch: batch, run, state: &state,
                                      during: step.type) { snapshot in
            let mine = snapshot.merged(fresh), theirs = snapshot.merged(old)
            return (ArmSample(requests: mine.requests, errors: mine.errors, latencies: mine.latencySamples),
                    ArmSample(requests: theirs.requests, errors: theirs.errors, latencies: theirs.latencySamples))
        }
        switch outcome {
        case .failed(let reason, let at, let after):
            try await log(run.id, "The sequential judge found batch \(batch) worse than the old instances after \(after) s: \(reason)")
            throw DeploymentInterrupted(order: RollbackOrder(reason: "rolling push stopped at batch \(batch): \(reason)", outcome: .failed), verdictTime: at)
        case .inconclusive(let reason):
            try await canaryPause(step, run, state: &state, reason: "The sequential judge stopped watching batch \(batch) without a verdict: \(reason)")
            // The next batch's pause, if any, gets an end of its own.
            state.waitUntil = nil
            try await save(state, of: run.id)
        case .promoted(let reason, let after):
            try await log(run.id, "Batch \(batch) passed early, after \(after) s: \(reason)")
        case .passed(_, 0):
            // CloudWatch counts per target group, not per instance: nothing to judge there.
            try await log(run.id, "Batch \(batch) was not judged: its load balancers counted no requests per instance in \(seconds) s")
        case .passed(let evidence, _):
            try await log(run.id, "Batch \(batch) passed: no test crossed its threshold in \(seconds) s (\(evidence))")
        }
    }

    /// What Prometheus answers `metric`'s query for the canary and for the baselines over the
    /// window, a point a second; a query that fails or answers nothing is no data, naming it.
    func prometheusObservations(_ metric: CanaryMetric, canary: String, baselines: [String], _ run: DeploymentRun,
                                from start: Date, to end: Date) async -> MetricObservations {
        guard let prometheus else {
            return .missing(reason: "no Prometheus is configured (prometheus.url in the configuration file) to ask \(metric.query ?? "")")
        }
        let cluster = run.request.cluster
        func values(_ group: String) async -> Result<[Double], QueryFailure> {
            guard let query = metric.filledQuery(serverGroup: group, region: region, cluster: cluster) else {
                return .failure(QueryFailure(query: "", problem: "the metric has no query"))
            }
            return await prometheus.values(of: query, from: start, to: end, step: 1)
        }
        let canaryValues: [Double]
        switch await values(canary) {
        case .success(let found): canaryValues = found
        case .failure(let failure): return .missing(reason: "the canary's \(failure)")
        }
        var baselineValues: [Double] = []
        var failures: [QueryFailure] = []
        for group in baselines {
            switch await values(group) {
            case .success(let found): baselineValues += found
            case .failure(let failure): failures.append(failure)
            }
        }
        if baselineValues.isEmpty, let failure = failures.first { return .missing(reason: "the baseline's \(failure)") }
        return .samples(canary: canaryValues.map { WeightedValue($0) }, baseline: baselineValues.map { WeightedValue($0) })
    }

    /// How a watch by the sequential judge ended.
    enum WatchOutcome {
        case failed(reason: String, at: ContinuousClock.Instant, seconds: Int)
        case inconclusive(reason: String)
        case promoted(reason: String, seconds: Int)
        case passed(evidence: String, requests: Int)

        /// The decision's word, as the evidence and the metrics name it.
        var name: String {
            switch self {
            case .failed: "fail"
            case .inconclusive: "inconclusive"
            case .promoted: "promoted"
            case .passed: "pass"
            }
        }
    }

    /// Feeds `judge`, every second, what the arms served since the last second (`arms` splits
    /// a slice of the load balancers' traffic into canary and baseline) until it decides, the
    /// canary is shown within its tolerance after `minimumSeconds`, or `seconds` are over. The
    /// evidence goes into `state.evidence` (each second of the first minute, then every
    /// `every` seconds, and the end), saved with each report.
    func watch(_ judge: SequentialJudge, on balancers: [LoadBalancerName], seconds: Int, minimumSeconds: Int, every: Int, weight: Int,
               batch: Int? = nil, _ run: DeploymentRun, state: inout DeploymentState, during stepType: DeploymentStep,
               arms: (TrafficSnapshot) -> (canary: ArmSample, baseline: ArmSample)) async throws -> WatchOutcome {
        var judge = judge
        let stepIndex = state.step
        // A step (or batch) resumed after a restart watches again from the start.
        state.evidence = state.evidence?.filter { $0.step != stepIndex || $0.batch != batch }
        let began = now(), end = began.addingTimeInterval(Double(seconds))
        let byInstance = batch != nil
        var previous = await TrafficSnapshot.read(balancers, from: cloud, byInstance: byInstance)
        var nextLook = now().addingTimeInterval(1), nextReport = now().addingTimeInterval(Double(every))
        func elapsed() -> Int { Int(now().timeIntervalSince(began)) }
        func record(_ decision: String?, _ reason: String?) {
            let point = SequentialEvidence(step: stepIndex, batch: batch, time: now(), seconds: elapsed(), weight: weight, metrics: judge.metrics,
                                           decision: decision, reason: reason)
            state.evidence = (state.evidence ?? []) + [point]
        }
        while now() < end {
            try await takeSignal(run, during: stepType)
            if now() >= nextLook {
                nextLook = now().addingTimeInterval(1)
                let snapshot = await TrafficSnapshot.read(balancers, from: cloud, byInstance: byInstance)
                let (mine, theirs) = arms(snapshot.since(previous))
                previous = snapshot
                let decision = judge.observe(canary: mine, baseline: theirs)
                let verdictTime = ContinuousClock.now
                switch decision {
                case .fail(_, let reason)?:
                    record("fail", reason)
                    try await save(state, of: run.id)
                    return .failed(reason: reason, at: verdictTime, seconds: elapsed())
                case .inconclusive(let reason)?:
                    record("inconclusive", reason)
                    try await save(state, of: run.id)
                    return .inconclusive(reason: reason)
                case nil:
                    break
                }
                if elapsed() >= minimumSeconds {
                    let promotion = judge.promotion
                    if promotion.ready {
                        record("promoted", promotion.reason)
                        try await save(state, of: run.id)
                        return .promoted(reason: promotion.reason, seconds: elapsed())
                    }
                }
                if elapsed() <= 60 && now() < nextReport { record(nil, nil) }
            }
            if now() >= nextReport {
                nextReport = now().addingTimeInterval(Double(every))
                let promotion = judge.promotion
                record(nil, promotion.reason)
                try await save(state, of: run.id)
                try await log(run.id, "Sequential judge at \(elapsed()) s: " + Self.evidence(judge) + "; early promotion: \(promotion.reason)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        record("pass", "no test crossed its threshold in \(seconds) s")
        try await save(state, of: run.id)
        return .passed(evidence: Self.evidence(judge), requests: judge.split.totalEvents)
    }

    /// Each sequential test's events and e-value, in words.
    static func evidence(_ judge: SequentialJudge) -> String {
        judge.metrics.map { metric in
            "\(metric.name) \(metric.canaryEvents)/\(metric.totalEvents) e=\(SequentialJudge.evidence(metric.logEValue)) (threshold \(SequentialJudge.evidence(metric.logThreshold)))"
        }.joined(separator: ", ") + (judge.thresholds == nil ? "; latency warming up" : "")
    }

    /// The cumulative traffic of every group behind `balancers`, summed over them.
    func trafficSnapshot(_ balancers: [LoadBalancerName]) async throws -> TrafficSnapshot {
        await TrafficSnapshot.read(balancers, from: cloud)
    }

    /// Before a canary's rollback: its traffic (and a fresh baseline's) goes back to the groups
    /// that served, at once; the baseline is deleted and the weights removed.
    func rollBackCanary(_ run: DeploymentRun, state: DeploymentState, since verdict: ContinuousClock.Instant?) async throws -> [String] {
        var done: [String] = []
        let balancers = try await canaryBalancers(state)
        if !balancers.isEmpty, state.canaryWeight != nil {
            try await applyWeights(try canaryWeights(0, run, state), on: balancers, run)
            let after = verdict.map { " \(ClusterOperations.milliseconds(since: $0)) ms after the verdict" } ?? ""
            try await log(run.id, "The canary gets 0 % of the requests\(after)")
            done.append("canary traffic at 0 %\(after)")
        }
        if let baseline = state.baselineGroup, try await cloud.serverGroup(named: baseline) != nil {
            let task = try await operations.delete(baseline, user: run.task.user, parent: run.id)
            try await log(run.id, "Deleted the baseline \(baseline) (task \(task.id))")
            done.append("deleted the baseline \(baseline)")
        }
        if let canary = state.newGroup, let group = try await cloud.serverGroup(named: canary), ClusterTraffic.isEnabled(group) {
            // Disabled before the weights go, so that it never takes an unweighted share.
            let (_, task) = try await operations.disable(group, force: true, user: run.task.user, parent: run.id)
            try await log(run.id, "Disabled \(canary) (task \(task.id)); it stays for inspection")
            done.append("disabled \(canary), kept for inspection")
        }
        if !balancers.isEmpty { try await applyWeights([:], on: balancers, run) }
        return done
    }
}

/// Cumulative request counts and latency histograms of groups, from their load balancers.
struct TrafficSnapshot {
    struct Series {
        var requests = 0
        var errors = 0
        var histogram: [[UInt64]] = []
    }

    var groups: [String: Series] = [:]

    /// The cumulative traffic of every group behind `balancers` (or, `byInstance`, of every
    /// instance, by its id), summed over them.
    static func read(_ balancers: [LoadBalancerName], from cloud: any CloudProvider, byInstance: Bool = false) async -> TrafficSnapshot {
        var snapshot = TrafficSnapshot()
        for name in balancers {
            for group in await cloud.groupTraffic(on: name) {
                guard byInstance else {
                    snapshot.add(group.name, requests: group.requests.total, errors: group.requests.status5xx, histogram: group.latency.histogram)
                    continue
                }
                for instance in group.instances {
                    snapshot.add(instance.instanceId.rawValue, requests: instance.requests.total, errors: instance.requests.status5xx, histogram: instance.latency.histogram)
                }
            }
        }
        return snapshot
    }

    mutating func add(_ group: String, requests: Int, errors: Int, histogram: [[UInt64]]) {
        var series = groups[group] ?? Series()
        series.requests += requests
        series.errors += errors
        var merged: [UInt64: UInt64] = [:]
        for pair in series.histogram + histogram where pair.count > 1 { merged[pair[0], default: 0] += pair[1] }
        series.histogram = merged.sorted { $0.key < $1.key }.map { [$0.key, $0.value] }
        groups[group] = series
    }

    /// What happened since `earlier` (a counter that went back counts from zero).
    func since(_ earlier: TrafficSnapshot) -> TrafficSnapshot {
        var difference = TrafficSnapshot()
        for (name, series) in groups {
            let before = earlier.groups[name] ?? Series()
            let restarted = series.requests < before.requests
            difference.groups[name] = Series(requests: restarted ? series.requests : series.requests - before.requests,
                                             errors: restarted ? series.errors : max(0, series.errors - before.errors),
                                             histogram: CanaryGroupFigures.difference(series.histogram, before.histogram))
        }
        return difference
    }

    /// The groups' series together.
    func merged(_ names: [String]) -> Series {
        var total = TrafficSnapshot()
        for name in names { if let series = groups[name] { total.add("all", requests: series.requests, errors: series.errors, histogram: series.histogram) } }
        return total.groups["all"] ?? Series()
    }

    /// The figures of `names` over `seconds`.
    func figures(_ names: [String], seconds: Double, usage: UsageSampler, since: Date) -> CanaryGroupFigures {
        let series = merged(names)
        let cpu = names.flatMap { usage.cpu($0, since: since) }, memory = names.flatMap { usage.memory($0, since: since) }
        return CanaryGroupFigures(requests: series.requests, errors: series.errors, rate: Double(series.requests) / seconds,
                                  errorRate: series.requests > 0 ? Double(series.errors) / Double(series.requests) : 0,
                                  p50: CanaryGroupFigures.percentile(series.histogram, 0.5), p90: CanaryGroupFigures.percentile(series.histogram, 0.9),
                                  p99: CanaryGroupFigures.percentile(series.histogram, 0.99),
                                  cpu: cpu.isEmpty ? 0 : cpu.map(\.value).reduce(0, +) / Double(cpu.count),
                                  memory: memory.isEmpty ? 0 : memory.map(\.value).reduce(0, +) / Double(memory.count),
                                  latencyHistogram: series.histogram, instances: usage.instances(names))
    }
}

extension TrafficSnapshot.Series {
    /// The latency samples in milliseconds, weighted by their counts.
    var latencySamples: [WeightedValue] {
        histogram.compactMap { $0.count > 1 ? WeightedValue(Double($0[0]) / 1000, count: Int($0[1])) : nil }
    }
}

/// CPU (percent of a core) and memory (MiB) samples of each group's instances, one per instance
/// per reading; the CPU share comes from two readings of the same process.
struct UsageSampler {
    private var last: [InstanceID: (cpu: Double, time: Date)] = [:]
    private var cpuSamples: [String: [(time: Date, value: Double)]] = [:]
    private var memorySamples: [String: [(time: Date, value: Double)]] = [:]
    private var instanceCounts: [String: Int] = [:]

    mutating func sample(canary: String, baselines: [String], cloud: any CloudProvider, at time: Date) async {
        for group in [canary] + baselines {
            let readings = (try? await cloud.instanceUsage(of: group)) ?? []
            if !readings.isEmpty { instanceCounts[group] = readings.count }
            for reading in readings {
                memorySamples[group, default: []].append((time, Double(reading.residentBytes) / 1_048_576))
                if let before = last[reading.instanceId], time.timeIntervalSince(before.time) > 0.2 {
                    let share = (reading.cpuSeconds - before.cpu) / time.timeIntervalSince(before.time) * 100
                    cpuSamples[group, default: []].append((time, max(0, share)))
                }
                last[reading.instanceId] = (reading.cpuSeconds, time)
            }
        }
    }

    /// The instances `groups` had at the last reading, nil when none reported.
    func instances(_ groups: [String]) -> Int? {
        let known = groups.compactMap { instanceCounts[$0] }
        return known.isEmpty ? nil : known.reduce(0, +)
    }

    func cpu(_ group: String, since: Date = .distantPast) -> [WeightedValue] {
        (cpuSamples[group] ?? []).filter { $0.time >= since }.map { WeightedValue($0.value) }
    }

    func memory(_ group: String, since: Date = .distantPast) -> [WeightedValue] {
        (memorySamples[group] ?? []).filter { $0.time >= since }.map { WeightedValue($0.value) }
    }
}
