import Foundation

/// How a recorded request ended. Stored by raw value.
public enum AuditOutcome: String, CaseIterable, Sendable, Codable {
    /// The change was made.
    case succeeded
    /// The request was wrong or conflicted; nothing changed.
    case rejected
    /// Nobody was signed in, or the credentials were wrong.
    case unauthenticated
    /// The user lacks the role.
    case forbidden
    /// The server failed.
    case failed
}

/// One entry of the append-only audit log: who did what, when, from where, and how it ended.
public struct AuditRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var time: Date
    /// The user, or `anonymous`.
    public var user: String
    /// `POST /application/save`.
    public var action: String
    /// The object's kind and id, when known.
    public var objectType: String?
    public var objectId: String?
    /// The application the request concerned, when one.
    public var application: String?
    /// The client's address.
    public var address: String
    public var outcome: AuditOutcome
    /// The HTTP status answered.
    public var status: Int
    /// The task the change recorded, when one.
    public var taskId: Int64?
    /// Why it was refused, or what happened.
    public var message: String

    /// Creates a record.
    public init(id: Int64, time: Date, user: String, action: String, objectType: String?, objectId: String?,
                application: String?, address: String, outcome: AuditOutcome, status: Int, taskId: Int64?, message: String) {
        self.id = id
        self.time = time
        self.user = user
        self.action = action
        self.objectType = objectType
        self.objectId = objectId
        self.application = application
        self.address = address
        self.outcome = outcome
        self.status = status
        self.taskId = taskId
        self.message = message
    }
}
