/// The kind of object a task changes. Stored by raw value.
public enum TaskObjectType: String, CaseIterable, Sendable, Codable {
    case application
    case cluster
    case serverGroup
    case instance
    case image
    case loadBalancer
    case securityGroup
    case user
    case token
}
