import AsgardCore
import AsgardStore
import Foundation

/// Creates the `admin` user on first start, so that nothing is ever open by default.
enum AdminBootstrap {
    /// What the first start did.
    enum Outcome: Sendable {
        /// Users existed already.
        case existing
        /// Created admin with the token from `ASGARD_ADMIN_TOKEN`.
        case token
        /// Created admin with a one-time password, written to `file`.
        case password(String, file: String)
    }

    /// The file the one-time password is written to, inside the data directory.
    static let passwordFile = "admin-password"

    static func run(users: UserRegistry, store: any AuthStore, adminToken: String?, dataDir: String) async throws -> Outcome {
        if let adminToken, adminToken.count < 16 {
            throw StoreError(.unavailable, "ASGARD_ADMIN_TOKEN must be at least 16 characters")
        }
        guard try await store.userCount() == 0 else { return .existing }
        let password = adminToken == nil ? Secrets.random(bytes: 18) : nil
        _ = try await users.save(UserDraft(name: "admin", password: password, roles: ["admin"], applications: [:]), by: "asgard")
        if let adminToken {
            try await users.adoptToken(adminToken, name: "bootstrap", for: UserName(rawValue: "admin"))
            return .token
        }
        let file = URL(fileURLWithPath: dataDir).appendingPathComponent(passwordFile).path
        guard FileManager.default.createFile(atPath: file, contents: Data((password! + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw StoreError(.unavailable, "Cannot write \(file)")
        }
        return .password(password!, file: file)
    }
}
