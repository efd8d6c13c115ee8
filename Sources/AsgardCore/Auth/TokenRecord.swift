import Foundation

/// An API token as listed: never its secret.
public struct TokenRecord: Sendable, Hashable, Codable {
    /// The token's name, unique among the user's active tokens.
    public var name: String
    /// Whose rights it carries.
    public var user: UserName
    /// When it was created.
    public var createTime: Date
    /// When it stops working; nil for never.
    public var expiresTime: Date?
    /// When it was revoked; nil while active.
    public var revokedTime: Date?

    /// Creates a record.
    public init(name: String, user: UserName, createTime: Date, expiresTime: Date?, revokedTime: Date? = nil) {
        self.name = name
        self.user = user
        self.createTime = createTime
        self.expiresTime = expiresTime
        self.revokedTime = revokedTime
    }

    /// True when it can be used at `now`.
    public func isActive(at now: Date) -> Bool {
        revokedTime == nil && (expiresTime.map { now < $0 } ?? true)
    }
}
