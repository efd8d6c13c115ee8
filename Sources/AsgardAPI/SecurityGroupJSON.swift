import AsgardCore
import Foundation

/// A security group as the API shows it: its rules as written (`tcp:7001:10.0.0.0/8`) and in
/// their parts.
public struct SecurityGroupJSON: Codable, Sendable, Hashable {
    public var groupId: String
    public var groupName: String
    public var description: String
    public var vpcId: String?
    /// The ingress rules as `protocol:ports:source`.
    public var rules: [String]
    public var ingress: [IngressRule]

    /// Creates the API view.
    public init(_ record: SecurityGroupRecord) {
        groupId = record.groupId
        groupName = record.groupName
        description = record.description
        vpcId = record.vpcId
        rules = record.ingress.map(\.text)
        ingress = record.ingress
    }
}
