import AsgardCore
import Foundation

/// A browser session as stored: only a hash of its id.
public struct SessionRecord: Sendable, Hashable {
    /// SHA-256 of the session id in the cookie.
    public var idHash: String
    /// Who signed in.
    public var user: UserName
    /// The CSRF token every form of the session carries.
    public var csrfToken: String
    /// When it was created.
    public var createTime: Date
    /// When it was last used.
    public var lastSeenTime: Date

    /// Creates a record.
    public init(idHash: String, user: UserName, csrfToken: String, createTime: Date, lastSeenTime: Date) {
        self.idHash = idHash
        self.user = user
        self.csrfToken = csrfToken
        self.createTime = createTime
        self.lastSeenTime = lastSeenTime
    }
}

/// An audit entry about to be appended.
public struct AuditDraft: Sendable, Hashable {
    public var time: Date
    public var user: String
    public var action: String
    public var objectType: String?
    public var objectId: String?
    public var application: String?
    public var address: String
    public var outcome: AuditOutcome
    public var status: Int
    public var taskId: Int64?
    public var message: String

    /// Creates a draft.
    public init(time: Date, user: String, action: String, objectType: String? = nil, objectId: String? = nil,
                application: String? = nil, address: String, outcome: AuditOutcome, status: Int, taskId: Int64? = nil,
                message: String) {
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

/// Which audit entries to list, newest first.
public struct AuditQuery: Sendable, Hashable {
    public var user: String?
    public var application: String?
    public var since: Date?
    public var until: Date?
    public var limit: Int
    public var offset: Int

    /// Creates a query.
    public init(user: String? = nil, application: String? = nil, since: Date? = nil, until: Date? = nil,
                limit: Int = 100, offset: Int = 0) {
        self.user = user
        self.application = application
        self.since = since
        self.until = until
        self.limit = limit
        self.offset = offset
    }
}

/// Stores users, their password hashes, API tokens (hashes only), browser sessions and the
/// append-only audit log.
public protocol AuthStore: Sendable {
    /// How many users exist.
    func userCount() async throws -> Int
    /// Every user, by name.
    func users() async throws -> [UserRecord]
    /// One user, or nil.
    func user(named name: UserName) async throws -> UserRecord?
    /// The stored password hash of a user, nil when it has none.
    func passwordHash(of name: UserName) async throws -> String?
    /// Creates or replaces a user; a nil `passwordHash` keeps the current one. A new password
    /// ends the user's browser sessions but `keepingSession` (the one that changed it, by id
    /// hash), in the same transaction. Records `task`.
    func saveUser(_ user: UserRecord, passwordHash: String?, keepingSession: String?, task: TaskDraft) async throws -> TaskRecord
    /// Deletes a user with its tokens and sessions. Records `task`.
    ///
    /// - Throws: `StoreError.notFound`.
    func deleteUser(named name: UserName, task: TaskDraft) async throws -> TaskRecord

    /// Stores a new token by the hash of its secret.
    ///
    /// - Throws: `StoreError.conflict` when the user has an active token of that name.
    func createToken(_ token: TokenRecord, secretHash: String) async throws
    /// Tokens, of one user or of all, newest first.
    func tokens(of user: UserName?) async throws -> [TokenRecord]
    /// Revokes a user's active token by name.
    ///
    /// - Throws: `StoreError.notFound` when there is no such active token.
    func revokeToken(named name: String, of user: UserName, at time: Date) async throws
    /// The user and token behind a secret's hash, when the token is active at `now`.
    func tokenOwner(secretHash: String, now: Date) async throws -> (UserRecord, TokenRecord)?

    /// Stores a new session.
    func createSession(_ session: SessionRecord) async throws
    /// A session by the hash of its id.
    func session(idHash: String) async throws -> SessionRecord?
    /// Marks a session used at `time`.
    func touchSession(idHash: String, at time: Date) async throws
    /// Ends a session.
    func deleteSession(idHash: String) async throws

    /// Appends to the audit log.
    func appendAudit(_ entry: AuditDraft) async throws
    /// A page of the audit log, newest first, and how many entries match in all.
    func audit(_ query: AuditQuery) async throws -> (entries: [AuditRecord], total: Int)
}
