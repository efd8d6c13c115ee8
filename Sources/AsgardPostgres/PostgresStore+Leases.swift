import AsgardStore
import Foundation
import PostgresNIO

/// A lease held: its name, holder and epoch (the fencing token a newer holder outgrows).
public struct Lease: Sendable, Hashable {
    public var name: String
    public var holder: String
    public var epoch: Int64
}

extension PostgresStore {
    /// Takes `name` for `holder` for `ttl` seconds when it is free, expired, or already this
    /// holder's; answers the lease (a new holder gets the next epoch), nil when someone else
    /// holds it. Times are the database's, so the replicas' clocks do not matter.
    public func acquireLease(_ name: String, holder: String, ttl: Double) async throws -> Lease? {
        try await read { [self] in
            let rows = try await client.query("""
                INSERT INTO lease (name, holder, epoch, expires_at)
                VALUES (\(name), \(holder), 1, extract(epoch FROM clock_timestamp()) + \(ttl))
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
                    epoch = CASE WHEN lease.holder = excluded.holder THEN lease.epoch ELSE lease.epoch + 1 END
                WHERE lease.holder = excluded.holder OR lease.expires_at < extract(epoch FROM clock_timestamp())
                RETURNING epoch
                """, logger: logger)
            return try await collect(rows, as: Int64.self).first.map { Lease(name: name, holder: holder, epoch: $0) }
        }
    }

    /// Extends `lease` by `ttl` seconds; false when it expired and someone else took it.
    public func renewLease(_ lease: Lease, ttl: Double) async throws -> Bool {
        try await read { [self] in
            let rows = try await client.query("""
                UPDATE lease SET expires_at = extract(epoch FROM clock_timestamp()) + \(ttl)
                WHERE name = \(lease.name) AND holder = \(lease.holder) AND epoch = \(lease.epoch) RETURNING epoch
                """, logger: logger)
            return try await !collect(rows, as: Int64.self).isEmpty
        }
    }

    /// Gives `lease` up at once, so that the next holder need not wait for it to expire.
    public func releaseLease(_ lease: Lease) async throws {
        try await read { [self] in
            try await client.query("""
                UPDATE lease SET expires_at = 0 WHERE name = \(lease.name) AND holder = \(lease.holder) AND epoch = \(lease.epoch)
                """, logger: logger)
        }
    }

    /// Who holds `name` now, if anyone does.
    public func leaseHolder(_ name: String) async throws -> String? {
        try await read { [self] in
            try await collect(client.query("""
                SELECT holder FROM lease WHERE name = \(name) AND expires_at >= extract(epoch FROM clock_timestamp())
                """, logger: logger), as: String.self).first
        }
    }
}
