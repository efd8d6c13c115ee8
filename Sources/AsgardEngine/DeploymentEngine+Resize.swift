import AsgardCloud
import AsgardCore
import AsgardStore
import Foundation

/// Resizing a group in batches as a durable task: it holds its cluster's lock (no deployment
/// meanwhile), saves the batches done, and goes on after a restart.
extension DeploymentEngine {
    /// Records a resize of `group` and starts it.
    ///
    /// - Throws: `CloudError.invalidRequest` for impossible sizes; `StoreError.conflict` while a
    ///   deployment or another resize of the cluster runs.
    public func resize(_ group: ServerGroupRecord, to capacity: DeploymentCapacity, batchSize: Int?, user: String) async throws -> TaskRecord {
        let c = capacity
        guard 0 <= c.min, c.min <= c.desired, c.desired <= c.max, c.max <= 50 else {
            throw CloudError(.invalidRequest, "capacity: needs 0 <= minSize <= desiredCapacity <= maxSize <= 50; got \(c.min)/\(c.desired)/\(c.max)")
        }
        if let batchSize, batchSize < 1 { throw CloudError(.invalidRequest, "batchSize: \(batchSize) must be at least 1") }
        let name = group.autoScalingGroupName
        let order = GroupResizeOrder(group: name, from: group.desiredCapacity, to: capacity, batchSize: batchSize)
        let task = try await tasks.createExclusiveTask(TaskDraft(
            operation: "Resize \(name)", objectType: .cluster, objectId: group.names?.cluster ?? name, user: user, region: region, status: .running,
            log: [TaskLogLine(time: now(), message: "Resizing \(name) from \(group.minSize)/\(group.desiredCapacity)/\(group.maxSize) to \(c.min)/\(c.desired)/\(c.max) (min/desired/max)"
                + (order.batches.count > 1 ? " in batches: \(order.batches.map(String.init).joined(separator: ", "))" : ""))],
            input: String(decoding: try Self.encoder.encode(order), as: UTF8.self)),
            checkpoint: "0")
        startTask(task.id)
        return task
    }

    /// Waits until the task ends (or `timeout` passes) and answers it.
    public func waitForEnd(of id: TaskID, timeout: Duration) async throws -> TaskRecord? {
        var last: TaskRecord?
        _ = try await ClusterOperations.poll(for: timeout, until: {
            last = try await tasks.task(id)
            return last?.status.isFinished ?? true
        })
        return last
    }

    /// Runs a resize from its checkpoint (the number of batches done) to its end.
    func executeResize(_ task: TaskRecord, _ order: GroupResizeOrder) async {
        let id = task.id
        let name = order.group
        var done = Int(task.checkpoint ?? "0") ?? 0
        do {
            let takeCancel = {
                if let (signal, user) = try await self.pendingSignal(id), signal == .cancel { throw ResizeCanceled(user: user) }
            }
            while done < order.batches.count {
                if Task.isCancelled { return }
                try await takeCancel()
                try await confirmOwnership(of: id)
                guard var group = try await cloud.serverGroup(named: name) else { throw CloudError(.notFound, "the server group \(name) is gone") }
                let target = order.batches[done]
                if group.desiredCapacity != target || group.minSize > target || group.maxSize < target {
                    group.minSize = min(order.capacity.min, target)
                    group.desiredCapacity = target
                    group.maxSize = max(order.capacity.max, target)
                    _ = try await cloud.updateServerGroup(group, task: TaskDraft(
                        operation: "Resize \(name) to \(target)", objectType: .serverGroup, objectId: name, user: task.user, region: region, status: .succeeded,
                        log: [TaskLogLine(time: now(), message: "Batch \(done + 1) of \(order.batches.count) of resize task \(id): desired capacity \(target)")], parent: id))
                }
                if target > order.startDesired {
                    let started = ContinuousClock.now
                    let grown = group
                    guard try await ClusterOperations.poll(for: healthyTimeout, quickly: cloud.quickLooks, between: takeCancel, until: { try await operations.readiness(of: grown).0 >= target }) else {
                        throw CloudError(.unavailable, "\(name) did not reach \(target) healthy instances within \(healthyTimeout)")
                    }
                    try await log(id, "\(target) instances InService and healthy after \(ClusterOperations.milliseconds(since: started)) ms")
                }
                done += 1
                try await tasks.saveCheckpoint(id, String(done), at: now())
                faults.afterStep(done)
            }
            guard var group = try await cloud.serverGroup(named: name) else { throw CloudError(.notFound, "the server group \(name) is gone") }
            let c = order.capacity
            if group.minSize != c.min || group.maxSize != c.max {
                group.minSize = c.min
                group.maxSize = c.max
                _ = try await cloud.updateServerGroup(group, task: TaskDraft(
                    operation: "Set the sizes of \(name)", objectType: .serverGroup, objectId: name, user: task.user, region: region, status: .succeeded,
                    log: [TaskLogLine(time: now(), message: "Final sizes of resize task \(id): \(c.min)/\(c.desired)/\(c.max)")], parent: id))
            }
            try await log(id, "Resized \(name) to \(c.min)/\(c.desired)/\(c.max)")
            try await tasks.updateTask(id, status: .succeeded, checkpoint: nil, at: now())
        } catch let canceled as ResizeCanceled {
            try? await log(id, "Canceled by \(canceled.user) after \(done) of \(order.batches.count) batches; \(name) keeps its current size")
            try? await tasks.updateTask(id, status: .canceled, checkpoint: nil, at: now())
        } catch is CancellationError {
            return
        } catch where Task.isCancelled {
            return
        } catch let error as StoreError where error.code == .leaseLost {
            return
        } catch {
            try? await log(id, "Resize failed: \(error)")
            try? await tasks.updateTask(id, status: .failed, checkpoint: nil, at: now())
        }
    }
}

/// A resize someone canceled.
struct ResizeCanceled: Error {
    let user: String
}
