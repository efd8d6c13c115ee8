/// The name of a configured cloud account, such as `local` or `prod`.
public struct AccountName: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The name.
    public let rawValue: String

    /// Wraps an account name.
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The name of a region of an account, such as `local` or `us-east-1`.
public struct Region: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The name.
    public let rawValue: String

    /// Wraps a region name.
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// An account the console manages, with the provider behind it and its regions.
public struct AccountConfig: Sendable, Hashable, Codable {
    /// The account's name.
    public var name: AccountName
    /// The provider: `local` now, `aws` later.
    public var provider: String
    /// Its regions, the first being the default.
    public var regions: [Region]

    /// Creates an account.
    public init(name: AccountName, provider: String, regions: [Region]) {
        self.name = name
        self.provider = provider
        self.regions = regions
    }

    /// The embedded default: account `local` with region `local`.
    public static let local = AccountConfig(name: AccountName("local"), provider: "local", regions: [Region("local")])
}
