import Foundation

/// The record every change leaves: what was done, to what, by whom, how it went, and its log.
///
/// Long operations keep their plan and progress in `input` and `checkpoint` so that the
/// task engine can resume them after a restart.
public struct TaskRecord: Sendable, Hashable, Codable {
    /// The task's number.
    public var id: TaskID
    /// What the task does, in words ("Create application shop").
    public var operation: String
    /// The kind of object it changes.
    public var objectType: TaskObjectType
    /// The object's id or name.
    public var objectId: String
    /// Who asked for it.
    public var user: String
    /// The region it acts in; nil for global objects such as applications.
    public var region: String?
    /// Where it is in its life.
    public var status: TaskStatus
    /// Timestamped log lines, oldest first.
    public var log: [TaskLogLine]
    /// When it started.
    public var startTime: Date
    /// When it last changed.
    public var updateTime: Date
    /// The request the task carries out, as JSON, for the engine; nil for one-shot changes.
    public var input: String?
    /// The engine's last completed step and state, as JSON; nil until it has one.
    public var checkpoint: String?
    /// What a person asked of the running task, not yet taken by the engine.
    public var signal: TaskSignal?
    /// Who sent `signal`.
    public var signalBy: String?
    /// The task this one is a step of (a deployment's group changes), nil for a person's action.
    public var parentId: TaskID?

    /// Creates a record.
    public init(id: TaskID, operation: String, objectType: TaskObjectType, objectId: String, user: String,
                region: String? = nil, status: TaskStatus, log: [TaskLogLine], startTime: Date,
                updateTime: Date, input: String? = nil, checkpoint: String? = nil, signal: TaskSignal? = nil, signalBy: String? = nil,
                parentId: TaskID? = nil) {
        self.parentId = parentId
        self.id = id
        self.operation = operation
        self.objectType = objectType
        self.objectId = objectId
        self.user = user
        self.region = region
        self.status = status
        self.log = log
        self.startTime = startTime
        self.updateTime = updateTime
        self.input = input
        self.checkpoint = checkpoint
        self.signal = signal
        self.signalBy = signalBy
    }
}

/// A task about to be recorded: everything but the id the store assigns.
public struct TaskDraft: Sendable, Hashable {
    /// What the task does, in words.
    public var operation: String
    /// The kind of object it changes.
    public var objectType: TaskObjectType
    /// The object's id or name.
    public var objectId: String
    /// Who asked for it.
    public var user: String
    /// The region it acts in; nil for global objects.
    public var region: String?
    /// The status to record it with.
    public var status: TaskStatus
    /// The log lines to record with it.
    public var log: [TaskLogLine]
    /// The engine's input, as JSON.
    public var input: String?
    /// The task this one is a step of, nil for a person's action.
    public var parent: TaskID?

    /// Creates a draft.
    public init(operation: String, objectType: TaskObjectType, objectId: String, user: String,
                region: String? = nil, status: TaskStatus, log: [TaskLogLine], input: String? = nil, parent: TaskID? = nil) {
        self.parent = parent
        self.operation = operation
        self.objectType = objectType
        self.objectId = objectId
        self.user = user
        self.region = region
        self.status = status
        self.log = log
        self.input = input
    }
}
