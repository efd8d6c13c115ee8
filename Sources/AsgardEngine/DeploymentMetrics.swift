import AsgardCore
import Foundation
import Metrics

/// What the engine counts for Prometheus, through swift-metrics (the server picks the backend):
/// each deployment's outcome and duration by strategy, and each canary judgment's outcome.
/// Labels take a handful of values each, never an id.
enum DeploymentMetrics {
    /// A deployment ended as `outcome` (succeeded, failed, rolledBack or canceled).
    static func finished(_ run: DeploymentRun, outcome: TaskStatus, at end: Date) {
        let strategy = run.request.strategy.rawValue
        Counter(label: "asgard_deployments_total", dimensions: [("strategy", strategy), ("outcome", outcome.rawValue)]).increment()
        Metrics.Timer(label: "asgard_deployment_duration_seconds", dimensions: [("strategy", strategy)])
            .recordSeconds(max(0, end.timeIntervalSince(run.task.startTime)))
    }

    /// A canary judgment came out as `outcome`: each interval's verdict of the fixed judge
    /// (pass, marginal, fail, …), or the sequential judge's decision (fail, inconclusive,
    /// promoted, pass).
    static func verdict(_ outcome: String) {
        Counter(label: "asgard_canary_verdicts_total", dimensions: [("outcome", outcome)]).increment()
    }
}
