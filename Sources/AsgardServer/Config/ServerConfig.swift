import AsgardCore
import Foundation
import Logging

/// How `asgard serve` runs: where it listens, where it keeps its data, which accounts it
/// manages.
public struct ServerConfig: Sendable {
    /// The address to listen on.
    public var host: String
    /// The port to listen on; 0 picks a free one.
    public var port: Int
    /// The directory of the database and other state, created when missing.
    public var dataDir: String
    /// The accounts and regions the console manages.
    public var accounts: [AccountConfig]
    /// How much the server logs.
    public var logLevel: Logger.Level

    /// The embedded defaults: 127.0.0.1:8080, `.asgard/`, account `local` with region `local`.
    public init(host: String = "127.0.0.1", port: Int = 8080, dataDir: String = ".asgard",
                accounts: [AccountConfig] = [.local], logLevel: Logger.Level = .info) {
        self.host = host
        self.port = port
        self.dataDir = dataDir
        self.accounts = accounts
        self.logLevel = logLevel
    }

    /// The SQLite database file inside the data directory.
    public var databasePath: String {
        URL(fileURLWithPath: dataDir).appendingPathComponent("asgard.sqlite").path
    }
}
