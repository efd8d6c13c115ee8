import AsgardCloud
import AsgardCore
import AsgardStore
import Foundation

/// Rolling a deployment back, as Asgard did and with its weak point fixed: the previous group
/// serves again **before** the new one is disabled; the new one is kept, disabled, for
/// inspection. Each part checks before it acts, so that a rollback interrupted by a crash goes
/// on after the restart.
extension DeploymentEngine {
    /// Rolls the deployment back and says what it did, in words.
    func rollBack(_ run: DeploymentRun, state: DeploymentState, since verdict: ContinuousClock.Instant? = nil) async throws -> String {
        if run.request.strategy == .rolling { return try await rollBackPush(run, state: state) }
        let canary = run.request.strategy == .canary ? try await rollBackCanary(run, state: state, since: verdict) : []
        let existing = Dictionary(try await cloud.serverGroups().map { ($0.autoScalingGroupName, $0) }, uniquingKeysWith: { a, _ in a })
        let new = state.newGroup.flatMap { existing[$0] }
        let previous = try targets(.previous, state)
        let back = previous.filter { existing[$0] != nil }
        var done: [String] = []
        if !previous.isEmpty, back.isEmpty {
            let kept = new.map { "; \($0.autoScalingGroupName) keeps serving" } ?? ""
            return "nothing to go back to: \(previous.joined(separator: ", ")) \(previous.count == 1 ? "was" : "were") deleted\(kept)"
        }
        for name in back {
            guard var group = existing[name] else { continue }
            if let sizes = state.serving?[name], group.desiredCapacity < sizes.desired {
                group.minSize = sizes.min
                group.desiredCapacity = sizes.desired
                group.maxSize = max(group.maxSize, sizes.max)
                _ = try await cloud.updateServerGroup(group, task: TaskDraft(
                    operation: "Resize \(name) back to \(sizes.desired)", objectType: .serverGroup, objectId: name, user: run.task.user, region: region,
                    status: .succeeded, log: [TaskLogLine(time: now(), message: "Rollback of deployment task \(run.id): back to \(sizes.min)/\(sizes.desired)/\(sizes.max)")], parent: run.id))
                done.append("resized \(name) back to \(sizes.desired)")
            }
            if !ClusterTraffic.isEnabled(group) {
                let (enabled, task) = try await operations.enable(group, user: run.task.user, parent: run.id)
                group = enabled
                try await log(run.id, "Enabled \(name) (task \(task.id))")
                done.append("enabled \(name)")
            }
            // All of it healthy, or at the deadline at least one instance (Asgard PR #594: never
            // take the traffic off the new group while the previous one cannot serve).
            let started = ContinuousClock.now
            var ready = 0
            let serving = group
            let all = try await ClusterOperations.poll(for: healthyTimeout, quickly: cloud.quickLooks, until: {
                ready = try await operations.readiness(of: serving).0
                return ready >= serving.desiredCapacity
            })
            if !all, ready == 0 {
                throw CloudError(.unavailable, "\(name) has no healthy instance; \(state.newGroup ?? "the new group") keeps the traffic")
            }
            try await log(run.id, "\(name): \(ready) healthy instance\(ready == 1 ? "" : "s") serve after \(ClusterOperations.milliseconds(since: started)) ms")
        }
        if let new, ClusterTraffic.isEnabled(new) {
            let (_, task) = try await operations.disable(new, force: true, user: run.task.user, parent: run.id)
            try await log(run.id, "Disabled \(new.autoScalingGroupName) (task \(task.id)); it stays for inspection")
            done.append("disabled \(new.autoScalingGroupName), kept for inspection")
        } else if let new, !canary.contains(where: { $0.hasPrefix("disabled \(new.autoScalingGroupName)") }) {
            done.append("\(new.autoScalingGroupName) was not taking traffic and is kept for inspection")
        } else if new != nil {
            // The canary's rollback disabled it already.
        } else {
            done.append("the new group was never created")
        }
        if !back.isEmpty { done.append("\(back.joined(separator: ", ")) serve\(back.count == 1 ? "s" : "") \(run.request.cluster)") }
        return (canary + done).joined(separator: "; ")
    }

    /// Rolls a rolling push back: the group launches from its previous image again and the
    /// instances already replaced are replaced once more, drained first.
    private func rollBackPush(_ run: DeploymentRun, state: DeploymentState) async throws -> String {
        guard let name = state.newGroup, let old = state.previousImage else { return "the group's image was not changed yet; nothing to undo" }
        guard let group = try await cloud.serverGroup(named: name) else { return "\(name) is gone; nothing to undo" }
        if group.imageId != old { try await setImage(of: group, to: old, run) }
        var taken = Set<InstanceID>()
        try await relaunch(name, to: old, options: RollingOptions(concurrentRelaunches: run.request.rolling?.concurrentRelaunches ?? 1),
                           taken: &taken, run, step: .relaunch, takesSignals: false, failsFast: false, record: { _ in })
        return "\(name) launches from \(old) again; \(taken.count) instance\(taken.count == 1 ? "" : "s") replaced back"
    }
}
