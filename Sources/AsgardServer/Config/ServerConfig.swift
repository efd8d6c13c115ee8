import AWSCloud
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
    /// The credentials of each `aws` account, found when the configuration was read; never
    /// shown.
    public var awsCredentials: [AccountName: AWSCredentials] = [:]
    /// How often the background agents of `aws` accounts read a whole region into the cache.
    public var cacheRefreshInterval: Duration = .seconds(30)
    /// The most AWS API calls per second per account (a token bucket with twice as many in a burst).
    public var awsRequestsPerSecond: Double = 20
    /// Reservations per DescribeInstances page (AWS allows up to 1000).
    public var awsInstancePageSize = 1000
    /// How much the server logs.
    public var logLevel: Logger.Level
    /// Whether pages and JSON reads are open without signing in (`auth.anonymousRead`).
    public var anonymousRead = false
    /// Minutes a browser session may go unused before it ends (`auth.sessionIdleMinutes`).
    public var sessionIdleMinutes = 30
    /// The admin's first API token on first start, from `ASGARD_ADMIN_TOKEN`.
    public var adminToken: String?
    /// PBKDF2 rounds for new password hashes.
    public var passwordRounds = 210_000
    /// How often the local cloud reconciles its server groups.
    public var reconcileInterval: Duration = .seconds(1)
    /// How often each server group's metrics are collected and its alarms and policies evaluated
    /// (`metricsIntervalSeconds`, `--metrics-interval`).
    public var metricsInterval: Duration = .seconds(10)
    /// How long a terminated instance gets between SIGTERM and SIGKILL.
    public var terminationGrace: Duration = .seconds(10)
    /// Whether a graceful stop leaves instances running (`--keep-data-plane`).
    public var keepDataPlane = false
    /// The `asgard` binary that serves load balancers (`asgard load-balancer-proxy`); nil: the
    /// running `asgard`, or the one next to the running program.
    public var proxyExecutable: String?
    /// The PostgreSQL database several consoles share (`--database-url`, `ASGARD_DATABASE_URL`,
    /// `database.url`); nil: SQLite in the data directory.
    public var databaseURL: DatabaseURL?
    /// The Prometheus that canary metrics with `"source": "prometheus"` query (`prometheus.url`).
    public var prometheusURL: URL?
    /// Sent as `Authorization: Bearer` to it, when set (`prometheus.bearerToken`).
    public var prometheusBearerToken: String?

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
