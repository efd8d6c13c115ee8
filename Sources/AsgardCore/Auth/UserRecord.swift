import Foundation

/// A person or robot that can sign in, with the roles it holds.
public struct UserRecord: Sendable, Hashable, Codable {
    /// The login name.
    public var name: UserName
    /// Roles that hold everywhere, sorted.
    public var roles: [GlobalRole]
    /// Roles per application, by application name.
    public var applications: [String: AppRole]
    /// When the user was created.
    public var createTime: Date
    /// When the user last changed.
    public var updateTime: Date

    /// Creates a record; `roles` is kept sorted and without repeats.
    public init(name: UserName, roles: [GlobalRole], applications: [String: AppRole], createTime: Date, updateTime: Date) {
        self.name = name
        self.roles = Array(Set(roles)).sorted()
        self.applications = applications
        self.createTime = createTime
        self.updateTime = updateTime
    }

    /// True when the user's roles allow `permission`.
    public func isAllowed(_ permission: Permission) -> Bool {
        if roles.contains(.admin) { return true }
        switch permission {
        case .read: return true
        case .admin: return false
        case .changeApplication(let app): return applications[app.rawValue] == .owner
        case .deployApplication(let app): return applications[app.rawValue] != nil
        case .ownAccount(let user): return user == name
        }
    }
}
