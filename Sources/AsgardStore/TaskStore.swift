import AsgardCore
import Foundation

/// Which tasks to list, newest first.
public struct TaskQuery: Sendable, Hashable {
    /// Only tasks with this status.
    public var status: TaskStatus?
    /// Only tasks about this object type.
    public var objectType: TaskObjectType?
    /// Only tasks about this object id.
    public var objectId: String?
    /// At most this many.
    public var limit: Int
    /// Skip this many of the newest.
    public var offset: Int
    /// Only the tasks people started, not those that are steps of another.
    public var topLevelOnly: Bool
    /// Only the steps of this task.
    public var parent: TaskID?
    /// Only tasks of this user.
    public var user: String?

    /// Creates a query.
    public init(status: TaskStatus? = nil, objectType: TaskObjectType? = nil, objectId: String? = nil,
                limit: Int = 100, offset: Int = 0, topLevelOnly: Bool = false, parent: TaskID? = nil, user: String? = nil) {
        self.topLevelOnly = topLevelOnly
        self.parent = parent
        self.user = user
        self.status = status
        self.objectType = objectType
        self.objectId = objectId
        self.limit = limit
        self.offset = offset
    }
}

/// A page of tasks and how many match in all.
public struct TaskPage: Sendable, Hashable {
    /// The tasks of the page, newest first, without their log lines.
    public var tasks: [TaskRecord]
    /// How many tasks match the query in all.
    public var total: Int

    /// Creates a page.
    public init(tasks: [TaskRecord], total: Int) {
        self.tasks = tasks
        self.total = total
    }
}

/// Stores tasks and their logs, durably as they happen.
public protocol TaskStore: Sendable {
    /// Records a new task and answers it with its id.
    func createTask(_ draft: TaskDraft) async throws -> TaskRecord

    /// Records a new task unless one for the same object is still running or waiting: the lock
    /// that lets one deployment at a time change a cluster, kept in the store so that it outlives
    /// a restart and ends with the task.
    ///
    /// - Throws: `StoreError.conflict` naming the running task.
    func createExclusiveTask(_ draft: TaskDraft, checkpoint: String?) async throws -> TaskRecord

    /// Saves a running task's progress without touching its status (which a cancel may change
    /// meanwhile).
    func saveCheckpoint(_ id: TaskID, _ checkpoint: String, at time: Date) async throws

    /// Appends a line to a task's log.
    ///
    /// - Throws: `StoreError.notFound` when there is no such task.
    func appendLog(to id: TaskID, _ line: TaskLogLine) async throws

    /// Sets a task's status and, when given, its checkpoint.
    ///
    /// - Throws: `StoreError.notFound` when there is no such task.
    func updateTask(_ id: TaskID, status: TaskStatus, checkpoint: String?, at time: Date) async throws

    /// Records `signal` for the running or waiting task `id`, for its engine to take.
    ///
    /// - Throws: `StoreError` `.notFound`, or `.conflict` once the task has ended.
    func sendSignal(_ signal: TaskSignal, to id: TaskID, by user: String, at time: Date) async throws

    /// Forgets the task's signal once the engine has taken it.
    func clearSignal(of id: TaskID) async throws

    /// One task with its whole log, or nil.
    func task(_ id: TaskID) async throws -> TaskRecord?

    /// A page of tasks, newest first, without log lines.
    func tasks(_ query: TaskQuery) async throws -> TaskPage

    /// How many inner tasks each of `ids` has (those with none are absent).
    func innerTaskCounts(of ids: [TaskID]) async throws -> [TaskID: Int]
}

/// What every console keeps in its store, whichever database holds it: applications, users,
/// tokens, sessions, the audit log and tasks.
public typealias SharedStore = ApplicationStore & AuthStore & TaskStore

/// The leases of a store that several consoles share: each running task belongs to the console
/// that holds its lease, and that console's writes to it carry the lease's epoch, so that a
/// console that lost the lease (paused or cut off past its expiry while another took over)
/// cannot write to the task any more.
///
/// A store creates the lease of a task it records as running or waiting, for the console it
/// serves; the console renews all of its leases together and gives a task's up when its work on
/// it ended.
public protocol TaskLeasing: Sendable {
    /// Takes over the running or waiting tasks of `regions` whose console stopped renewing their
    /// leases (or never had one), at most `limit`, and answers them, oldest first.
    func claimOrphanedTasks(in regions: Set<String>, limit: Int) async throws -> [TaskID]

    /// Whether this console still holds task `id`'s lease, by the database (not its own memory,
    /// which a pause makes stale).
    func holdsTask(_ id: TaskID) async throws -> Bool

    /// Ends this console's work on task `id`: gives its lease up if it still holds it, and stops
    /// fencing its writes.
    func releaseTask(_ id: TaskID) async
}
