import AsgardCore

/// Finds the cloud resources an application still owns, so that deleting it can be refused
/// while anything would be orphaned.
protocol ApplicationResourceLookup: Sendable {
    /// Descriptions of what `app` owns, such as `server group shop-v001 in local`; empty when
    /// nothing.
    func resources(ownedBy app: AppName) async throws -> [String]
}
