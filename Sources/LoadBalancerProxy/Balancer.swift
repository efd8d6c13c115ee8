import AsgardCore
import NIOCore
import Synchronization

/// An instance a request goes to.
struct BackendTarget: Sendable, Hashable {
    let instanceId: InstanceID
    let group: String
    let port: Int
}

/// Why a request found no instance.
enum NoTarget: Error, Sendable, Hashable {
    /// Nothing is registered at all.
    case noneRegistered
    /// Instances are registered but none passes its checks.
    case noneHealthy(registered: Int)
    /// Every healthy instance was tried already.
    case allTried
}

/// The routing state shared by every event loop: which instances are registered and healthy,
/// how many requests each has in flight, which are draining, and the rotations that pick the
/// next one. Two short locked sections per request.
final class Balancer: Sendable {
    private struct Health {
        var state: TargetHealth = .initial
        var passes = 0
        var failures = 0
        var reason: String?
        /// When a failure last counted toward the unhealthy threshold.
        var failureCounted: ContinuousClock.Instant?
    }

    private struct Draining {
        var target: BackendTarget
        var deadline: NIODeadline
    }

    private struct State {
        var routing: LoadBalancerRouting
        var health: [InstanceID: Health] = [:]
        var outstanding: [InstanceID: Int] = [:]
        var draining: [InstanceID: Draining] = [:]
        var rotation = WeightedRotation()
        var turn: [String: Int] = [:]
        /// Derived from the routing and health whenever either changes, so that a pick
        /// allocates nothing: the healthy instances of each group, and of all groups.
        var healthyByGroup: [String: [BackendTarget]] = [:]
        var weightedChoices: [(name: String, weight: Int)] = []
        var weighted = false
        var allHealthy: [BackendTarget] = []
        var registered = 0

        mutating func derive() {
            healthyByGroup = [:]
            allHealthy = []
            weightedChoices = []
            registered = 0
            weighted = routing.groups.contains { $0.weight != nil }
            for group in routing.groups {
                registered += group.instances.count
                let healthy = group.instances.filter { health[$0.instanceId]?.state == .healthy }
                    .map { BackendTarget(instanceId: $0.instanceId, group: group.name, port: $0.port) }
                guard !healthy.isEmpty else { continue }
                healthyByGroup[group.name] = healthy
                allHealthy += healthy
                weightedChoices.append((group.name, group.weight ?? 0))
            }
        }
    }

    private let state: Mutex<State>
    /// Seconds an instance may take to answer, read once per request without the lock.
    private let idleTimeout: Atomic<Int>
    /// Wakes the health checker: a new routing, or a check of a new instance that ended.
    let checkerWakeup = Wakeup()

    init(routing: LoadBalancerRouting) {
        var initial = State(routing: routing)
        initial.derive()
        state = Mutex(initial)
        idleTimeout = Atomic(routing.idleTimeoutSeconds ?? LoadBalancerRecord.defaultIdleTimeout)
    }

    /// How long an instance may take to answer a request before the load balancer answers 504.
    var idleTimeoutSeconds: Int { idleTimeout.load(ordering: .relaxed) }

    var routing: LoadBalancerRouting { state.withLock { $0.routing } }

    /// Replaces the routing. Instances that leave it drain; instances that stay keep their health.
    func apply(_ routing: LoadBalancerRouting, now: NIODeadline = .now()) {
        state.withLock { state in
            let next = Set(routing.groups.flatMap { $0.instances.map(\.instanceId) })
            for group in state.routing.groups {
                for instance in group.instances where !next.contains(instance.instanceId) {
                    state.health[instance.instanceId] = nil
                    if state.outstanding[instance.instanceId, default: 0] > 0 {
                        state.draining[instance.instanceId] = Draining(
                            target: BackendTarget(instanceId: instance.instanceId, group: group.name, port: instance.port),
                            deadline: now + .seconds(Int64(routing.drainingTimeout)))
                    }
                }
            }
            for id in next { state.draining[id] = nil }
            state.routing = routing
            state.derive()
        }
        idleTimeout.store(routing.idleTimeoutSeconds ?? LoadBalancerRecord.defaultIdleTimeout, ordering: .relaxed)
        checkerWakeup.signal()
    }

    /// The instance for the next request, counted as in flight until `finished`.
    func pick(excluding tried: [InstanceID]) -> Result<BackendTarget, NoTarget> {
        state.withLock { state in
            guard state.registered > 0 else { return .failure(.noneRegistered) }
            guard !state.allHealthy.isEmpty else { return .failure(.noneHealthy(registered: state.registered)) }
            var pool: [BackendTarget]
            let key: String
            if state.weighted {
                var choices = state.weightedChoices
                if !tried.isEmpty {
                    choices = choices.filter { choice in state.healthyByGroup[choice.name]?.contains { !tried.contains($0.instanceId) } ?? false }
                }
                guard let name = state.rotation.next(choices), let group = state.healthyByGroup[name] else {
                    return .failure(tried.isEmpty ? .noneHealthy(registered: state.registered) : .allTried)
                }
                pool = group
                key = name
            } else {
                pool = state.allHealthy
                key = ""
            }
            if !tried.isEmpty {
                pool = pool.filter { !tried.contains($0.instanceId) }
                guard !pool.isEmpty else { return .failure(.allTried) }
            }
            let turn = state.turn[key, default: 0]
            state.turn[key] = turn &+ 1
            var chosen = pool[turn % pool.count]
            if state.routing.algorithm == .leastOutstandingRequests {
                for offset in 1..<max(1, pool.count) {
                    let candidate = pool[(turn + offset) % pool.count]
                    if state.outstanding[candidate.instanceId, default: 0] < state.outstanding[chosen.instanceId, default: 0] {
                        chosen = candidate
                    }
                }
            }
            state.outstanding[chosen.instanceId, default: 0] += 1
            return .success(chosen)
        }
    }

    /// A request to `target` ended, answered or not.
    func finished(_ target: BackendTarget) {
        state.withLock { state in
            let left = state.outstanding[target.instanceId, default: 1] - 1
            state.outstanding[target.instanceId] = left > 0 ? left : nil
            if left <= 0 { state.draining[target.instanceId] = nil }
        }
    }

    /// True while new requests may go to `target` over a kept-alive connection.
    func isRouted(_ target: BackendTarget) -> Bool {
        state.withLock { $0.health[target.instanceId]?.state == .healthy }
    }

    /// True while `target` has not yet passed its health checks since it was registered.
    func isInitial(_ target: BackendTarget) -> Bool {
        state.withLock { ($0.health[target.instanceId]?.state ?? .initial) == .initial }
    }

    /// The registered instances, to health-check.
    func registered() -> [BackendTarget] {
        state.withLock { state in
            state.routing.groups.flatMap { group in
                group.instances.map { BackendTarget(instanceId: $0.instanceId, group: group.name, port: $0.port) }
            }
        }
    }

    /// Counts one health check of `target`: the thresholds turn its state. An instance that has
    /// not passed yet is checked more often than `HealthChecker.initialCap`, but its failures
    /// count at most once per that time, so that it turns unhealthy no sooner than before.
    func recordCheck(_ target: BackendTarget, passed: Bool, reason: String?, at now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            guard state.routing.groups.contains(where: { $0.instances.contains { $0.instanceId == target.instanceId && $0.port == target.port } }) else { return }
            var health = state.health[target.instanceId] ?? Health()
            let check = state.routing.healthCheck
            if passed {
                health.passes += 1
                health.failures = 0
                if health.state != .healthy, health.passes >= check.healthyThreshold { health.state = .healthy }
                // A healthy instance that passes has nothing to explain.
                if health.state == .healthy { health.reason = nil }
            } else {
                health.passes = 0
                if health.state != .initial || health.failureCounted.map({ now - $0 >= HealthChecker.initialCap }) ?? true {
                    health.failures += 1
                    health.failureCounted = now
                }
                if health.failures >= check.unhealthyThreshold { health.state = .unhealthy }
                // The reason says where the instance stands: a healthy one is only on its way out.
                health.reason = health.state == .healthy
                    ? "still healthy; \(health.failures) of \(check.unhealthyThreshold) failed checks turn it unhealthy: \(reason ?? "the check failed")"
                    : reason
            }
            let changed = state.health[target.instanceId]?.state != health.state
            state.health[target.instanceId] = health
            if changed { state.derive() }
        }
    }

    /// Health, in-flight counts and the draining instances, for the traffic report.
    func snapshot(now: NIODeadline = .now()) -> (health: [InstanceID: (TargetHealth, String?)], outstanding: [InstanceID: Int], draining: [BackendTarget]) {
        state.withLock { state in
            state.draining = state.draining.filter { $0.value.deadline > now }
            return (state.health.mapValues { ($0.state, $0.reason) }, state.outstanding, state.draining.values.map(\.target))
        }
    }

    /// Requests in flight in all.
    var inFlight: Int { state.withLock { $0.outstanding.values.reduce(0, +) } }
}
