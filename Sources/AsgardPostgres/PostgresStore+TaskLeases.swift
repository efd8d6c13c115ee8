import AsgardCore
import AsgardStore
import Foundation
import PostgresNIO

/// A task whose lease this console took: the epoch its writes carry, and whether a renewal
/// found the lease taken by another console (its writes are refused from then on).
struct HeldTask: Sendable, Hashable {
    var epoch: Int64
    var lost = false
}

/// What a renewal of all of a console's leases found.
public struct LeaseRenewal: Sendable, Hashable {
    /// The leases it still holds, by name, with their epochs.
    public var held: [String: Int64]
    /// The tasks whose leases another console took since the last renewal.
    public var lost: [TaskID]
}

extension PostgresStore: TaskLeasing {
    /// The lease row of task `id`.
    static func leaseName(of id: Int64) -> String { "task:\(id)" }

    /// The epoch this console's writes to task `id` carry, when it took the task's lease.
    func fence(_ id: Int64) -> Int64? { heldTasks.withLock { $0[id]?.epoch } }

    /// The refusal of a write to task `id` that another console took over.
    func leaseLostError(_ id: Int64, epoch: Int64) -> StoreError {
        StoreError(.leaseLost, "Task \(id) belongs to another console now: this one's lease (epoch \(epoch)) was taken over, so its write was refused")
    }

    /// Takes the lease of the task `id` just recorded, for this console (inside the caller's
    /// transaction); answers its epoch.
    func leaseNewTask(_ id: Int64, on connection: PostgresConnection) async throws -> Int64 {
        let rows = try await connection.query("""
            INSERT INTO lease (name, holder, epoch, expires_at)
            VALUES (\(PostgresStore.leaseName(of: id)), \(replica), 1, extract(epoch FROM clock_timestamp()) + \(leaseSeconds))
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, epoch = lease.epoch + 1, expires_at = excluded.expires_at
            RETURNING epoch
            """, logger: logger)
        return try await collect(rows, as: Int64.self).first ?? 1
    }

    /// Starts fencing task `id`'s writes with `epoch`.
    func hold(_ id: Int64, epoch: Int64) { heldTasks.withLock { $0[id] = HeldTask(epoch: epoch) } }

    public func claimOrphanedTasks(in regions: Set<String>, limit: Int) async throws -> [TaskID] {
        let regionList = regions.sorted(), limit = min(max(limit, 1), 1000)
        let claimed: [(String, Int64)] = try await read { [self] in
            // A running task whose lease expired (or that has none) is an orphan; the conditional
            // update takes it only while it still is one, so two consoles never both take it.
            let rows = try await client.query("""
                WITH orphans AS (
                    SELECT t.id FROM task t LEFT JOIN lease l ON l.name = 'task:' || t.id
                    WHERE t.status IN ('running', 'waiting') AND COALESCE(t.region, 'local') = ANY(\(regionList))
                    AND (l.name IS NULL OR (l.expires_at < extract(epoch FROM clock_timestamp()) AND l.holder <> \(replica)))
                    ORDER BY t.id LIMIT \(limit))
                INSERT INTO lease (name, holder, epoch, expires_at)
                SELECT 'task:' || id, \(replica), 1, extract(epoch FROM clock_timestamp()) + \(leaseSeconds) FROM orphans
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, epoch = lease.epoch + 1, expires_at = excluded.expires_at
                WHERE lease.expires_at < extract(epoch FROM clock_timestamp())
                RETURNING name, epoch
                """, logger: logger)
            return try await collectRows(rows, as: (String, Int64).self)
        }
        var ids: [TaskID] = []
        for (name, epoch) in claimed {
            guard let id = Int64(name.dropFirst("task:".count)) else { continue }
            hold(id, epoch: epoch)
            ids.append(TaskID(id))
        }
        return ids.sorted { $0.rawValue < $1.rawValue }
    }

    public func holdsTask(_ id: TaskID) async throws -> Bool {
        guard let epoch = fence(id.rawValue) else { return false }
        // Renewing it answers whether it is still this console's, atomically: a console taking
        // it over changes its holder and epoch first, or waits for this renewal and finds it alive.
        let held = try await read { [self] in
            try await !collect(client.query("""
                UPDATE lease SET expires_at = extract(epoch FROM clock_timestamp()) + \(leaseSeconds)
                WHERE name = \(PostgresStore.leaseName(of: id.rawValue)) AND holder = \(replica) AND epoch = \(epoch) RETURNING epoch
                """, logger: logger), as: Int64.self).isEmpty
        }
        if !held { heldTasks.withLock { $0[id.rawValue]?.lost = true } }
        return held
    }

    public func releaseTask(_ id: TaskID) async {
        guard let epoch = heldTasks.withLock({ $0.removeValue(forKey: id.rawValue)?.epoch }) else { return }
        _ = try? await read { [self] in
            try await client.query("""
                DELETE FROM lease WHERE name = \(PostgresStore.leaseName(of: id.rawValue)) AND holder = \(replica) AND epoch = \(epoch)
                """, logger: logger)
        }
    }

    /// Renews every lease this console holds, in one statement, and says which of its tasks
    /// another console took since the last renewal.
    public func renewLeases() async throws -> LeaseRenewal {
        // Only the tasks held before the renewal can be missing from it: one taken meanwhile is not lost.
        let before = heldTasks.withLock { $0 }
        let rows = try await read { [self] in
            try await collectRows(client.query("""
                UPDATE lease SET expires_at = extract(epoch FROM clock_timestamp()) + \(leaseSeconds) WHERE holder = \(replica) RETURNING name, epoch
                """, logger: logger), as: (String, Int64).self)
        }
        let held = Dictionary(rows, uniquingKeysWith: { a, _ in a })
        let lost: [TaskID] = heldTasks.withLock { tasks in
            var lost: [TaskID] = []
            for (id, task) in tasks where !task.lost && before[id] == task && held[PostgresStore.leaseName(of: id)] != task.epoch {
                tasks[id]?.lost = true
                lost.append(TaskID(id))
            }
            return lost
        }
        return LeaseRenewal(held: held, lost: lost.sorted { $0.rawValue < $1.rawValue })
    }

    /// Gives every lease of this console up at once (on a normal stop), so that others take its
    /// work over without waiting for the leases to expire.
    public func releaseAllLeases() async throws {
        try await read { [self] in
            try await client.query("UPDATE lease SET expires_at = 0 WHERE holder = \(replica)", logger: logger)
        }
        heldTasks.withLock { tasks in for id in tasks.keys { tasks[id]?.lost = true } }
    }
}
