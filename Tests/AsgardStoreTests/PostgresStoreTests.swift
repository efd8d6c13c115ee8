import AsgardCore
@testable import AsgardPostgres
import AsgardStore
import AsgardTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

/// What only the PostgreSQL store does: migrating once when replicas start together, refusing a
/// newer schema, keeping the audit log append-only, and failing fast when the database is away.
@Suite("PostgreSQL store", .serialized)
struct PostgresStoreTests {
    @Test func replicasStartingTogetherMigrateOnce() async throws {
        let server = try await PostgresServer()
        defer { server.stop() }
        let url = try DatabaseURL(parsing: server.url)
        let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for _ in 0..<3 { group.addTask { try await PostgresStore.open(url, timeout: .seconds(60), callTimeout: .seconds(60)) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        defer { stores.forEach { $0.close() } }
        #expect(stores.count == 3)
        for store in stores { #expect(try await store.appliedVersions() == PostgresSchema.versions.map(\.version)) }
    }

    @Test func aDatabaseFromANewerVersionIsRefused() async throws {
        let server = try await PostgresServer()
        defer { server.stop() }
        let url = try DatabaseURL(parsing: server.url)
        let store = try await PostgresStore.open(url, timeout: .seconds(60), callTimeout: .seconds(60))
        try await store.client.query("INSERT INTO asgard_schema (version, name) VALUES (99, 'from the future')", logger: store.logger)
        store.close()
        await #expect { try await PostgresStore.open(url, timeout: .seconds(60), callTimeout: .seconds(60)) } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.code == .unavailable && error.message.contains("version 99") && error.message.contains("newer version of Asgard")
        }
    }

    @Test func theAuditLogIsAppendOnly() async throws {
        let server = try await PostgresServer()
        defer { server.stop() }
        let store = try await PostgresStore.open(try DatabaseURL(parsing: server.url), timeout: .seconds(60), callTimeout: .seconds(60))
        defer { store.close() }
        try await store.appendAudit(AuditDraft(time: Date(), user: "ann", action: "POST /x", address: "127.0.0.1", outcome: .succeeded,
                                               status: 200, message: "OK"))
        await #expect(throws: (any Error).self) { try await store.client.query("UPDATE audit SET user_name = 'mallory'", logger: store.logger) }
        await #expect(throws: (any Error).self) { try await store.client.query("DELETE FROM audit", logger: store.logger) }
        #expect(try await store.audit(AuditQuery(user: "ann")).total == 1)
    }

    @Test func anUnreachableDatabaseOrAWrongPasswordFailsFastNamingNoPassword() async throws {
        let port = try FreePort().port
        let away = try DatabaseURL(parsing: "postgres://asgard:sekrit-password@127.0.0.1:\(port)/asgard?sslmode=disable")
        let start = ContinuousClock.now
        await #expect { try await PostgresStore.open(away, timeout: .seconds(3)) } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.code == .unavailable && error.message.contains("127.0.0.1:\(port)/asgard") && !error.message.contains("sekrit")
        }
        #expect(ContinuousClock.now - start < .seconds(10))

        let server = try await PostgresServer()
        defer { server.stop() }
        let wrong = try DatabaseURL(parsing: "postgres://asgard:wrong-password@127.0.0.1:\(server.port)/asgard?sslmode=disable")
        await #expect { try await PostgresStore.open(wrong, timeout: .seconds(3)) } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.code == .unavailable && !error.message.contains("wrong-password")
        }
    }
}

extension PostgresStoreTests {
    @Test func aLeaseHasOneHolderUntilItExpiresAndEachNewHolderOutgrowsTheEpoch() async throws {
        let server = try await PostgresServer()
        defer { server.stop() }
        let url = try DatabaseURL(parsing: server.url)
        let a = try await PostgresStore.open(url, timeout: .seconds(60), callTimeout: .seconds(60)), b = try await PostgresStore.open(url, timeout: .seconds(60), callTimeout: .seconds(60))
        defer { a.close(); b.close() }
        let first = try #require(try await a.acquireLease("console", holder: "a", ttl: 1))
        #expect(first.epoch == 1)
        #expect(try await b.acquireLease("console", holder: "b", ttl: 1) == nil, "held")
        #expect(try await a.acquireLease("console", holder: "a", ttl: 1)?.epoch == 1, "the holder keeps its epoch")
        #expect(try await a.renewLease(first, ttl: 1))
        #expect(try await b.leaseHolder("console") == "a")
        // Once it expires the next holder takes it with a new epoch, and the old one cannot renew.
        var second: Lease?
        let deadline = ContinuousClock.now + .seconds(10)
        while second == nil, ContinuousClock.now < deadline {
            second = try await b.acquireLease("console", holder: "b", ttl: 30)
            if second == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(second?.epoch == 2)
        #expect(try await !a.renewLease(first, ttl: 30), "a stale holder is fenced off")
        try await b.releaseLease(try #require(second))
        #expect(try await a.leaseHolder("console") == nil)
        #expect(try await a.acquireLease("console", holder: "a", ttl: 30)?.epoch == 3)
    }
}

extension PostgresStoreTests {
    @Test func aRunningTaskHasOneOwnerAndAConsoleThatLostItsLeaseCannotWriteToIt() async throws {
        let server = try await PostgresServer()
        defer { server.stop() }
        let url = try DatabaseURL(parsing: server.url)
        let a = try await PostgresStore.open(url, timeout: .seconds(60), callTimeout: .seconds(60), replica: "a", leaseSeconds: 1)
        let b = try await PostgresStore.open(url, timeout: .seconds(60), callTimeout: .seconds(60), replica: "b", leaseSeconds: 30)
        defer { a.close(); b.close() }
        let task = try await a.createExclusiveTask(TaskDraft(operation: "Deploy", objectType: .cluster, objectId: "shop-prod", user: "ann",
                                                             region: "us-east-1", status: .running, log: [], input: "{}"), checkpoint: "step 0")
        let done = try await a.createTask(TaskDraft(operation: "Enable", objectType: .serverGroup, objectId: "shop-prod-v000", user: "ann",
                                                    region: "us-east-1", status: .succeeded, log: []))
        #expect(try await a.renewLeases().held == ["task:\(task.id)": 1], "the running task is a's from its start; a finished one has no lease")
        #expect(try await b.claimOrphanedTasks(in: ["us-east-1"], limit: 10).isEmpty, "a's lease is alive")
        try await a.saveCheckpoint(task.id, "step 1", at: Date())

        // a stops renewing: once its lease expired, b takes the task with the next epoch, once.
        var claimed: [TaskID] = []
        try await waitFor(seconds: 10) {
            claimed = try await b.claimOrphanedTasks(in: ["us-east-1", "eu-west-1"], limit: 10)
            return !claimed.isEmpty
        }
        #expect(claimed == [task.id] && !claimed.contains(done.id))
        #expect(try await b.claimOrphanedTasks(in: ["us-east-1"], limit: 10).isEmpty, "taken once")
        let bHolds = try await b.holdsTask(task.id), aHolds = try await a.holdsTask(task.id)
        #expect(bHolds && !aHolds)

        // a wakes up: every write it tries is refused and changes nothing.
        for write in [{ try await a.saveCheckpoint(task.id, "step 2 from a", at: Date()) },
                      { try await a.appendLog(to: task.id, TaskLogLine(time: Date(), message: "late line from a")) },
                      { try await a.updateTask(task.id, status: .succeeded, checkpoint: nil, at: Date()) }] as [@Sendable () async throws -> Void] {
            await #expect { try await write() } throws: { ($0 as? StoreError)?.code == .leaseLost }
        }
        var stored = try #require(try await b.task(task.id))
        #expect(stored.checkpoint == "step 1" && stored.status == .running && !stored.log.contains { $0.message.contains("from a") })
        #expect(try await a.renewLeases().lost.isEmpty, "holdsTask already told a")

        // b's writes go through; other consoles (not owners) may still log and signal.
        try await b.saveCheckpoint(task.id, "step 2", at: Date())
        try await a.sendSignal(.proceed, to: task.id, by: "ann", at: Date())
        try await b.clearSignal(of: task.id)
        try await b.updateTask(task.id, status: .succeeded, checkpoint: nil, at: Date())
        stored = try #require(try await a.task(task.id))
        #expect(stored.status == .succeeded && stored.checkpoint == "step 2" && stored.signal == nil)
        #expect(try await b.renewLeases().held.isEmpty, "an ended task's lease is gone")
    }

    /// A console paused in the middle of a transaction (SIGSTOP between its UPDATE and its
    /// COMMIT) holds the task's row lock; the database ends that transaction after
    /// `abandonedTransaction`, so the console taking the task over can write to it. The paused
    /// console, once it goes on, gets an error within its call timeout: it does not hang on the
    /// connection the database closed.
    @Test func aTransactionLeftOpenByAPausedConsoleEndsAndFreesItsLocks() async throws {
        let server = try await PostgresServer()
        defer { server.stop() }
        let url = try DatabaseURL(parsing: server.url)
        // b migrates the schema and records the task with the usual settings: on a busy machine a
        // store that ends transactions idle for 1 s could lose those to its own timeout.
        let b = try await PostgresStore.open(url, timeout: .seconds(60), callTimeout: .seconds(20), replica: "b")
        defer { b.close() }
        let task = try await b.createExclusiveTask(TaskDraft(operation: "Deploy", objectType: .cluster, objectId: "shop-prod", user: "ann",
                                                             region: "us-east-1", status: .running, log: [], input: "{}"), checkpoint: "step 0")
        let id = task.id.rawValue
        let a = try await PostgresStore.open(url, timeout: .seconds(60), callTimeout: .seconds(4), replica: "a", abandonedTransaction: .seconds(1))
        defer { a.close() }
        // a locks the task's row and then sends nothing more until b's write to the row is through.
        let started = ContinuousClock.now
        await #expect(throws: StoreError.self) {
            try await a.transaction { connection in
                try await connection.query("UPDATE task SET checkpoint = 'from the paused a' WHERE id = \(id)", logger: a.logger)
                try await b.appendLog(to: task.id, TaskLogLine(time: Date(), message: "Taken over by b"))
                try await connection.query("INSERT INTO task_log (task_id, at_time, message) VALUES (\(id), 0, 'late line from a')", logger: a.logger)
            }
        }
        let waited = ContinuousClock.now - started
        #expect(waited < .seconds(12), "b waited \(waited) for the paused transaction, or a hung after it")
        let stored = try #require(try await b.task(task.id))
        #expect(stored.checkpoint == "step 0" && stored.log.map(\.message) == ["Taken over by b"], "\(stored)")
        // a's next calls work on a new connection.
        #expect(try await a.task(task.id)?.log.count == 1)
    }

    /// Waits until `condition` holds, failing after `seconds`.
    func waitFor(seconds: Double, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw StoreError(.unavailable, "not in \(seconds) s") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
