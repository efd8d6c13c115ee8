/// What a person asks of a running task from outside it; the engine takes it at its next safe
/// point. Stored by raw value.
public enum TaskSignal: String, CaseIterable, Sendable, Codable {
    /// Go on after a judgment.
    case proceed
    /// Roll the deployment back: the previous group serves again, the new one is disabled.
    case rollback
    /// Stop the deployment, rolling it back.
    case cancel
}
