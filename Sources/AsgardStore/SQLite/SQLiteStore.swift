import AsgardCore
import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode, written through GRDB.
///
/// Every write is one transaction. WAL with `synchronous=NORMAL` keeps every committed
/// transaction across a crash or `kill -9` of the process; only a power loss may cost the last
/// few commits.
public final class SQLiteStore: Sendable {
    let pool: DatabasePool

    /// The database file's path.
    public let path: String

    /// Opens (creating when missing) the database at `path` and brings its schema up to date.
    ///
    /// - Throws: `StoreError.unavailable` when the file cannot be opened, or was written by a
    ///   newer version of Asgard that this one does not know.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError(.unavailable, "Cannot open the database '\(path)': check that its directory exists and is writable", cause: error)
        }
        let migrator = SQLiteSchema.migrator
        let superseded = try pool.read { db in try migrator.hasBeenSuperseded(db) }
        guard !superseded else {
            throw StoreError(.unavailable, "The database '\(path)' was written by a newer version of Asgard; run that version or a later one")
        }
        do {
            try migrator.migrate(pool)
        } catch {
            throw StoreError(.unavailable, "Cannot migrate the database '\(path)'", cause: error)
        }
    }

    /// The identifiers of the migrations applied to the database, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try SQLiteSchema.migrator.appliedMigrations(db) }
    }
}

// MARK: - Row mapping

extension SQLiteStore {
    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

    static func appRecord(_ row: Row) -> AppRecord {
        AppRecord(name: AppName(rawValue: row["name"]),
                  owner: row["owner"], email: row["email"], description: row["description"],
                  type: AppType(rawValue: row["type"]) ?? .webService,
                  createTime: date(row["createTime"]), updateTime: date(row["updateTime"]), webhookUrl: row["webhookUrl"])
    }

    static func taskRecord(_ row: Row, log: [TaskLogLine]) -> TaskRecord {
        TaskRecord(id: TaskID(row["id"] as Int64), operation: row["operation"],
                   objectType: TaskObjectType(rawValue: row["objectType"]) ?? .application,
                   objectId: row["objectId"], user: row["user"], region: row["region"],
                   status: TaskStatus(rawValue: row["status"]) ?? .failed, log: log,
                   startTime: date(row["startTime"]), updateTime: date(row["updateTime"]),
                   input: row["input"], checkpoint: row["checkpoint"],
                   signal: (row["signal"] as String?).flatMap(TaskSignal.init(rawValue:)), signalBy: row["signalBy"],
                   parentId: (row["parentId"] as Int64?).map(TaskID.init))
    }

    static func insertTask(_ draft: TaskDraft, db: Database) throws -> TaskRecord {
        let start = draft.log.first?.time ?? Date()
        let update = draft.log.last?.time ?? start
        try db.execute(sql: """
            INSERT INTO task (operation, objectType, objectId, user, region, status, startTime, updateTime, input, parentId)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [draft.operation, draft.objectType.rawValue, draft.objectId, draft.user, draft.region,
                             draft.status.rawValue, start.timeIntervalSince1970, update.timeIntervalSince1970, draft.input,
                             draft.parent?.rawValue])
        let id = TaskID(db.lastInsertedRowID)
        for line in draft.log {
            try db.execute(sql: "INSERT INTO taskLog (taskId, time, message) VALUES (?, ?, ?)",
                           arguments: [id.rawValue, line.time.timeIntervalSince1970, line.message])
        }
        return TaskRecord(id: id, operation: draft.operation, objectType: draft.objectType, objectId: draft.objectId,
                          user: draft.user, region: draft.region, status: draft.status, log: draft.log,
                          startTime: start, updateTime: update, input: draft.input, parentId: draft.parent)
    }
}

// MARK: - ApplicationStore

extension SQLiteStore: ApplicationStore {
    public func applications() async throws -> [AppRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM application ORDER BY name").map(SQLiteStore.appRecord)
        }
    }

    public func application(named name: AppName) async throws -> AppRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM application WHERE name = ?", arguments: [name.rawValue])
                .map(SQLiteStore.appRecord)
        }
    }

    public func createApplication(_ app: AppRecord, task: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in
            let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM application WHERE name = ?", arguments: [app.name.rawValue]) ?? false
            guard !exists else {
                throw StoreError(.conflict, "Application '\(app.name)' already exists; choose another name or update it")
            }
            try db.execute(sql: """
                INSERT INTO application (name, owner, email, description, type, createTime, updateTime, webhookUrl)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [app.name.rawValue, app.owner, app.email, app.description, app.type.rawValue,
                                 app.createTime.timeIntervalSince1970, app.updateTime.timeIntervalSince1970, app.webhookUrl])
            return try SQLiteStore.insertTask(task, db: db)
        }
    }

    public func updateApplication(_ app: AppRecord, task: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE application SET owner = ?, email = ?, description = ?, type = ?, updateTime = ?, webhookUrl = ?
                WHERE name = ?
                """, arguments: [app.owner, app.email, app.description, app.type.rawValue,
                                 app.updateTime.timeIntervalSince1970, app.webhookUrl, app.name.rawValue])
            guard db.changesCount == 1 else {
                throw StoreError(.notFound, "Application '\(app.name)' not found")
            }
            return try SQLiteStore.insertTask(task, db: db)
        }
    }

    public func deleteApplication(named name: AppName, task: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM application WHERE name = ?", arguments: [name.rawValue])
            guard db.changesCount == 1 else {
                throw StoreError(.notFound, "Application '\(name)' not found")
            }
            return try SQLiteStore.insertTask(task, db: db)
        }
    }
}

// MARK: - TaskStore

extension SQLiteStore: TaskStore {
    public func createTask(_ draft: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in try SQLiteStore.insertTask(draft, db: db) }
    }

    public func createExclusiveTask(_ draft: TaskDraft, checkpoint: String?) async throws -> TaskRecord {
        try await pool.write { db in
            if let running = try Row.fetchOne(db, sql: """
                SELECT id, operation FROM task WHERE objectType = ? AND objectId = ? AND status IN ('running', 'waiting') ORDER BY id LIMIT 1
                """, arguments: [draft.objectType.rawValue, draft.objectId]) {
                let id: Int64 = running["id"]
                let operation: String = running["operation"]
                throw StoreError(.conflict, "\(draft.objectType.rawValue) \(draft.objectId) is busy with task \(id) (\(operation)); wait for it to end or cancel it")
            }
            let record = try SQLiteStore.insertTask(draft, db: db)
            try db.execute(sql: "UPDATE task SET checkpoint = ? WHERE id = ?", arguments: [checkpoint, record.id.rawValue])
            var stored = record
            stored.checkpoint = checkpoint
            return stored
        }
    }

    public func saveCheckpoint(_ id: TaskID, _ checkpoint: String, at time: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE task SET checkpoint = ?, updateTime = ? WHERE id = ?",
                           arguments: [checkpoint, time.timeIntervalSince1970, id.rawValue])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "Task \(id) not found") }
        }
    }

    public func appendLog(to id: TaskID, _ line: TaskLogLine) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE task SET updateTime = ? WHERE id = ?",
                           arguments: [line.time.timeIntervalSince1970, id.rawValue])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "Task \(id) not found") }
            try db.execute(sql: "INSERT INTO taskLog (taskId, time, message) VALUES (?, ?, ?)",
                           arguments: [id.rawValue, line.time.timeIntervalSince1970, line.message])
        }
    }

    public func updateTask(_ id: TaskID, status: TaskStatus, checkpoint: String?, at time: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE task SET status = ?, checkpoint = COALESCE(?, checkpoint), updateTime = ? WHERE id = ?
                """, arguments: [status.rawValue, checkpoint, time.timeIntervalSince1970, id.rawValue])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "Task \(id) not found") }
        }
    }

    public func sendSignal(_ signal: TaskSignal, to id: TaskID, by user: String, at time: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE task SET signal = ?, signalBy = ?, updateTime = ? WHERE id = ? AND status IN ('running', 'waiting')",
                           arguments: [signal.rawValue, user, time.timeIntervalSince1970, id.rawValue])
            guard db.changesCount == 1 else {
                let status = try String.fetchOne(db, sql: "SELECT status FROM task WHERE id = ?", arguments: [id.rawValue])
                throw status.map { StoreError(.conflict, "Task \(id) has already \($0); it takes no more requests") }
                    ?? StoreError(.notFound, "Task \(id) not found; see /task/list")
            }
        }
    }

    public func clearSignal(of id: TaskID) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE task SET signal = NULL, signalBy = NULL WHERE id = ?", arguments: [id.rawValue])
        }
    }

    public func task(_ id: TaskID) async throws -> TaskRecord? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM task WHERE id = ?", arguments: [id.rawValue]) else {
                return nil
            }
            let log = try Row.fetchAll(db, sql: "SELECT time, message FROM taskLog WHERE taskId = ? ORDER BY id",
                                       arguments: [id.rawValue])
                .map { TaskLogLine(time: SQLiteStore.date($0["time"]), message: $0["message"]) }
            return SQLiteStore.taskRecord(row, log: log)
        }
    }

    public func tasks(_ query: TaskQuery) async throws -> TaskPage {
        try await pool.read { db in
            // Each filter is a fixed clause that is always present; an absent filter binds NULL
            // and matches everything, so no SQL is assembled from pieces.
            let filter = """
                WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR objectType = ?2) AND (?3 IS NULL OR objectId = ?3)
                AND (?4 = 0 OR parentId IS NULL) AND (?5 IS NULL OR parentId = ?5) AND (?6 IS NULL OR user = ?6)
                """
            let arguments: StatementArguments = [query.status?.rawValue, query.objectType?.rawValue, query.objectId,
                                                 query.topLevelOnly ? 1 : 0, query.parent?.rawValue, query.user]
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM task " + filter, arguments: arguments) ?? 0
            var pageArguments = arguments
            pageArguments += [query.limit, query.offset]
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM task " + filter + " ORDER BY id DESC LIMIT ?7 OFFSET ?8",
                                        arguments: pageArguments)
            return TaskPage(tasks: rows.map { SQLiteStore.taskRecord($0, log: []) }, total: total)
        }
    }

    public func innerTaskCounts(of ids: [TaskID]) async throws -> [TaskID: Int] {
        guard !ids.isEmpty else { return [:] }
        return try await pool.read { db in
            // The ids travel as one JSON array argument: no SQL is assembled from values.
            let list = "[" + ids.map { String($0.rawValue) }.joined(separator: ",") + "]"
            let rows = try Row.fetchAll(db, sql: """
                SELECT parentId, COUNT(*) AS n FROM task WHERE parentId IN (SELECT value FROM json_each(?)) GROUP BY parentId
                """, arguments: [list])
            return Dictionary(uniqueKeysWithValues: rows.map { (TaskID($0["parentId"] as Int64), $0["n"] as Int) })
        }
    }
}
