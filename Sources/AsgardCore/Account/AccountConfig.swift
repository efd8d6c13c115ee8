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
