/// A role that holds everywhere. Stored by raw value.
public enum GlobalRole: String, CaseIterable, Sendable, Codable, Comparable {
    /// Everything: every application, users and tokens, local images (which run commands on the host).
    case admin
    /// Reads only.
    case viewer

    public static func < (lhs: GlobalRole, rhs: GlobalRole) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A role on one application. Stored by raw value.
public enum AppRole: String, CaseIterable, Sendable, Codable {
    /// Changes the application itself and everything it owns.
    case owner
    /// Changes what the application owns (deploys, resizes, enables traffic), not the application.
    case deployer
}

/// What a request wants to do, for the authorisation check.
public enum Permission: Sendable, Hashable, CustomStringConvertible {
    /// Read anything.
    case read
    /// Administer: users, other users' tokens, local images.
    case admin
    /// Register, change or delete the application itself.
    case changeApplication(AppName)
    /// Change the application's resources: deploy, resize, enable or disable traffic.
    case deployApplication(AppName)
    /// Act on one's own account, such as creating one's own tokens.
    case ownAccount(UserName)

    public var description: String {
        switch self {
        case .read: "read"
        case .admin: "the admin role"
        case .changeApplication(let app): "the owner role on application '\(app)'"
        case .deployApplication(let app): "the owner or deployer role on application '\(app)'"
        case .ownAccount(let user): "the admin role (this belongs to user '\(user)')"
        }
    }
}
