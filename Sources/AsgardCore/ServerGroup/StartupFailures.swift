import Foundation

/// Instances of a group whose process ended before they ever served: the sign of an image
/// that cannot start, on which a deployment fails at once instead of waiting out its deadline.
public struct StartupFailures: Sendable, Hashable {
    /// How many, since the last instance of the group came into service.
    public var count: Int
    /// The last one.
    public var instanceId: InstanceID
    /// Why the last one was taken out of service, with its exit status.
    public var reason: String
    /// The last lines of its console output.
    public var consoleTail: String

    /// Creates a record.
    public init(count: Int, instanceId: InstanceID, reason: String, consoleTail: String) {
        self.count = count
        self.instanceId = instanceId
        self.reason = reason
        self.consoleTail = consoleTail
    }

    /// How many failures fail a deployment.
    public static let failingCount = 3

    /// The failure in words, for a deployment's reason.
    public func description(of group: String) -> String {
        "\(count) instances of \(group) ended before they ever served; the last, \(instanceId): \(reason)"
            + (consoleTail.isEmpty ? " (no console output)" : "; its last console lines: \(consoleTail.replacingOccurrences(of: "\n", with: " ⏎ "))")
    }
}
