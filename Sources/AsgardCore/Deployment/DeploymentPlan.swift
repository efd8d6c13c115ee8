import Foundation

/// One step of a deployment. Each is idempotent or checks before it acts, so a deployment
/// resumed after a crash can run its current step again.
public enum DeploymentStep: String, Sendable, Hashable, Codable {
    /// Create the cluster's next server group (its name is fixed before it is created).
    case createGroup
    /// Wait until every instance of the new group is InService and healthy in its load balancers.
    case waitHealthy
    /// Disable every previous group that takes traffic, draining it.
    case disablePrevious
    /// Delete the disabled previous groups beyond those kept for a rollback.
    case trimDisabled
    /// Delete every previous group.
    case deletePrevious
    /// Rolling push: give the newest group the new image.
    case updateImage
    /// Rolling push: replace its instances a few at a time, each drained first.
    case relaunch
    /// Custom: set a group's desired capacity and wait until it is healthy.
    case resize
    /// Custom: wait a number of seconds.
    case wait
    /// Custom: wait for a person's decision (proceed or roll back) until a timeout, which rolls back.
    case judgment
    /// Custom: enable a group's traffic.
    case enableGroup
    /// Custom: disable a group's traffic, draining it.
    case disableGroup
    /// Custom: delete a group after draining it.
    case deleteGroup
    /// Canary: launch a baseline group of the current image with the canary's size.
    case createBaseline
    /// Canary: send this share of requests to the canary.
    case setWeight
    /// Canary: judge the canary against its baseline, interval by interval.
    case analyze
    /// Canary: wait for a decision, or proceed when the duration ends.
    case pause
    /// Canary: make the canary the only enabled group, remove the baseline and the weights.
    case promote

    /// The steps of a built-in `strategy`, in order; none for `custom`, whose request lists them.
    public static func plan(_ strategy: DeploymentStrategy) -> [DeploymentStep] {
        switch strategy {
        case .redBlack: [.createGroup, .waitHealthy, .disablePrevious, .trimDisabled]
        case .highlander: [.createGroup, .waitHealthy, .disablePrevious, .deletePrevious]
        case .rolling: [.updateImage, .relaunch]
        case .custom, .canary: []
        }
    }
}

/// Why and how a deployment is being rolled back; kept in its checkpoint so that a rollback
/// interrupted by a crash goes on after the restart.
public struct RollbackOrder: Sendable, Hashable, Codable {
    /// Why, in words ("canceled by alice", "no judgment within 5 minutes").
    public var reason: String
    /// How the task ends once the rollback is done: `failed`, `canceled`, or `rolledBack` when a
    /// person asked for it.
    public var outcome: TaskStatus

    /// Creates an order.
    public init(reason: String, outcome: TaskStatus) {
        self.reason = reason
        self.outcome = outcome
    }
}

/// Where a deployment is: persisted as its task's checkpoint after every step.
public struct DeploymentState: Sendable, Hashable, Codable {
    /// The index of the next step to run.
    public var step: Int
    /// The group it creates, named before it exists.
    public var newGroup: String?
    /// The cluster's groups when it started, oldest first.
    public var previousGroups: [String]
    /// When each step finished, by step index.
    public var finished: [Int: Date]
    /// Rolling push: the instances already replaced (or being replaced).
    public var relaunched: [InstanceID]?
    /// The groups of the cluster that took traffic when it started, with their sizes: a
    /// rollback enables them again (and gives them back their size).
    public var serving: [String: DeploymentCapacity]?
    /// Rolling push: the image the group launched from before.
    public var previousImage: ImageID?
    /// When the current `wait` or `judgment` step ends, fixed when it starts so that a restart
    /// does not extend it.
    public var waitUntil: Date?
    /// When the current step's wait for healthy instances times out, fixed when it first waits
    /// so that a restart does not start the startup timeout again.
    public var healthyBy: Date?
    /// Set once the deployment rolls back.
    public var rollback: RollbackOrder?
    /// Canary: the share of requests the canary gets now.
    public var canaryWeight: Int?
    /// Canary with a fresh baseline: its group, named before it exists.
    public var baselineGroup: String?
    /// Canary: every analysis interval so far.
    public var intervals: [CanaryInterval]?
    /// Canary with the sequential judge (and a watched rolling push): its evidence over time,
    /// every second of a step's first minute, then every report, and the decision.
    public var evidence: [SequentialEvidence]?

    /// The state of a deployment that has not started.
    public init(previousGroups: [String]) {
        step = 0
        newGroup = nil
        self.previousGroups = previousGroups
        finished = [:]
        relaunched = nil
    }

    /// The group that served before: the newest of those that took traffic at the start.
    public var previousServingGroup: String? {
        previousGroups.last { serving?[$0] != nil } ?? (serving == nil ? previousGroups.last : nil)
    }

    /// The instances a rolling push replaces next: up to `count` of those still on another image
    /// than `image` and not yet taken, oldest first unless `newestFirst`.
    public static func nextToRelaunch(_ instances: [InstanceRecord], image: ImageID, taken: Set<InstanceID>, count: Int,
                                      newestFirst: Bool) -> [InstanceRecord] {
        let candidates = instances.filter { $0.imageId != image && !taken.contains($0.instanceId) && $0.lifecycleState.countsTowardsCapacity }
            .sorted { newestFirst ? ($0.launchTime, $0.instanceId) > ($1.launchTime, $1.instanceId) : ($0.launchTime, $0.instanceId) < ($1.launchTime, $1.instanceId) }
        return Array(candidates.prefix(max(0, count)))
    }

    /// The previous groups to delete after red/black: all but `keep`, keeping first those that
    /// served when the deployment began (a rollback goes back to them, even when a newer group
    /// was disabled by an earlier rollback), newest first, then the newest others.
    public static func groupsToTrim(previous: [String], serving: Set<String> = [], keep: Int) -> [String] {
        let ordered = previous.filter { serving.contains($0) }.reversed() + previous.filter { !serving.contains($0) }.reversed()
        let kept = Set(ordered.prefix(max(0, keep)))
        return previous.filter { !kept.contains($0) }
    }
}
