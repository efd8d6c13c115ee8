import AsgardAPI
import AsgardCloud
import AsgardCore
import AsgardEngine
import AsgardPostgres
import AsgardStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// A console on a PostgreSQL database that other consoles may share: the store, and this
/// console's id in the leases it takes.
///
/// Each running task belongs to the console that holds its lease (see `TaskLeasing`); any
/// console answers any request, and one takes over the tasks of another that stopped.
struct SharedDatabase: Sendable {
    /// How long a lease lasts without a renewal, and how often a console renews its leases.
    static let leaseSeconds = 10.0
    static let renewEvery: Duration = .seconds(2)
    /// Held while a console creates the first admin, so that consoles starting together create one.
    static let bootstrapLock: Int64 = 0x4153_4741_5244_01

    let store: PostgresStore
    let startTime: Date

    /// This console's id on the database: the holder of its leases.
    var id: String { store.replica }

    /// Says the console is alive (what it holds, `replicas()` reads from the leases themselves).
    func heartbeat() async throws {
        try await store.heartbeat(id: id, version: AsgardVersion.version, startTime: startTime)
    }

    /// The consoles on the database, this one marked.
    func replicas() async throws -> [ReplicaJSON] {
        try await store.replicas(aliveSeconds: SharedDatabase.leaseSeconds).map {
            ReplicaJSON(id: $0.id, version: $0.version, startTime: $0.startTime, heartbeatTime: $0.heartbeatTime, alive: $0.alive, holds: $0.holds,
                        current: $0.id == id)
        }
    }

    /// Opens `url` and migrates it.
    ///
    /// - Throws: `StoreError(.unavailable)` when the database cannot be used, or the
    ///   configuration names a local account (the local cloud runs processes on one host).
    static func open(_ url: DatabaseURL, accounts: [AccountConfig], logger: Logger) async throws -> SharedDatabase {
        if let local = accounts.first(where: { $0.provider == "local" }) {
            throw StoreError(.unavailable, "Account '\(local.name)' is a local account: the local cloud is a single-host sandbox whose instances and load balancers "
                             + "are processes on this machine, so it cannot run on a shared database. Configure AWS accounts only with --database-url "
                             + "(see the README's 'Run several consoles'), or run without --database-url")
        }
        let store = try await PostgresStore.open(url, logger: logger, leaseSeconds: leaseSeconds)
        logger.info("Joined the database \(url.redacted) as console \(store.replica)")
        let database = SharedDatabase(store: store, startTime: Date())
        try await database.heartbeat()
        return database
    }
}

/// Renews this console's leases every 2 s with its heartbeat, stops the tasks whose leases
/// another console took (after this one was paused or cut off past their expiry), and gives
/// every lease up on a normal stop so that others take its work over at once.
struct LeaseKeeper: Service {
    let database: SharedDatabase
    /// Told the tasks another console took.
    let lost: @Sendable ([TaskID]) -> Void
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var renewed = ContinuousClock.now
            var warned = false
            while !Task.isCancelled {
                try? await Task.sleep(for: SharedDatabase.renewEvery)
                if Task.isCancelled { break }
                do {
                    let renewal = try await database.store.renewLeases()
                    if !renewal.lost.isEmpty {
                        logger.warning("Another console took over tasks \(renewal.lost.map(\.description).joined(separator: ", ")): this one stops running them")
                        lost(renewal.lost)
                    }
                    try await database.heartbeat()
                    if warned { logger.notice("The database answers again; leases renewed") }
                    renewed = .now
                    warned = false
                } catch {
                    // The database is away: nobody can write meanwhile, and once it is back the
                    // renewal says which tasks another console took (those stop here).
                    if ContinuousClock.now - renewed > .seconds(SharedDatabase.leaseSeconds), !warned {
                        logger.warning("Cannot renew this console's leases: the database does not answer; requests answer 503 and deployments wait")
                        warned = true
                    }
                }
            }
        }
        try? await database.store.releaseAllLeases()
        try? await database.heartbeat()
        database.store.close()
    }
}

/// Follows what the other consoles change in the clouds, from the tasks they record, when one
/// says it recorded a task (and every `every`): each change reads the object again in this
/// console's cache, so that a change made through any console shows in the reads of all of them
/// within a fraction of a second.
struct ChangeFollower: Service {
    let database: SharedDatabase
    /// The cloud of each region.
    let clouds: [String: any CloudProvider]
    /// Woken when another console recorded a task; it also looks every `every`.
    let wakeup: Wakeup
    var every: Duration = .seconds(1)
    let logger: Logger

    /// Tasks are numbered when they start but become visible when their transaction commits,
    /// so a later number can show first: the look goes back this far and skips what it saw.
    static let window: Int64 = 200

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var cursor = (try? await database.store.newestTaskID()) ?? 0
            var seen: Set<Int64> = []
            while !Task.isCancelled {
                do {
                    let changes = try await database.store.changesElsewhere(after: max(0, cursor - ChangeFollower.window)).filter { !seen.contains($0.id) }
                    var followed: Set<String> = []
                    for change in changes {
                        seen.insert(change.id)
                        cursor = max(cursor, change.id)
                        let key = "\(change.region)/\(change.objectType.rawValue)/\(change.objectId)"
                        guard let cloud = clouds[change.region], followed.insert(key).inserted else { continue }
                        do {
                            try await cloud.followChange(of: change.objectType, id: change.objectId)
                        } catch {
                            logger.info("Cannot read \(change.objectType.rawValue) \(change.objectId) again after another console changed it: \(error)")
                        }
                    }
                    seen = seen.filter { $0 > cursor - ChangeFollower.window }
                } catch {
                    // The database is away: the next look catches up.
                }
                await wakeup.wait(upTo: every)
            }
        }
    }
}

/// Hears the other consoles through the database's notifications and wakes what waits for them:
/// the engines (a decision sent to a task), the change follower and the region readers.
struct NotificationListener: Service {
    let database: SharedDatabase
    let engines: [DeploymentEngine]
    let changes: Wakeup
    /// The wake-up of each shared region read, by `account/region`.
    let regions: [String: Wakeup]

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await database.store.listen(reconnected: wakeAll) { payload in
                if payload == "changes" {
                    changes.signal()
                } else if payload.hasPrefix("task:"), let id = Int64(payload.dropFirst(5)) {
                    for engine in engines { engine.wake(TaskID(id)) }
                } else if payload.hasPrefix("region:") {
                    regions[String(payload.dropFirst(7))]?.signal()
                }
            }
        }
    }

    /// After the connection was lost, whatever it missed is read again.
    @Sendable func wakeAll() {
        for engine in engines { engine.wake() }
        changes.signal()
        for region in regions.values { region.signal() }
    }
}
