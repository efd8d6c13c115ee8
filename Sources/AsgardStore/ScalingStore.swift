import AsgardCore
import Foundation

/// The kinds of scaling definitions the store keeps. Stored by raw value.
public enum ScalingObjectKind: String, Sendable, Hashable, CaseIterable {
    case policy
    case alarm
    case scheduledAction
}

/// The JSON of scaling definitions: AWS's field names, ISO 8601 times, sorted keys.
public enum ScalingJSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// Where scaling policies, alarms and scheduled actions live, each as its JSON with AWS's field
/// names: the console's store for local regions, AWS itself for AWS regions.
public protocol ScalingDefinitionStore: Sendable {
    /// The definitions of `kind` as JSON, of `group` or of every group, by group then name.
    func scalingObjects(_ kind: ScalingObjectKind, group: String?) async throws -> [String]
    /// Creates or replaces a definition and records `task`.
    func saveScalingObject(_ kind: ScalingObjectKind, group: String, name: String, json: String, task: TaskDraft) async throws -> TaskRecord
    /// Removes a definition and records `task`.
    ///
    /// - Throws: `StoreError.notFound`.
    func deleteScalingObject(_ kind: ScalingObjectKind, group: String, name: String, task: TaskDraft) async throws -> TaskRecord
}

/// Stores scaling policies, alarms and scheduled actions (each as its JSON, by kind, group and
/// name), the groups' activity history, and one-minute aggregates of their metrics.
public protocol ScalingStore: ScalingDefinitionStore {
    /// Replaces a definition's JSON without a task (an alarm's state, a schedule's last run).
    func updateScalingObject(_ kind: ScalingObjectKind, group: String, name: String, json: String) async throws
    /// Adds an entry to a group's activity history.
    func recordActivity(_ activity: ScalingActivity) async throws
    /// A group's history, newest first.
    func activities(of group: String, limit: Int) async throws -> [ScalingActivity]
    /// Keeps one-minute aggregates (`values` as JSON) and forgets those older than `keepUntil`.
    func saveMetricMinute(group: String, minute: Date, json: String, forgetBefore: Date) async throws
    /// A group's one-minute aggregates since `since`, oldest first.
    func metricMinutes(of group: String, since: Date) async throws -> [(Date, String)]
}
