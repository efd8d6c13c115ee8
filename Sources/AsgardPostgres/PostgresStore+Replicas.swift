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
    /// Records that console `id` is alive now and what it holds (`holds`, one item a line).
    public func heartbeat(id: String, version: String, startTime: Date, holds: [String]) async throws {
        let list = holds.joined(separator: "\n")
        try await read { [self] in
            try await client.query("""
                INSERT INTO replica (id, version, start_time, heartbeat_at, holds)
                VALUES (\(id), \(version), \(startTime.seconds), extract(epoch FROM clock_timestamp()), \(list))
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, holds = excluded.holds, version = excluded.version
                """, logger: logger)
        }
    }

    /// The consoles seen in the last `forgetAfter` seconds, newest first; those silent for more
    /// than `aliveSeconds` are not alive.
    public func replicas(aliveSeconds: Double, forgetAfter: Double = 3600) async throws -> [ReplicaRecord] {
        try await read { [self] in
            let rows = try await client.query("""
                SELECT id, version, start_time, heartbeat_at, holds,
                       heartbeat_at >= extract(epoch FROM clock_timestamp()) - \(aliveSeconds) AS alive
                FROM replica WHERE heartbeat_at >= extract(epoch FROM clock_timestamp()) - \(forgetAfter)
                ORDER BY start_time DESC
                """, logger: logger)
            return try await collectRows(rows, as: (String, String, Double, Double, String, Bool).self).map { row in
                ReplicaRecord(id: row.0, version: row.1, startTime: Date(seconds: row.2), heartbeatTime: Date(seconds: row.3), alive: row.5,
                              holds: row.4.split(separator: "\n").map(String.init))
            }
        }
    }
}
