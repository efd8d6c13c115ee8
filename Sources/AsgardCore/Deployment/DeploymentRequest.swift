import Foundation

/// How a deployment moves users to the new version. Stored by raw value.
public enum DeploymentStrategy: String, CaseIterable, Sendable, Codable {
    /// Create the next group, wait until it is healthy, enable it, disable the previous ones and
    /// keep the newest disabled group for an instant rollback.
    case redBlack
    /// Red/black, then delete every previous group.
    case highlander
    /// Asgard's rolling push: the newest group takes the new image and its instances are
    /// replaced a few at a time, each drained from its load balancers first.
    case rolling
    /// Asgard's automated deployment: the request's own ordered steps, with judgments.
    case custom
    /// A new group next to the current one behind the same load balancer, given exact shares of
    /// the requests, judged statistically against a baseline, rolled back on a failing verdict.
    case canary
}

/// Where a deployment reports its events: a JSON POST to `webhookUrl` on start, success,
/// failure and cancel, retried, never holding the deployment up.
public struct DeploymentNotification: Sendable, Hashable, Codable {
    public var webhookUrl: String

    /// Creates a notification target.
    public init(webhookUrl: String) {
        self.webhookUrl = webhookUrl
    }

    /// True for an absolute http or https URL with a host.
    public var isWellFormed: Bool {
        guard let url = URL(string: webhookUrl), let scheme = url.scheme?.lowercased(), url.host != nil else { return false }
        return scheme == "http" || scheme == "https"
    }
}

/// How a rolling push replaces instances, with Asgard's names.
public struct RollingOptions: Sendable, Hashable, Codable {
    /// How many instances to replace (default: all).
    public var relaunchCount: Int?
    /// How many at a time (default 1).
    public var concurrentRelaunches: Int
    /// Replace the newest instances first (default: the oldest first).
    public var newestFirst: Bool
    /// Terminate without draining first.
    public var rudeShutdown: Bool
    /// Seconds to wait after a replacement is healthy before the next slot.
    public var afterBootWait: Int
    /// Seconds the sequential judge watches each batch's new instances against the old ones
    /// behind the same load balancers (nil or 0: not watched); a regression stops the push and
    /// rolls back what was replaced.
    public var watchSeconds: Int?
    /// The watch's false-alarm probability (default 0.01).
    public var alpha: Double?
    /// A watched batch passes early, once shown within tolerance, only after this (default 30).
    public var minimumSeconds: Int?

    /// Creates options.
    public init(relaunchCount: Int? = nil, concurrentRelaunches: Int = 1, newestFirst: Bool = false, rudeShutdown: Bool = false,
                afterBootWait: Int = 0, watchSeconds: Int? = nil, alpha: Double? = nil, minimumSeconds: Int? = nil) {
        self.watchSeconds = watchSeconds
        self.alpha = alpha
        self.minimumSeconds = minimumSeconds
        self.relaunchCount = relaunchCount
        self.concurrentRelaunches = concurrentRelaunches
        self.newestFirst = newestFirst
        self.rudeShutdown = rudeShutdown
        self.afterBootWait = afterBootWait
    }
}

/// The sizes of the group a deployment creates.
public struct DeploymentCapacity: Sendable, Hashable, Codable {
    public var min: Int
    public var desired: Int
    public var max: Int

    /// Creates a capacity.
    public init(min: Int, desired: Int, max: Int) {
        self.min = min
        self.desired = desired
        self.max = max
    }
}

/// What `POST /{region}/deployment/start` asks for.
public struct DeploymentRequest: Sendable, Hashable, Codable {
    public var cluster: String
    public var imageId: ImageID
    /// The image's application and version ("shop 2.1.0"), kept when the deployment starts.
    public var imageName: String?
    public var strategy: DeploymentStrategy
    public var capacity: DeploymentCapacity
    /// The load balancers of the new group; nil: those of the newest group of the cluster.
    public var loadBalancers: [String]?
    /// Disabled previous groups red/black keeps for a rollback (default 1).
    public var keepDisabledGroups: Int?
    /// How a rolling push replaces instances.
    public var rolling: RollingOptions?
    /// Rolling push: the group to push to (default: the cluster's newest).
    public var serverGroup: String?
    /// Where to POST the deployment's events.
    public var notification: DeploymentNotification?
    /// Custom: the steps, in order.
    public var steps: [PlannedStep]?
    /// Canary: its steps, analysis and baseline.
    public var canary: CanarySettings?
    /// How long a group may take to become healthy (at each step that waits for it) before the
    /// deployment fails and rolls back; default 600.
    public var startupTimeoutSeconds: Int?

    /// Creates a request.
    public init(cluster: String, imageId: ImageID, strategy: DeploymentStrategy, capacity: DeploymentCapacity,
                loadBalancers: [String]? = nil, keepDisabledGroups: Int? = nil, rolling: RollingOptions? = nil) {
        self.cluster = cluster
        self.imageId = imageId
        self.strategy = strategy
        self.capacity = capacity
        self.loadBalancers = loadBalancers
        self.keepDisabledGroups = keepDisabledGroups
        self.rolling = rolling
    }

    /// The steps the deployment runs, in order.
    public var plan: [PlannedStep] {
        switch strategy {
        case .custom: return steps ?? []
        case .canary:
            guard let canary else { return [] }
            return [PlannedStep(.createGroup)] + (canary.baseline == .fresh ? [PlannedStep(.createBaseline)] : [])
                + canary.steps.map { step -> PlannedStep in
                    switch step {
                    case .setWeight(let weight): PlannedStep(.setWeight, percent: weight)
                    case .analyze(let duration, let interval, let minimum):
                        PlannedStep(.analyze, seconds: duration, intervalSeconds: interval, minimumSeconds: minimum)
                    case .pause(let duration): PlannedStep(.pause, seconds: duration)
                    }
                } + [PlannedStep(.promote)]
        default: return DeploymentStep.plan(strategy).map { PlannedStep($0) }
        }
    }

    /// Every rule the request breaks on its own, by field.
    public var problems: [FieldError] {
        var problems: [FieldError] = []
        if Names(parsing: cluster)?.cluster != cluster || Names(parsing: cluster)?.push != nil {
            problems.append(FieldError(field: "cluster", message: "'\(cluster)' is not a cluster name (app-stack-detail without a push version)"))
        }
        let c = capacity
        let sizes = InputLimits.deploymentSize
        if c.min < sizes.lowerBound || c.max > sizes.upperBound || !(c.min <= c.desired && c.desired <= c.max) {
            problems.append(FieldError(field: "capacity", message: "needs 0 <= min <= desired <= max <= \(sizes.upperBound); got min \(c.min), desired \(c.desired), max \(c.max)"))
        }
        if let rolling {
            if !(1...sizes.upperBound).contains(rolling.concurrentRelaunches) {
                problems.append(FieldError(field: "concurrentRelaunches", message: "\(rolling.concurrentRelaunches) must be from 1 to \(sizes.upperBound)"))
            }
            if let count = rolling.relaunchCount, let problem = InputLimits.problem("relaunchCount", count, InputLimits.awsGroupSize) {
                problems.append(problem)
            }
            if let problem = InputLimits.problem("afterBootWait", rolling.afterBootWait, InputLimits.afterBootWait, unit: " seconds") {
                problems.append(problem)
            }
            if let watch = rolling.watchSeconds, let problem = InputLimits.problem("watchSeconds", watch, InputLimits.judgeSeconds, unit: " seconds") {
                problems.append(problem)
            }
            if let minimum = rolling.minimumSeconds, let problem = InputLimits.problem("minimumSeconds", minimum, InputLimits.judgeSeconds, unit: " seconds") {
                problems.append(problem)
            }
            if let alpha = rolling.alpha, !InputLimits.isAlpha(alpha) {
                problems.append(FieldError(field: "alpha", message: "\(alpha) must be above 0 and at most 0.2, e.g. 0.01 (the watch's false-alarm probability)"))
            }
        }
        if let notification, !notification.isWellFormed {
            problems.append(FieldError(field: "notification", message: "webhookUrl '\(notification.webhookUrl)' must be an http:// or https:// URL"))
        }
        if strategy == .canary {
            if let canary {
                problems += canary.problems
            } else {
                problems.append(FieldError(field: "canary", message: "a canary deployment needs {\"steps\": [{\"setWeight\": 10}, {\"analyze\": {\"durationSeconds\": 60}}, {\"setWeight\": 100}]}"))
            }
        } else if canary != nil {
            problems.append(FieldError(field: "canary", message: "only a canary deployment takes canary settings"))
        }
        if strategy == .custom {
            problems += PlannedStep.problems(of: steps ?? [], max: capacity.max)
        } else if steps != nil {
            problems.append(FieldError(field: "steps", message: "only a custom deployment takes steps; \(strategy.rawValue) has its own"))
        }
        if let timeout = startupTimeoutSeconds, let problem = InputLimits.problem("startupTimeoutSeconds", timeout, InputLimits.startupTimeoutSeconds) {
            problems.append(problem)
        }
        if let keep = keepDisabledGroups, let problem = InputLimits.problem("keepDisabledGroups", keep, InputLimits.keepDisabledGroups) {
            problems.append(problem)
        }
        return problems
    }
}
