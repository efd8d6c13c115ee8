/// The name of a configured cloud account, such as `local` or `prod`.
public struct AccountName: StringIdentifier {
    /// The name.
    public let rawValue: String

    /// Wraps an account name.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Wraps an account name.
    public init(_ rawValue: String) {
        self.init(rawValue: rawValue)
    }
}

/// The name of a region of an account, such as `local` or `us-east-1`.
public struct Region: StringIdentifier {
    /// The name.
    public let rawValue: String

    /// Wraps a region name.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Wraps a region name.
    public init(_ rawValue: String) {
        self.init(rawValue: rawValue)
    }
}
