import Synchronization

/// What a handler tells the audit log about the object a request concerned.
final class AuditNote: Sendable {
    struct Content: Sendable {
        var objectType: String?
        var objectId: String?
        var application: String?
        var taskId: Int64?
        /// Who acted, when the request itself proves it (a sign-in), rather than its credentials.
        var user: String?
        /// Why a request that answered a page (not an error) was refused, such as a form's errors.
        var message: String?
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

    /// Records why a request was refused when the answer is a page rather than an error.
    func refused(_ message: String) {
        content.withLock { $0.message = message }
    }

    /// Names who acted, for requests that sign someone in.
    func actor(_ user: String) {
        content.withLock { $0.user = user }
    }

    var current: Content { content.withLock { $0 } }
}
