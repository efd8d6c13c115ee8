/// An account the console manages, with the provider behind it and its regions.
public struct AccountConfig: Sendable, Hashable, Codable {
    /// The account's name.
    public var name: AccountName
    /// The provider: `local` or `aws`.
    public var provider: String
    /// Its regions, the first being the default.
    public var regions: [Region]
    /// For `aws`: where its API calls go instead of AWS (moto, LocalStack, a VPC endpoint), e.g.
    /// `http://127.0.0.1:5000`; nil for AWS itself.
    public var endpoint: String?
    /// For `aws`: the profile of the shared credentials and config files; nil for `AWS_PROFILE`
    /// or `default`.
    public var profile: String?

    /// Creates an account.
    public init(name: AccountName, provider: String, regions: [Region], endpoint: String? = nil, profile: String? = nil) {
        self.name = name
        self.provider = provider
        self.regions = regions
        self.endpoint = endpoint
        self.profile = profile
    }

    /// The embedded default: account `local` with region `local`.
    public static let local = AccountConfig(name: AccountName("local"), provider: "local", regions: [Region("local")])
}
