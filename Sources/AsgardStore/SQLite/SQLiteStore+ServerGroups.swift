import AsgardCore
import Foundation
import GRDB

extension SQLiteStore: ServerGroupStore {
    static func list<T: RawRepresentable>(_ text: String, as: T.Type) -> [T] where T.RawValue == String {
        text.split(separator: ",").compactMap { T(rawValue: String($0)) }
    }

    static func serverGroupRecord(_ row: Row) -> ServerGroupRecord {
        ServerGroupRecord(autoScalingGroupName: row["name"], imageId: ImageID(rawValue: row["imageId"]), minSize: row["minSize"],
                          desiredCapacity: row["desiredCapacity"], maxSize: row["maxSize"],
                          healthCheckType: HealthCheckType(rawValue: row["healthCheckType"]) ?? .ec2,
                          healthCheckGracePeriod: row["healthCheckGracePeriod"],
                          terminationPolicies: list(row["terminationPolicies"], as: TerminationPolicy.self),
                          suspendedProcesses: list(row["suspendedProcesses"], as: ScalingProcess.self),
                          loadBalancerNames: (row["loadBalancerNames"] as String).split(separator: ",").map(String.init),
                          createdTime: date(row["createdTime"]))
    }

    static func instanceRecord(_ row: Row) -> InstanceRecord {
        InstanceRecord(instanceId: InstanceID(rawValue: row["id"]), autoScalingGroupName: row["serverGroup"],
                       imageId: ImageID(rawValue: row["imageId"]),
                       lifecycleState: LifecycleState(rawValue: row["lifecycleState"]) ?? .terminated,
                       healthStatus: HealthStatus(rawValue: row["healthStatus"]) ?? .unhealthy, launchTime: date(row["launchTime"]),
                       port: row["port"], pid: row["pid"], startTicks: (row["startTicks"] as Int64?).map { UInt64($0) },
                       statusReason: row["statusReason"], protectedFromScaleIn: (row["protectedFromScaleIn"] as Int?).map { $0 != 0 })
    }

    private static func groupArguments(_ g: ServerGroupRecord) -> StatementArguments {
        [g.imageId.rawValue, g.minSize, g.desiredCapacity, g.maxSize, g.healthCheckType.rawValue, g.healthCheckGracePeriod,
         g.terminationPolicies.map(\.rawValue).joined(separator: ","), g.suspendedProcesses.map(\.rawValue).joined(separator: ","),
         g.loadBalancerNames.joined(separator: ","), g.createdTime.timeIntervalSince1970, g.autoScalingGroupName]
    }

    public func serverGroups() async throws -> [ServerGroupRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM serverGroup ORDER BY createdTime, name").map(SQLiteStore.serverGroupRecord)
        }
    }

    public func serverGroup(named name: String) async throws -> ServerGroupRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM serverGroup WHERE name = ?", arguments: [name]).map(SQLiteStore.serverGroupRecord)
        }
    }

    public func createServerGroup(_ group: ServerGroupRecord, task: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM serverGroup WHERE name = ?", arguments: [group.autoScalingGroupName]) != true else {
                throw StoreError(.conflict, "Server group '\(group.autoScalingGroupName)' exists already")
            }
            try db.execute(sql: """
                INSERT INTO serverGroup (imageId, minSize, desiredCapacity, maxSize, healthCheckType, healthCheckGracePeriod,
                    terminationPolicies, suspendedProcesses, loadBalancerNames, createdTime, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: SQLiteStore.groupArguments(group))
            return try SQLiteStore.insertTask(task, db: db)
        }
    }

    public func updateServerGroup(_ group: ServerGroupRecord, task: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE serverGroup SET imageId = ?, minSize = ?, desiredCapacity = ?, maxSize = ?, healthCheckType = ?,
                    healthCheckGracePeriod = ?, terminationPolicies = ?, suspendedProcesses = ?, loadBalancerNames = ?, createdTime = ?
                WHERE name = ?
                """, arguments: SQLiteStore.groupArguments(group))
            guard db.changesCount == 1 else { throw StoreError(.notFound, "Server group '\(group.autoScalingGroupName)' not found") }
            return try SQLiteStore.insertTask(task, db: db)
        }
    }

    public func deleteServerGroup(named name: String, task: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM serverGroup WHERE name = ?", arguments: [name])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "Server group '\(name)' not found") }
            try db.execute(sql: "DELETE FROM instance WHERE serverGroup = ?", arguments: [name])
            return try SQLiteStore.insertTask(task, db: db)
        }
    }

    public func instances(of group: String?, includeTerminated: Bool) async throws -> [InstanceRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM instance WHERE (?1 IS NULL OR serverGroup = ?1) AND (?2 OR lifecycleState != 'Terminated')
                ORDER BY launchTime, id
                """, arguments: [group, includeTerminated]).map(SQLiteStore.instanceRecord)
        }
    }

    public func instance(_ id: InstanceID) async throws -> InstanceRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM instance WHERE id = ?", arguments: [id.rawValue]).map(SQLiteStore.instanceRecord)
        }
    }

    public func setInstanceProtection(_ ids: [InstanceID], protected: Bool, task: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in
            for id in ids {
                try db.execute(sql: "UPDATE instance SET protectedFromScaleIn = ? WHERE id = ? AND lifecycleState != 'Terminated'",
                               arguments: [protected ? 1 : 0, id.rawValue])
                guard db.changesCount == 1 else { throw StoreError(.notFound, "Instance \(id) not found, or terminated") }
            }
            return try SQLiteStore.insertTask(task, db: db)
        }
    }

    public func saveInstance(_ i: InstanceRecord) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO instance (id, serverGroup, imageId, lifecycleState, healthStatus, launchTime, port, pid, startTicks, statusReason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET serverGroup = excluded.serverGroup, imageId = excluded.imageId, lifecycleState = excluded.lifecycleState,
                    healthStatus = excluded.healthStatus, launchTime = excluded.launchTime, port = excluded.port, pid = excluded.pid,
                    startTicks = excluded.startTicks, statusReason = excluded.statusReason
                """, arguments: [i.instanceId.rawValue, i.autoScalingGroupName, i.imageId.rawValue, i.lifecycleState.rawValue,
                                 i.healthStatus.rawValue, i.launchTime.timeIntervalSince1970, i.port, i.pid,
                                 i.startTicks.map { Int64($0) }, i.statusReason])
        }
    }
}
