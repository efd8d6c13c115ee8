import AsgardCore
import AsgardStore
import Foundation

/// A token just created: the only moment its secret is known.
struct CreatedToken: Codable, Sendable {
    var name: String
    var user: UserName
    var token: String
    var expiresTime: Date?
}

/// Creates, changes and removes users and their API tokens.
struct UserRegistry: Sendable {
    let store: any AuthStore
    let passwords: PasswordHasher
    let now: @Sendable () -> Date

    /// The longest a token may live.
    static let maxTokenDays = 3650
    /// How long a token lives when no expiry is given.
    static let defaultTokenDays = 30

    func show(_ name: String) async throws -> UserRecord {
        guard let userName = try? UserName(validating: name), let user = try await store.user(named: userName) else {
            throw ConsoleError.notFound("User '\(name)' not found; see /user/list")
        }
        return user
    }

    /// Creates the user, or changes the roles and password given in `draft`.
    ///
    /// - Returns: the user, whether it was created, and the task.
    /// A new password ends the user's browser sessions but `keepingSession` (the admin's own).
    func save(_ draft: UserDraft, by actor: String, keepingSession: String? = nil) async throws -> (UserRecord, Bool, TaskRecord) {
        let valid: UserDraft.Validated
        do { valid = try draft.validated() } catch { throw ConsoleError(error) }
        let existing = try await store.user(named: valid.name)
        let time = now()
        let user = UserRecord(name: valid.name, roles: valid.roles ?? existing?.roles ?? [.viewer],
                              applications: valid.applications ?? existing?.applications ?? [:],
                              createTime: existing?.createTime ?? time, updateTime: time)
        if let existing, existing.roles.contains(.admin), !user.roles.contains(.admin), try await adminCount() <= 1 {
            throw ConsoleError(.conflict, "User '\(user.name)' is the last admin; make another user admin first")
        }
        let hash = try valid.password.map { try passwords.hash($0) }
        let roles = user.roles.map(\.rawValue).joined(separator: ", ")
        let apps = user.applications.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.rawValue)" }.joined(separator: ", ")
        let verb = existing == nil ? "Create" : "Update"
        let task = TaskDraft(operation: "\(verb) user '\(user.name)'", objectType: .user, objectId: user.name.rawValue, user: actor,
                             status: .succeeded,
                             log: [TaskLogLine(time: time, message: "\(verb == "Create" ? "Creating" : "Updating") user '\(user.name)': roles [\(roles)], applications [\(apps)]\(hash == nil ? "" : existing == nil ? ", new password" : ", new password (their other browser sessions end)")"),
                                   TaskLogLine(time: time, message: "\(verb)d user '\(user.name)'")])
        return (user, existing == nil, try await store.saveUser(user, passwordHash: hash, keepingSession: keepingSession, task: task))
    }

    /// Deletes a user with their tokens and sessions; the last admin stays.
    func delete(_ name: String, by actor: String) async throws -> TaskRecord {
        let user = try await show(name)
        if user.roles.contains(.admin), try await adminCount() <= 1 {
            throw ConsoleError(.conflict, "User '\(user.name)' is the last admin and cannot be deleted")
        }
        let time = now()
        let task = TaskDraft(operation: "Delete user '\(user.name)'", objectType: .user, objectId: user.name.rawValue, user: actor,
                             status: .succeeded,
                             log: [TaskLogLine(time: time, message: "Deleting user '\(user.name)' with their tokens and sessions"),
                                   TaskLogLine(time: time, message: "Deleted user '\(user.name)'")])
        return try await store.deleteUser(named: user.name, task: task)
    }

    /// Creates a token for `user`, living `days` days. With `unique`, a name the user already
    /// has an active token of gets a suffix (`cli-2`, `cli-3` …) instead of a conflict: sign-ins
    /// that each ask for a token must all get one.
    func createToken(name: String, for user: UserName, days: Int, unique: Bool = false) async throws -> CreatedToken {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 64,
              trimmed.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), trimmed.allSatisfy(\.isASCII) else {
            throw ConsoleError.invalid("name", "'\(trimmed)' must be 1 to 64 characters of a-z, A-Z, 0-9, '-', '_' and '.'")
        }
        guard (1...UserRegistry.maxTokenDays).contains(days) else {
            throw ConsoleError.invalid("expiresInDays", "must be a whole number from 1 to \(UserRegistry.maxTokenDays)")
        }
        guard try await store.user(named: user) != nil else {
            throw ConsoleError.notFound("User '\(user)' not found; see /user/list")
        }
        let secret = Secrets.newToken()
        let time = now()
        var attempt = 1
        while true {
            let chosen = attempt == 1 ? trimmed : String(trimmed.prefix(58)) + "-\(attempt)"
            let record = TokenRecord(name: chosen, user: user, createTime: time, expiresTime: time.addingTimeInterval(Double(days) * 86_400))
            do {
                try await store.createToken(record, secretHash: Secrets.hash(secret))
                return CreatedToken(name: chosen, user: user, token: secret, expiresTime: record.expiresTime)
            } catch let error as StoreError where error.code == .conflict && unique && attempt < 100 {
                attempt += 1
            }
        }
    }

    /// Stores a token whose secret was chosen outside, such as `ASGARD_ADMIN_TOKEN`.
    func adoptToken(_ secret: String, name: String, for user: UserName) async throws {
        try await store.createToken(TokenRecord(name: name, user: user, createTime: now(), expiresTime: nil),
                                    secretHash: Secrets.hash(secret))
    }

    private func adminCount() async throws -> Int {
        try await store.users().filter { $0.roles.contains(.admin) }.count
    }

    /// Parses a token lifetime field.
    static func days(_ text: String?) throws -> Int {
        guard let text, !text.isEmpty else { return defaultTokenDays }
        guard let days = Int(text) else {
            throw ConsoleError.invalid("expiresInDays", "'\(text)' must be a whole number from 1 to \(maxTokenDays)")
        }
        return days
    }
}
