import Foundation

/// One timestamped line of a task's log.
public struct TaskLogLine: Sendable, Hashable, Codable {
    /// When it was written.
    public var time: Date
    /// What happened.
    public var message: String

    /// Creates a line.
    public init(time: Date, message: String) {
        self.time = time
        self.message = message
    }
}
