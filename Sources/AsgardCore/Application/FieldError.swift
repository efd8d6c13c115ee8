/// One field of a submission that is wrong, and what to do about it.
public struct FieldError: Error, Sendable, Hashable, Codable {
    /// The field's name as submitted (`name`, `email` …).
    public var field: String
    /// What is wrong and how to fix it.
    public var message: String

    /// Creates an error for `field`.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// Every field of a submission that is wrong.
public struct ValidationFailure: Error, Sendable, Hashable {
    /// The wrong fields, in the order they were checked.
    public var problems: [FieldError]

    /// Creates a failure from one or more problems.
    public init(_ problems: [FieldError]) {
        self.problems = problems
    }

    /// One line a person can act on: `name: …; email: …`.
    public var message: String {
        problems.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
    }
}
