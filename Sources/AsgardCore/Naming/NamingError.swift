/// A name part that breaks the naming rules, with the part's parameter name and what to do.
public struct NamingError: Error, Sendable, Hashable {
    /// The parameter or field that is wrong, such as `stack` or `countries`.
    public var field: String
    /// What is wrong and how to fix it.
    public var message: String

    /// Creates an error for `field`.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// `field: message`, as shown to people.
    public var description: String { "\(field): \(message)" }
}
