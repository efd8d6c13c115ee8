import AsgardCore
import Foundation

extension ScalingJSON {
    /// What is wrong with a stored definition: it cannot be read, or it breaks today's rules (a
    /// definition written by an older version, or by hand). Empty when it is valid. A definition
    /// with problems is skipped by the scaling service and shown as invalid, never run.
    ///
    /// - Parameters:
    ///   - kind: what the JSON holds.
    ///   - json: the definition as stored.
    ///   - interval: the collection interval in seconds, which an alarm's period must be a multiple of.
    public static func problems(_ kind: ScalingObjectKind, json: String, interval: Int) -> [FieldError] {
        let data = Data(json.utf8)
        do {
            switch kind {
            case .policy: return try decoder.decode(ScalingPolicyRecord.self, from: data).problems
            case .alarm: return try decoder.decode(AlarmRecord.self, from: data).problems(interval: interval)
            case .scheduledAction: return try decoder.decode(ScheduledActionRecord.self, from: data).problems
            }
        } catch {
            return [FieldError(field: kind.rawValue, message: "cannot be read: \(String(describing: error).prefix(300))")]
        }
    }
}
