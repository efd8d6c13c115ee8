import AsgardStore
import Foundation
import PostgresNIO

/// A console as the database knows it.
public struct ReplicaRecord: Sendable, Hashable {
    public var id: String
    public var version: String
    public var startTime: Date
    public var heartbeatTime: Date
    /// Whether its last heartbeat is at most `aliveSeconds` old, by the database's clock.
    public var alive: Bool
    public var holds: [String]
}

extension PostgresStore {
    /// Records that console `id` is alive now. (The `holds` column of schema version 2 stays
    /// empty: `replicas` reads what each console holds from the leases.)
    public func heartbeat(id: String, version: String, startTime: Date) async throws {
        try await read { [self] in
            try await client.query("""
                INSERT INTO replica (id, version, start_time, heartbeat_at, holds)
                VALUES (\(id), \(version), \(startTime.seconds), extract(epoch FROM clock_timestamp()), '')
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, version = excluded.version
                """, logger: logger)
        }
    }

    /// The consoles seen in the last `forgetAfter` seconds, newest first; those silent for more
    /// than `aliveSeconds` are not alive. What each holds is read from the leases themselves
    /// (those not expired), as `task 12 (epoch 2)` or `refresh:test/us-east-1 (epoch 1)`, so a
    /// dead console holds nothing once its leases ran out, whatever its last heartbeat said.
    public func replicas(aliveSeconds: Double, forgetAfter: Double = 600) async throws -> [ReplicaRecord] {
        try await read { [self] in
            let rows = try await client.query("""
                SELECT r.id, r.version, r.start_time, r.heartbeat_at,
                       COALESCE((SELECT string_agg(CASE WHEN l.name LIKE 'task:%' THEN 'task ' || substr(l.name, 6) ELSE l.name END
                                                   || ' (epoch ' || l.epoch || ')', E'\\n' ORDER BY length(l.name), l.name)
                                 FROM lease l WHERE l.holder = r.id AND l.expires_at >= extract(epoch FROM clock_timestamp())), ''),
                       r.heartbeat_at >= extract(epoch FROM clock_timestamp()) - \(aliveSeconds) AS alive
                FROM replica r WHERE r.heartbeat_at >= extract(epoch FROM clock_timestamp()) - \(forgetAfter)
                ORDER BY r.start_time DESC
                """, logger: logger)
            return try await collectRows(rows, as: (String, String, Double, Double, String, Bool).self).map { row in
                ReplicaRecord(id: row.0, version: row.1, startTime: Date(seconds: row.2), heartbeatTime: Date(seconds: row.3), alive: row.5,
                              holds: row.4.split(separator: "\n").map(String.init))
            }
        }
    }

    /// Runs `body` while holding the database-wide lock `key` (a session advisory lock on a
    /// connection of its own), so that consoles starting together do it one after another.
    /// `body`'s own errors come out as they are; a database that does not answer within
    /// `timeout` is `databaseUnavailable`.
    public func exclusively<T: Sendable>(_ key: Int64, timeout: Duration = .seconds(60),
                                         _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome: Result<T, any Error>
        do {
            outcome = try await PostgresStore.withDeadline(timeout) { [self] in
                try await client.withConnection { connection in
                    try await connection.query("SELECT pg_advisory_lock(\(key))", logger: logger)
                    let outcome: Result<T, any Error>
                    do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
                    return outcome
                }
            }
        } catch {
            throw PostgresStore.storeError(error, after: timeout)
        }
        return try outcome.get()
    }
}
