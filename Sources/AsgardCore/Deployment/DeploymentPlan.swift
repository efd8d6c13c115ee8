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

    /// The steps of `strategy`, in order.
    public static func plan(_ strategy: DeploymentStrategy) -> [DeploymentStep] {
        switch strategy {
        case .redBlack: [.createGroup, .waitHealthy, .disablePrevious, .trimDisabled]
        case .highlander: [.createGroup, .waitHealthy, .disablePrevious, .deletePrevious]
        }
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

    /// The state of a deployment that has not started.
    public init(previousGroups: [String]) {
        step = 0
        newGroup = nil
        self.previousGroups = previousGroups
        finished = [:]
    }

    /// The previous groups to delete after red/black: the disabled ones beyond the newest `keep`.
    public static func groupsToTrim(previous: [String], keep: Int) -> [String] {
        Array(previous.dropLast(max(0, keep)))
    }
}
