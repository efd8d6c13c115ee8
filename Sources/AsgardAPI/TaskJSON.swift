import AsgardCore
import Foundation

/// A task as the API shows it; `log` is present on `show` and absent from `list`.
public struct TaskJSON: Codable, Sendable, Hashable {
    public var id: TaskID
    public var operation: String
    public var objectType: TaskObjectType
    public var objectId: String
    public var user: String
    public var region: String?
    public var status: TaskStatus
    public var startTime: Date
    public var updateTime: Date
    /// The task page's JSON address.
    public var url: String
    /// The task this one is a step of (a deployment's group changes); absent for a person's action.
    public var parentId: TaskID?
    public var log: [TaskLogLine]?

    /// The API view of `record`, with its log when `includeLog`.
    public init(_ record: TaskRecord, includeLog: Bool) {
        id = record.id
        operation = record.operation
        objectType = record.objectType
        objectId = record.objectId
        user = record.user
        region = record.region
        status = record.status
        startTime = record.startTime
        updateTime = record.updateTime
        url = TaskJSON.url(for: record.id)
        parentId = record.parentId
        log = includeLog ? record.log : nil
    }

    /// `/task/show/ID.json`.
    public static func url(for id: TaskID) -> String { "/task/show/\(id).json" }
}

/// The answer to a long operation: where to follow it.
public struct TaskAccepted: Codable, Sendable, Hashable {
    public var taskId: TaskID
    public var taskUrl: String

    /// Points at `id`.
    public init(taskId: TaskID) {
        self.taskId = taskId
        self.taskUrl = TaskJSON.url(for: taskId)
    }
}
