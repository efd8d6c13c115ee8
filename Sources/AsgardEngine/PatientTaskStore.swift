import AsgardCore
import AsgardStore
import Foundation
import Logging

/// The engine's view of the task store when it is a shared database: a write or read that finds
/// the database away waits until it answers again (trying every `retryEvery`), so that a running
/// deployment pauses at its next checkpoint and goes on when the database is back, instead of
/// failing for a network blip. Creating a task is not retried: a person asked for it and gets a
/// 503 at once.
public struct PatientTaskStore: TaskStore {
    let base: any TaskStore
    let retryEvery: Duration
    let logger: Logger

    public init(_ base: any TaskStore, retryEvery: Duration = .seconds(1), logger: Logger) {
        self.base = base
        self.retryEvery = retryEvery
        self.logger = logger
    }

    /// Runs `call` until it does not fail for an unavailable database (or the task is cancelled).
    func patiently<T: Sendable>(_ what: String, _ call: () async throws -> T) async throws -> T {
        var warned = false
        while true {
            do {
                let value = try await call()
                if warned { logger.notice("The database answers again: \(what) went through") }
                return value
            } catch let error as StoreError where error.code == .databaseUnavailable {
                if !warned { logger.warning("\(what) waits for the database: \(error.message)") }
                warned = true
                try await Task.sleep(for: retryEvery)
            }
        }
    }

    public func createTask(_ draft: TaskDraft) async throws -> TaskRecord { try await base.createTask(draft) }

    public func createExclusiveTask(_ draft: TaskDraft, checkpoint: String?) async throws -> TaskRecord {
        try await base.createExclusiveTask(draft, checkpoint: checkpoint)
    }

    public func saveCheckpoint(_ id: TaskID, _ checkpoint: String, at time: Date) async throws {
        try await patiently("The checkpoint of task \(id)") { try await base.saveCheckpoint(id, checkpoint, at: time) }
    }

    public func appendLog(to id: TaskID, _ line: TaskLogLine) async throws {
        try await patiently("A log line of task \(id)") { try await base.appendLog(to: id, line) }
    }

    public func updateTask(_ id: TaskID, status: TaskStatus, checkpoint: String?, at time: Date) async throws {
        try await patiently("The status of task \(id)") { try await base.updateTask(id, status: status, checkpoint: checkpoint, at: time) }
    }

    public func sendSignal(_ signal: TaskSignal, to id: TaskID, by user: String, at time: Date) async throws {
        try await base.sendSignal(signal, to: id, by: user, at: time)
    }

    public func clearSignal(of id: TaskID) async throws {
        try await patiently("Clearing the signal of task \(id)") { try await base.clearSignal(of: id) }
    }

    public func task(_ id: TaskID) async throws -> TaskRecord? {
        try await patiently("Reading task \(id)") { try await base.task(id) }
    }

    public func tasks(_ query: TaskQuery) async throws -> TaskPage {
        try await patiently("Listing tasks") { try await base.tasks(query) }
    }

    public func innerTaskCounts(of ids: [TaskID]) async throws -> [TaskID: Int] { try await base.innerTaskCounts(of: ids) }
}
