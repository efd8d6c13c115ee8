import Foundation

/// What the reconcile loop saw of one instance.
public struct InstanceObservation: Sendable, Hashable {
    /// The stored record.
    public var record: InstanceRecord
    /// Whether its process runs.
    public var processAlive: Bool
    /// Whether it accepts connections on its port.
    public var portOpen: Bool
    /// Why a load balancer of its group finds it unhealthy, nil when none does.
    public var loadBalancerProblem: String?
    /// How its process ended ("exited with status 1"), when it did and that is known.
    public var exit: String?

    public init(record: InstanceRecord, processAlive: Bool, portOpen: Bool, loadBalancerProblem: String? = nil, exit: String? = nil) {
        self.record = record
        self.processAlive = processAlive
        self.portOpen = portOpen
        self.loadBalancerProblem = loadBalancerProblem
        self.exit = exit
    }
}

/// One step towards what a group should be.
public enum ReconcileAction: Sendable, Hashable {
    /// Start `count` new instances.
    case launch(count: Int, reason: String)
    /// The instance answers: Pending → InService.
    case markInService(InstanceID)
    /// The instance's check failed.
    case markUnhealthy(InstanceID, reason: String)
    /// End the instance.
    case terminate(InstanceID, reason: String)
}

/// The pure rules of a local auto scaling group: given the group and what was observed of its
/// instances at `now`, the actions that bring it towards its desired capacity, as AWS Auto
/// Scaling would take them.
public enum ServerGroupPlanner {
    public static func plan(_ group: ServerGroupRecord, instances: [InstanceObservation], now: Date) -> [ReconcileAction] {
        var actions: [ReconcileAction] = []
        var ending: Set<InstanceID> = []
        let live = instances.filter { $0.record.lifecycleState.countsTowardsCapacity }

        for observation in live {
            let record = observation.record
            var unhealthy = record.healthStatus == .unhealthy
            var why = record.statusReason
            if !observation.processAlive, !unhealthy, !group.isSuspended(.healthCheck) {
                why = "the instance's process " + (observation.exit.map { "ended: it \($0)" }
                    ?? "is no longer running (its exit status is unknown: an earlier run of the server started it)")
                actions.append(.markUnhealthy(record.instanceId, reason: why ?? ""))
                unhealthy = true
            }
            // ELB health checks count once the grace period after launch is over, as in AWS.
            if group.healthCheckType == .elb, !unhealthy, !group.isSuspended(.healthCheck), record.lifecycleState == .inService,
               let problem = observation.loadBalancerProblem,
               now.timeIntervalSince(record.launchTime) >= Double(group.healthCheckGracePeriod) {
                actions.append(.markUnhealthy(record.instanceId, reason: problem))
                why = problem
                unhealthy = true
            }
            if unhealthy {
                if !group.isSuspended(.replaceUnhealthy) {
                    actions.append(.terminate(record.instanceId,
                                              reason: "an instance was taken out of service in response to a failed health check"
                                                + (why.map { ": \($0)" } ?? "")))
                    ending.insert(record.instanceId)
                }
                continue
            }
            if record.lifecycleState == .pending, observation.processAlive, observation.portOpen {
                actions.append(.markInService(record.instanceId))
            }
        }

        let remaining = live.filter { !ending.contains($0.record.instanceId) }
        let capacity = remaining.count
        if capacity < group.desiredCapacity, !group.isSuspended(.launch) {
            let missing = group.desiredCapacity - capacity
            actions.append(.launch(count: missing, reason: capacity == 0 && ending.isEmpty
                ? "the group needs \(group.desiredCapacity) instance\(group.desiredCapacity == 1 ? "" : "s")"
                : "\(capacity) of \(group.desiredCapacity) instances are in service; launching \(missing)"))
        } else if capacity > group.desiredCapacity, !group.isSuspended(.terminate) {
            let excess = capacity - group.desiredCapacity
            // Instances protected from scale-in stay; with too few others the group stays larger.
            for record in choose(excess, from: remaining.map(\.record).filter { !$0.isProtected }, by: group.terminationPolicies) {
                actions.append(.terminate(record.instanceId,
                                          reason: "the desired capacity is \(group.desiredCapacity) and \(capacity) instances run; shrinking"))
            }
        }
        return actions
    }

    /// The `count` instances a termination policy ends first. Pending instances go before
    /// InService ones (they serve nobody yet); then the policy decides; the instance id breaks ties
    /// so the choice is reproducible.
    public static func choose(_ count: Int, from records: [InstanceRecord], by policies: [TerminationPolicy]) -> [InstanceRecord] {
        let policy = policies.first ?? .default
        let sorted = records.sorted { a, b in
            if (a.lifecycleState == .pending) != (b.lifecycleState == .pending) { return a.lifecycleState == .pending }
            switch policy {
            case .newestInstance:
                if a.launchTime != b.launchTime { return a.launchTime > b.launchTime }
            case .oldestInstance, .oldestLaunchConfiguration, .default:
                // All instances of a local group share one image, so the oldest launch
                // configuration and AWS's default (which then falls back to the oldest
                // launch, closest to the next billing hour) both pick the oldest instance.
                if a.launchTime != b.launchTime { return a.launchTime < b.launchTime }
            }
            return a.instanceId < b.instanceId
        }
        return Array(sorted.prefix(max(0, count)))
    }
}
