/// A failure of the store, with a code the HTTP layer maps to a status.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable {
        /// The object does not exist.
        case notFound
        /// The object exists already, or the change conflicts with the stored state.
        case conflict
        /// The database cannot be opened or used.
        case unavailable
    }

    /// What kind of failure.
    public var code: Code
    /// What went wrong and how to fix it.
    public var message: String
    /// The underlying error, for the log.
    public var cause: (any Error)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(message) (\($0))" } ?? message
    }
}
