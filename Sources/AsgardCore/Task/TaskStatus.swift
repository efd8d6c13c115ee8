/// Where a task is in its life. Stored by raw value.
public enum TaskStatus: String, CaseIterable, Sendable, Codable {
    /// Working on its steps.
    case running
    /// Paused for a judgment or a timer.
    case waiting
    /// Finished and did what it was asked.
    case succeeded
    /// Stopped on an error.
    case failed
    /// Stopped at a person's request.
    case canceled
    /// Rolled back because a person asked for it (not a failure: the deployment was judged and
    /// turned down).
    case rolledBack

    /// True once the task can no longer change.
    public var isFinished: Bool {
        switch self {
        case .running, .waiting: false
        case .succeeded, .failed, .canceled, .rolledBack: true
        }
    }
}
