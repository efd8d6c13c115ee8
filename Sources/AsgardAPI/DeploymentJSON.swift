import AsgardCore
import Foundation

/// A deployment as the API shows it: what was asked, where it is, and its log.
public struct DeploymentJSON: Codable, Sendable, Hashable {
    public var id: TaskID
    public var taskUrl: String
    public var cluster: String
    public var imageId: ImageID
    /// The image's application and version ("shop 2.1.0"); nil for deployments recorded before.
    public var imageName: String?
    public var strategy: DeploymentStrategy
    public var capacity: DeploymentCapacity
    public var status: TaskStatus
    public var user: String
    /// The region it runs in.
    public var region: String
    public var startTime: Date
    public var updateTime: Date
    /// The group it creates, once named.
    public var newGroup: String?
    /// The cluster's groups when it started.
    public var previousGroups: [String]
    public var steps: [Step]
    public var log: [TaskLogLine]?

    /// One step and how far it got.
    public struct Step: Codable, Sendable, Hashable {
        public var name: DeploymentStep
        /// What it does, in words ("resize the new group to 2 (50 %)").
        public var description: String
        /// `done`, `running`, `waiting` (for a judgment), `pending`, `failed`, `canceled` or `rolledBack`.
        public var state: String
        public var finishedTime: Date?
        /// Its settings, for a custom deployment.
        public var settings: PlannedStep?
    }

    /// The image as people know it: "shop 2.1.0 (img-aa34013c)", or its id alone.
    public var imageLabel: String { imageName.map { "\($0) (\(imageId))" } ?? imageId.rawValue }

    /// Set once the deployment rolls back: why.
    public var rollbackReason: String?
    /// Canary: the share of requests the canary gets now, in percent.
    public var canaryWeight: Int?
    /// Canary with a fresh baseline: its group.
    public var baselineGroup: String?
    /// Canary: every analysis interval, with the figures of both groups and the verdict.
    public var intervals: [CanaryInterval]?
    /// The sequential judge's evidence over time (a canary with `"judge": "sequential"`, a
    /// watched rolling push): per test the e-value against its threshold and the confidence
    /// sequence of the canary's rate over the baseline's; the point of the decision says which.
    public var evidence: [SequentialEvidence]?

    /// The API view of a deployment task, nil when `task` is not one.
    public init?(_ task: TaskRecord, includeLog: Bool) {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard task.objectType == .cluster, let input = task.input,
              let request = try? decoder.decode(DeploymentRequest.self, from: Data(input.utf8)) else { return nil }
        let state = task.checkpoint.flatMap { try? decoder.decode(DeploymentState.self, from: Data($0.utf8)) }
        let plan = request.plan
        let current = task.status == .succeeded ? plan.count : state?.step ?? 0
        id = task.id
        taskUrl = TaskJSON.url(for: task.id)
        cluster = request.cluster
        imageId = request.imageId
        imageName = request.imageName
        strategy = request.strategy
        capacity = request.capacity
        status = task.status
        user = task.user
        region = task.region ?? "local"
        startTime = task.startTime
        updateTime = task.updateTime
        newGroup = state?.newGroup ?? task.log.lazy.compactMap { DeploymentJSON.createdGroup(in: $0.message) }.first
        previousGroups = state?.previousGroups ?? []
        steps = plan.enumerated().map { index, step in
            let stepState = index < current ? "done" : index > current ? "pending"
                : task.status == .failed ? "failed" : task.status == .canceled ? "canceled" : task.status == .rolledBack ? "rolledBack"
                : task.status.isFinished ? "pending"
                : task.status == .waiting ? "waiting" : "running"
            return Step(name: step.type, description: step.summary(desired: request.capacity.desired), state: stepState,
                        finishedTime: state?.finished[index], settings: request.strategy == .custom ? step : nil)
        }
        canaryWeight = state?.canaryWeight
        baselineGroup = state?.baselineGroup
        intervals = request.strategy == .canary ? state?.intervals ?? [] : nil
        evidence = state?.evidence
        rollbackReason = state?.rollback?.reason
            ?? task.log.lazy.compactMap { $0.message.hasPrefix("Rolling back (") ? String($0.message.dropFirst(14).dropLast()) : nil }.last
        log = includeLog ? task.log : nil
    }

    /// The group a "Created NAME from …" log line names.
    static func createdGroup(in message: String) -> String? {
        guard message.hasPrefix("Created "), let name = message.dropFirst(8).split(separator: " ").first else { return nil }
        return String(name)
    }
}
