import AsgardCore
import Foundation
import GRDB

extension SQLiteStore: ScalingStore {
    public func scalingObjects(_ kind: ScalingObjectKind, group: String?) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT body FROM scalingObject WHERE kind = ?1 AND (?2 IS NULL OR serverGroup = ?2) ORDER BY serverGroup, name",
                                arguments: [kind.rawValue, group])
        }
    }

    public func saveScalingObject(_ kind: ScalingObjectKind, group: String, name: String, json: String, task: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO scalingObject (kind, serverGroup, name, body) VALUES (?, ?, ?, ?)
                ON CONFLICT (kind, serverGroup, name) DO UPDATE SET body = excluded.body
                """, arguments: [kind.rawValue, group, name, json])
            return try SQLiteStore.insertTask(task, db: db)
        }
    }

    public func updateScalingObject(_ kind: ScalingObjectKind, group: String, name: String, json: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE scalingObject SET body = ? WHERE kind = ? AND serverGroup = ? AND name = ?",
                           arguments: [json, kind.rawValue, group, name])
        }
    }

    public func deleteScalingObject(_ kind: ScalingObjectKind, group: String, name: String, task: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM scalingObject WHERE kind = ? AND serverGroup = ? AND name = ?", arguments: [kind.rawValue, group, name])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "No \(kind.rawValue) '\(name)' of \(group)") }
            return try SQLiteStore.insertTask(task, db: db)
        }
    }

    public func recordActivity(_ activity: ScalingActivity) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO scalingActivity (activityId, serverGroup, description, cause, startTime, endTime, statusCode) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [activity.activityId, activity.autoScalingGroupName, activity.description, activity.cause,
                                 activity.startTime.timeIntervalSince1970, activity.endTime?.timeIntervalSince1970, activity.statusCode.rawValue])
        }
    }

    public func activities(of group: String, limit: Int) async throws -> [ScalingActivity] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM scalingActivity WHERE serverGroup = ? ORDER BY startTime DESC, rowid DESC LIMIT ?",
                             arguments: [group, limit]).map { row in
                ScalingActivity(activityId: row["activityId"], autoScalingGroupName: row["serverGroup"], description: row["description"],
                                cause: row["cause"], startTime: SQLiteStore.date(row["startTime"]),
                                endTime: (row["endTime"] as Double?).map { Date(timeIntervalSince1970: $0) },
                                statusCode: ActivityStatus(rawValue: row["statusCode"]) ?? .successful)
            }
        }
    }

    public func saveMetricMinute(group: String, minute: Date, json: String, forgetBefore: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO metricMinute (serverGroup, minute, body) VALUES (?, ?, ?)",
                           arguments: [group, minute.timeIntervalSince1970, json])
            try db.execute(sql: "DELETE FROM metricMinute WHERE minute < ?", arguments: [forgetBefore.timeIntervalSince1970])
        }
    }

    public func metricMinutes(of group: String, since: Date) async throws -> [(Date, String)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT minute, body FROM metricMinute WHERE serverGroup = ? AND minute >= ? ORDER BY minute",
                             arguments: [group, since.timeIntervalSince1970]).map { (SQLiteStore.date($0["minute"]), $0["body"]) }
        }
    }
}
