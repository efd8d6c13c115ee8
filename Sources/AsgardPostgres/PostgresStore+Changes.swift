import AsgardCore
import AsgardStore
import Foundation
import PostgresNIO

/// A change another console made in a cloud, as its task records it.
public struct CloudChange: Sendable, Hashable {
    /// The task's id: changes come in this order.
    public var id: Int64
    public var region: String
    public var objectType: TaskObjectType
    public var objectId: String
}

extension PostgresStore {
    /// The newest task's id, where a console starts following the others' changes.
    public func newestTaskID() async throws -> Int64 {
        try await read { [self] in try await collect(client.query("SELECT COALESCE(MAX(id), 0) FROM task", logger: logger), as: Int64.self).first ?? 0 }
    }

    /// The changes other consoles recorded with an id above `after`, oldest first, at most
    /// `limit`: tasks about server groups, instances, load balancers, images and security groups.
    public func changesElsewhere(after: Int64, limit: Int = 500) async throws -> [CloudChange] {
        try await read { [self] in
            let rows = try await client.query("""
                SELECT id, region, object_type, object_id FROM task
                WHERE id > \(after) AND region IS NOT NULL AND replica IS DISTINCT FROM \(replica)
                AND object_type IN ('serverGroup', 'instance', 'loadBalancer', 'image', 'securityGroup')
                ORDER BY id LIMIT \(min(max(limit, 1), 5000))
                """, logger: logger)
            return try await collectRows(rows, as: (Int64, String, String, String).self).compactMap { row in
                TaskObjectType(rawValue: row.2).map { CloudChange(id: row.0, region: row.1, objectType: $0, objectId: row.3) }
            }
        }
    }
}
