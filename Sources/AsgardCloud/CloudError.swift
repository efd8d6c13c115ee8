/// A failure a cloud reports, with the code the API maps to a status and a message that says
/// what went wrong and how to fix it.
public struct CloudError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notFound, conflict, invalidRequest, throttled, unavailable, permissionDenied
        /// The cloud's endpoint does not answer at all.
        case unreachable
    }

    public var code: Code
    public var message: String
    /// The error underneath, for logs.
    public var cause: (any Error)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// True when trying again later may work.
    public var isRetryable: Bool { code == .throttled || code == .unavailable || code == .unreachable }

    public var description: String { message }
}
