/// What a person submits to create or change a user, before validation.
public struct UserDraft: Sendable, Hashable {
    /// The login name.
    public var name: String?
    /// A new password; nil keeps the current one.
    public var password: String?
    /// Global role names as submitted.
    public var roles: [String]?
    /// Application roles as submitted: application name to role name.
    public var applications: [String: String]?

    /// Creates a draft.
    public init(name: String? = nil, password: String? = nil, roles: [String]? = nil, applications: [String: String]? = nil) {
        self.name = name
        self.password = password
        self.roles = roles
        self.applications = applications
    }

    /// The shortest password accepted.
    public static let minPasswordLength = 12
    /// The longest password accepted (a slow hash of a huge input is a denial of service).
    public static let maxPasswordLength = 1024

    /// The validated parts of a draft.
    public struct Validated: Sendable, Hashable {
        public var name: UserName
        public var password: String?
        public var roles: [GlobalRole]?
        public var applications: [String: AppRole]?
    }

    /// Checks every field.
    ///
    /// - Throws: `ValidationFailure` listing every wrong field.
    public func validated() throws(ValidationFailure) -> Validated {
        var problems: [FieldError] = []
        var userName: UserName?
        do { userName = try UserName(validating: name ?? "") } catch { problems.append(error) }
        if let password {
            if password.count < UserDraft.minPasswordLength || password.count > UserDraft.maxPasswordLength {
                problems.append(FieldError(field: "password", message: "must be \(UserDraft.minPasswordLength) to \(UserDraft.maxPasswordLength) characters"))
            }
        }
        var globalRoles: [GlobalRole]?
        if let roles {
            var parsed: [GlobalRole] = []
            for text in roles where !text.trimmingSpaces().isEmpty {
                if let role = GlobalRole(rawValue: text.trimmingSpaces()) {
                    parsed.append(role)
                } else {
                    problems.append(FieldError(field: "roles", message: "'\(text)' is not one of \(GlobalRole.allCases.map(\.rawValue).joined(separator: ", "))"))
                }
            }
            globalRoles = parsed
        }
        var appRoles: [String: AppRole]?
        if let applications {
            var parsed: [String: AppRole] = [:]
            for (app, roleText) in applications.sorted(by: { $0.key < $1.key }) {
                guard let appName = try? AppName(validating: app) else {
                    problems.append(FieldError(field: "applications", message: "'\(app)' is not a valid application name"))
                    continue
                }
                guard let role = AppRole(rawValue: roleText.trimmingSpaces()) else {
                    problems.append(FieldError(field: "applications", message: "'\(roleText)' for '\(app)' is not one of owner, deployer"))
                    continue
                }
                parsed[appName.rawValue] = role
            }
            appRoles = parsed
        }
        guard problems.isEmpty, let userName else { throw ValidationFailure(problems) }
        return Validated(name: userName, password: password, roles: globalRoles, applications: appRoles)
    }

    /// Parses `shop:deployer, cart:owner`, the form of application roles in HTML forms.
    ///
    /// - Throws: `FieldError` for an entry without a colon.
    public static func parseApplicationRoles(_ text: String) throws(FieldError) -> [String: String] {
        var result: [String: String] = [:]
        for entry in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            let trimmed = String(entry).trimmingSpaces()
            if trimmed.isEmpty { continue }
            let parts = trimmed.split(separator: ":", maxSplits: 1).map { String($0).trimmingSpaces() }
            guard parts.count == 2 else {
                throw FieldError(field: "applications", message: "'\(trimmed)' must look like app:role, e.g. shop:deployer")
            }
            result[parts[0]] = parts[1]
        }
        return result
    }
}
