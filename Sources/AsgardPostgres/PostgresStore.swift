import AsgardCore
import AsgardStore
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The store on a PostgreSQL database that several consoles share: applications, users, tokens,
/// sessions, the audit log and tasks (the local cloud stays on one host, in SQLite).
///
/// `open` connects, then brings the schema up to date under a lock so that replicas starting
/// together migrate once; a database written by a newer version is refused.
public final class PostgresStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>
    /// How long one call to the database may take before the console answers 503.
    let callTimeout: Duration
    /// Where it is, with the password left out.
    public let url: DatabaseURL
    /// The console it serves, as its leases name it (host, process and a random part).
    public let replica: String
    /// How long a lease lasts unless renewed, in seconds.
    public let leaseSeconds: Double
    /// The tasks whose leases this console took, with their epochs: its writes to them are fenced.
    let heldTasks = Mutex<[Int64: HeldTask]>([:])

    private init(client: PostgresClient, url: DatabaseURL, logger: Logger, runner: Task<Void, Never>, callTimeout: Duration,
                 replica: String, leaseSeconds: Double) {
        self.replica = replica
        self.leaseSeconds = leaseSeconds
        self.callTimeout = callTimeout
        self.client = client
        self.url = url
        self.logger = logger
        self.runner = runner
    }

    deinit { runner.cancel() }

    /// Connects to `url` and migrates its schema.
    ///
    /// - Parameters:
    ///   - replica: the console's id in the leases it takes; a new one by default.
    ///   - leaseSeconds: how long its leases last without a renewal.
    ///   - abandonedTransaction: how long the database keeps a transaction of this console's
    ///     open while the console sends nothing (PostgreSQL's
    ///     `idle_in_transaction_session_timeout`). A console paused or cut off mid-transaction
    ///     would otherwise keep its row locks, and the console taking its tasks over would wait
    ///     on them for as long as the pause lasts. No transaction of the store waits on anything
    ///     but the database, so a few seconds is ample; keep it under `leaseSeconds`.
    /// - Throws: `StoreError(.unavailable)` when the database cannot be reached within
    ///   `timeout`, refuses the credentials, or was written by a newer version.
    public static func open(_ url: DatabaseURL, logger: Logger = Logger(label: "asgard.postgres"),
                            timeout: Duration = .seconds(20), callTimeout: Duration = .seconds(5),
                            replica: String = PostgresStore.newReplicaID(), leaseSeconds: Double = 10,
                            abandonedTransaction: Duration = .seconds(5)) async throws -> PostgresStore {
        let tls: PostgresClient.Configuration.TLS
        switch url.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(host: url.host, port: url.port, username: url.user, password: url.password,
                                                         database: url.database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = 20
        // Whole seconds, within what PostgreSQL takes (a 32-bit count of milliseconds).
        let abandonSeconds = min(max(abandonedTransaction.components.seconds, 1), 2_000_000)
        configuration.options.additionalStartupParameters = [("idle_in_transaction_session_timeout", "\(abandonSeconds * 1000)")]
        // The pool retries a connection it cannot make, and would log each try: warnings and worse only.
        var background = logger
        background.logLevel = max(logger.logLevel, .warning)
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        // The client answers queries only while run() runs, and the console queries the store
        // (migrations, the admin's bootstrap) before its service group starts: so it runs from
        // here until close().
        let runner = Task { await client.run() }
        let store = PostgresStore(client: client, url: url, logger: logger, runner: runner, callTimeout: callTimeout,
                                  replica: replica, leaseSeconds: leaseSeconds)
        do {
            try await withDeadline(timeout) { try await PostgresSchema.migrate(store.client, logger: logger) }
        } catch {
            store.close()
            if let refusal = PostgresStore.refusal(error) { throw refusal }
            throw StoreError(.unavailable, "Cannot use the database \(url.redacted): \(PostgresStore.describe(error))", cause: error)
        }
        return store
    }

    /// A console id no other console has: host, process and a random part.
    public static func newReplicaID() -> String {
        "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Stops its connections.
    public func close() { runner.cancel() }

    /// Why the database cannot be used now, in words; nil when it answers.
    public func problem() async -> String? {
        do {
            _ = try await read { [self] in try await collect(self.client.query("SELECT 1", logger: self.logger), as: Int.self) }
            return nil
        } catch let error as StoreError {
            return "the database \(url.redacted): \(error.message)"
        } catch {
            return "the database \(url.redacted) is unavailable"
        }
    }

    /// The versions of the schema applied, oldest first.
    public func appliedVersions() async throws -> [Int] {
        try await collect(client.query("SELECT version FROM asgard_schema ORDER BY version", logger: logger), as: Int.self)
    }

    /// The store's own refusal (a conflict, a missing row, a newer schema) inside `error`, which a
    /// transaction wraps.
    static func refusal(_ error: any Error) -> StoreError? {
        if let error = error as? StoreError { return error }
        if let error = error as? PostgresTransactionError { return error.closureError.flatMap(refusal) }
        return nil
    }

    /// What went wrong, in a line, without the query or the password.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        if error is DeadlineExceeded { return "no answer in time" }
        if let error = error as? PostgresTransactionError {
            return (error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError).map(describe) ?? "the transaction failed"
        }
        return String(describing: type(of: error))
    }

    /// Runs `body`, failing with `DeadlineExceeded` after `timeout` whether or not `body` has
    /// ended by then: it is cancelled and left behind. (PostgresNIO 1.33 never answers a query
    /// sent on a connection the server closed, say a transaction it ended for being left open,
    /// and a task group would wait for it forever.)
    static func withDeadline<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let race = DeadlineRace<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.start(continuation, timeout: timeout, body)
            }
        } onCancel: {
            race.answer(.failure(CancellationError()))
        }
    }
}

extension PostgresStore {
    /// Runs `body` in a transaction, mapping the database's errors to `StoreError`; a database
    /// that does not answer within `callTimeout` is `databaseUnavailable`.
    @discardableResult
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await read { [client, logger] in try await client.withTransaction(logger: logger) { connection in try await body(connection) } }
    }

    /// Runs a read (or a single statement), mapping the database's errors to `StoreError`.
    @discardableResult
    func read<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            return try await PostgresStore.withDeadline(callTimeout, body)
        } catch {
            throw PostgresStore.refusal(error) ?? PostgresStore.storeError(error, after: callTimeout)
        }
    }

    /// A database error as the console reports it: whatever is not the store's own refusal
    /// means the database does not answer (or refuses us), which may pass.
    static func storeError(_ error: any Error, after callTimeout: Duration) -> StoreError {
        StoreError(.databaseUnavailable, "The database \(error is DeadlineExceeded ? "did not answer within \(Int(callTimeout.components.seconds)) s" : "is unavailable: \(describe(error))"); "
                   + "try again shortly", cause: error)
    }
}

/// A database call that took longer than it may.
struct DeadlineExceeded: Error {}

/// Decodes every row of `rows` as `T`.
func collect<T: PostgresDecodable & Sendable>(_ rows: PostgresRowSequence, as: T.Type) async throws -> [T] {
    var values: [T] = []
    for try await value in rows.decode(T.self) { values.append(value) }
    return values
}

extension Date {
    /// Seconds since 1970, as the store keeps times (exactly, as a double).
    var seconds: Double { timeIntervalSince1970 }
    init(seconds: Double) { self.init(timeIntervalSince1970: seconds) }
}

/// Decodes every row of `rows` as a tuple of columns.
func collectRows<each Column: PostgresDecodable & Sendable>(_ rows: PostgresRowSequence, as: (repeat each Column).Type) async throws -> [(repeat each Column)] {
    var values: [(repeat each Column)] = []
    for try await value in rows.decode((repeat each Column).self) { values.append(value) }
    return values
}

/// The body, the deadline and a cancel of `PostgresStore.withDeadline`: the first to end answers
/// the caller and cancels the others.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var tasks: [Task<Void, Never>] = []
        var answered: Result<T, any Error>?
    }

    private let state = Mutex(State())

    /// Runs `body` and a timer of `timeout`; answers `continuation` with whichever ends first.
    func start(_ continuation: CheckedContinuation<T, any Error>, timeout: Duration, _ body: @escaping @Sendable () async throws -> T) {
        let early = state.withLock { state -> Result<T, any Error>? in
            guard state.answered == nil else { return state.answered }
            state.continuation = continuation
            return nil
        }
        if let early {
            continuation.resume(with: early)
            return
        }
        let work = Task { [self] in
            do { answer(.success(try await body())) } catch { answer(.failure(error)) }
        }
        let timer = Task { [self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            answer(.failure(DeadlineExceeded()))
        }
        let late = state.withLock { state -> Bool in
            guard state.answered == nil else { return true }
            state.tasks = [work, timer]
            return false
        }
        if late {
            work.cancel()
            timer.cancel()
        }
    }

    /// Answers the caller once; cancels whatever still runs.
    func answer(_ result: Result<T, any Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) in
            guard state.answered == nil else { return (nil, []) }
            state.answered = result
            defer { state.continuation = nil; state.tasks = [] }
            return (state.continuation, state.tasks)
        }
        for task in tasks { task.cancel() }
        continuation?.resume(with: result)
    }
}
