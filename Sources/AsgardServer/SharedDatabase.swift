import AsgardAPI
import AsgardCore
import AsgardPostgres
import AsgardStore
import Foundation
import Logging
import ServiceLifecycle

/// A console on a PostgreSQL database: the store, and the lease that makes it the one console
/// running deployments on that database.
///
/// Deployments are not yet leased one by one (a replica that dies hands its tasks to another in
/// a later version); until then a second console on the same database is refused at start, and
/// a console that finds its lease taken by another stops at once, so that two never act on the
/// same deployment.
struct SharedDatabase: Sendable {
    static let leaseName = "console"
    /// How long the lease lasts without a renewal, and how often it is renewed.
    static let leaseSeconds = 10.0
    static let renewEvery: Duration = .seconds(2)

    let store: PostgresStore
    let lease: Lease
    let startTime: Date

    /// This console's id on the database: the holder of its leases.
    var id: String { lease.holder }
    /// What it holds, for its heartbeat.
    var holds: [String] { ["the console lease (epoch \(lease.epoch))"] }

    /// Says the console is alive, with what it holds.
    func heartbeat() async throws {
        try await store.heartbeat(id: id, version: AsgardVersion.version, startTime: startTime, holds: holds)
    }

    /// The consoles on the database, this one marked.
    func replicas() async throws -> [ReplicaJSON] {
        try await store.replicas(aliveSeconds: SharedDatabase.leaseSeconds).map {
            ReplicaJSON(id: $0.id, version: $0.version, startTime: $0.startTime, heartbeatTime: $0.heartbeatTime, alive: $0.alive, holds: $0.holds,
                        current: $0.id == id)
        }
    }

    /// Opens `url`, migrates it and takes the console lease.
    ///
    /// - Throws: `StoreError(.unavailable)` when the database cannot be used, the configuration
    ///   names a local account (the local cloud runs processes on one host), or another console
    ///   holds the lease.
    static func open(_ url: DatabaseURL, accounts: [AccountConfig], logger: Logger) async throws -> SharedDatabase {
        if let local = accounts.first(where: { $0.provider == "local" }) {
            throw StoreError(.unavailable, "Account '\(local.name)' is a local account: the local cloud is a single-host sandbox whose instances and load balancers "
                             + "are processes on this machine, so it cannot run on a shared database. Configure AWS accounts only with --database-url "
                             + "(see the README's 'Run on PostgreSQL'), or run without --database-url")
        }
        let store = try await PostgresStore.open(url, logger: logger)
        let holder = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
        guard let lease = try await store.acquireLease(leaseName, holder: holder, ttl: leaseSeconds) else {
            let other = (try? await store.leaseHolder(leaseName)) ?? nil
            store.close()
            throw StoreError(.unavailable, "Another console\(other.map { " (\($0))" } ?? "") runs on the database \(url.redacted); this version runs one console "
                             + "per database. Stop it first, or wait \(Int(leaseSeconds)) s after it died")
        }
        logger.info("Took the console lease on \(url.redacted) as \(holder), epoch \(lease.epoch)")
        let database = SharedDatabase(store: store, lease: lease, startTime: Date())
        try await database.heartbeat()
        return database
    }
}

/// Renews the console lease every 2 s and gives it up on a normal stop; when another console
/// took it (after this one was paused or cut off past its expiry), this one ends at once.
struct ConsoleLeaseKeeper: Service {
    let database: SharedDatabase
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var renewed = ContinuousClock.now
            var warned = false
            while !Task.isCancelled {
                try? await Task.sleep(for: SharedDatabase.renewEvery)
                if Task.isCancelled { break }
                do {
                    if try await database.store.renewLease(database.lease, ttl: SharedDatabase.leaseSeconds) {
                        try await database.heartbeat()
                        if warned { logger.notice("The database answers again; this console still holds its lease") }
                        renewed = .now
                        warned = false
                        continue
                    }
                    logger.critical("Another console took the console lease: this one stops so that two never act on the same deployments")
                    exit(75)
                } catch {
                    // The database is away: nobody can write meanwhile, and once it is back the
                    // renewal says whether another console took the lease (then this one stops).
                    if ContinuousClock.now - renewed > .seconds(SharedDatabase.leaseSeconds), !warned {
                        logger.warning("Cannot renew the console lease: the database does not answer; requests answer 503 and deployments wait")
                        warned = true
                    }
                }
            }
        }
        try? await database.store.releaseLease(database.lease)
        database.store.close()
    }
}
