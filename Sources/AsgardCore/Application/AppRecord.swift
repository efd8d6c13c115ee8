import Foundation

/// An application registered with the console: who owns it and how to reach them.
public struct AppRecord: Sendable, Hashable, Codable {
    /// The unique, lower-case name.
    public var name: AppName
    /// The team or person responsible.
    public var owner: String
    /// Where notifications about the application go.
    public var email: String
    /// What it does, in a sentence.
    public var description: String
    /// The kind of application.
    public var type: AppType
    /// Where deployment events of its clusters go, as a JSON POST; nil for none.
    public var webhookUrl: String?
    /// When it was registered.
    public var createTime: Date
    /// When it last changed.
    public var updateTime: Date

    /// Creates a record.
    public init(name: AppName, owner: String, email: String, description: String, type: AppType,
                createTime: Date, updateTime: Date, webhookUrl: String? = nil) {
        self.name = name
        self.owner = owner
        self.email = email
        self.description = description
        self.type = type
        self.createTime = createTime
        self.updateTime = updateTime
        self.webhookUrl = webhookUrl
    }
}
