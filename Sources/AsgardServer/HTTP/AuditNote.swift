import Synchronization

/// What a handler tells the audit log about the object a request concerned.
final class AuditNote: Sendable {
    struct Content: Sendable {
        var objectType: String?
        var objectId: String?
        var application: String?
        var taskId: Int64?
    }

    private let content = Mutex(Content())

    /// Names the object and, when there is one, its application.
    func object(_ type: String, _ id: String, application: String? = nil) {
        content.withLock {
            $0.objectType = type
            $0.objectId = id
            $0.application = application
        }
    }

    /// Names the task the change recorded.
    func task(_ id: Int64) {
        content.withLock { $0.taskId = id }
    }

    var current: Content { content.withLock { $0 } }
}
