import Foundation

/// How an activity ended, with AWS's codes. Stored by raw value.
public enum ActivityStatus: String, CaseIterable, Sendable, Hashable, Codable {
    case inProgress = "InProgress"
    case successful = "Successful"
    case failed = "Failed"
}

/// One entry of a group's activity history: what changed and why, in words, as AWS records it.
public struct ScalingActivity: Sendable, Hashable, Codable {
    public var activityId: String
    public var autoScalingGroupName: String
    /// What happened ("Launching a new instance: i-…").
    public var description: String
    /// Why ("At 2026-11-28T18:00:00Z an alarm … in breach, changing the desired capacity from 2 to 4").
    public var cause: String
    public var startTime: Date
    public var endTime: Date?
    public var statusCode: ActivityStatus

    /// Creates an entry.
    public init(activityId: String = UUID().uuidString.lowercased(), autoScalingGroupName: String, description: String, cause: String,
                startTime: Date, endTime: Date? = nil, statusCode: ActivityStatus = .successful) {
        self.activityId = activityId
        self.autoScalingGroupName = autoScalingGroupName
        self.description = description
        self.cause = cause
        self.startTime = startTime
        self.endTime = endTime
        self.statusCode = statusCode
    }
}
