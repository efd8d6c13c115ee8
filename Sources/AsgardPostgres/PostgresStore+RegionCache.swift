import AsgardStore
import Foundation
import PostgresNIO

/// A whole-region read one console shared with the others.
public struct SharedRegionRead: Sendable, Hashable {
    /// Grows with each read shared.
    public var generation: Int64
    /// The read, as the cloud provider encoded it.
    public var body: Data
    /// How long ago the read began, by the database's clock.
    public var ageSeconds: Double
}

extension PostgresStore {
    /// Shares the whole-region read `body` of region `name` (e.g. `test/us-east-1`), which took
    /// `readSeconds`; answers its generation.
    @discardableResult
    public func shareRegionRead(_ name: String, body: Data, readSeconds: Double) async throws -> Int64 {
        let text = String(decoding: body, as: UTF8.self)
        return try await transaction { [self] connection in
            try await connection.query("SELECT pg_notify(\(PostgresStore.channel), \("region:" + name))", logger: logger)
            return try await collect(connection.query("""
                INSERT INTO region_cache (name, generation, body, read_seconds, written_at, replica)
                VALUES (\(name), 1, \(text), \(readSeconds), extract(epoch FROM clock_timestamp()), \(replica))
                ON CONFLICT (name) DO UPDATE SET generation = region_cache.generation + 1, body = excluded.body,
                    read_seconds = excluded.read_seconds, written_at = excluded.written_at, replica = excluded.replica
                RETURNING generation
                """, logger: logger), as: Int64.self).first ?? 0
        }
    }

    /// The last whole-region read of `name` another console shared, when it is newer than
    /// generation `known`.
    public func sharedRegionRead(_ name: String, newerThan known: Int64) async throws -> SharedRegionRead? {
        try await read { [self] in
            let rows = try await client.query("""
                SELECT generation, body, extract(epoch FROM clock_timestamp()) - written_at + read_seconds FROM region_cache
                WHERE name = \(name) AND generation > \(known) AND replica <> \(replica)
                """, logger: logger)
            return try await collectRows(rows, as: (Int64, String, Double).self).first.map {
                // A row edited by hand cannot make the age absurd: at most a day, never negative.
                SharedRegionRead(generation: $0.0, body: Data($0.1.utf8), ageSeconds: $0.2.isFinite ? min(max($0.2, 0), 86_400) : 0)
            }
        }
    }

    /// The generation of the last whole-region read of `name` shared, 0 when there is none.
    public func sharedRegionGeneration(_ name: String) async throws -> Int64 {
        try await read { [self] in
            try await collect(client.query("SELECT generation FROM region_cache WHERE name = \(name)", logger: logger), as: Int64.self).first ?? 0
        }
    }

    /// Takes lease `name` for this console, or keeps it; false while another console holds it.
    /// Held leases are renewed with the console's others (`renewLeases`).
    public func holdLease(_ name: String) async throws -> Bool {
        try await acquireLease(name, holder: replica, ttl: leaseSeconds) != nil
    }
}
