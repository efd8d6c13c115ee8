import AsgardCore
import AsgardStore
import Foundation
import Logging
import PostgresNIO

extension PostgresStore: TaskStore {
    /// The columns a task is read with, in `TaskRow`'s order.
    static let taskColumns = """
        id, operation, object_type, object_id, user_name, region, status, start_time, update_time, input, checkpoint, signal, signal_by, parent_id
        """
    typealias TaskRow = (Int64, String, String, String, String, String?, String, Double, Double, String?, String?, String?, String?, Int64?)

    static func taskRecord(_ row: TaskRow, log: [TaskLogLine]) -> TaskRecord {
        TaskRecord(id: TaskID(row.0), operation: row.1, objectType: TaskObjectType(rawValue: row.2) ?? .application, objectId: row.3,
                   user: row.4, region: row.5, status: TaskStatus(rawValue: row.6) ?? .failed, log: log,
                   startTime: Date(seconds: row.7), updateTime: Date(seconds: row.8), input: row.9, checkpoint: row.10,
                   signal: row.11.flatMap(TaskSignal.init(rawValue:)), signalBy: row.12, parentId: row.13.map(TaskID.init))
    }

    /// Records `draft` and its log on `connection` (inside the caller's transaction), as this
    /// console's: the other consoles read what it changed in the cloud from its tasks.
    func insertTask(_ draft: TaskDraft, checkpoint: String? = nil, on connection: PostgresConnection, logger: Logger) async throws -> TaskRecord {
        let start = draft.log.first?.time ?? Date()
        let update = draft.log.last?.time ?? start
        let rows = try await connection.query("""
            INSERT INTO task (operation, object_type, object_id, user_name, region, status, start_time, update_time, input, checkpoint, parent_id, replica)
            VALUES (\(draft.operation), \(draft.objectType.rawValue), \(draft.objectId), \(draft.user), \(draft.region), \(draft.status.rawValue),
                    \(start.seconds), \(update.seconds), \(draft.input), \(checkpoint), \(draft.parent?.rawValue), \(replica))
            RETURNING id
            """, logger: logger)
        guard let id = try await collect(rows, as: Int64.self).first else { throw StoreError(.unavailable, "The task was not recorded") }
        if draft.region != nil {
            try await connection.query("SELECT pg_notify(\(PostgresStore.channel), 'changes')", logger: logger)
        }
        for line in draft.log {
            try await connection.query("INSERT INTO task_log (task_id, at_time, message) VALUES (\(id), \(line.time.seconds), \(line.message))",
                                       logger: logger)
        }
        return TaskRecord(id: TaskID(id), operation: draft.operation, objectType: draft.objectType, objectId: draft.objectId, user: draft.user,
                          region: draft.region, status: draft.status, log: draft.log, startTime: start, updateTime: update, input: draft.input,
                          checkpoint: checkpoint, parentId: draft.parent)
    }

    public func createTask(_ draft: TaskDraft) async throws -> TaskRecord {
        try await recordLeased(draft) { [self] connection in try await insertTask(draft, on: connection, logger: logger) }
    }

    public func createExclusiveTask(_ draft: TaskDraft, checkpoint: String?) async throws -> TaskRecord {
        try await recordLeased(draft) { [self] connection in
            // One at a time per object, across every replica: the check and the insert under a lock.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(draft.objectType.rawValue + "/" + draft.objectId)))", logger: logger)
            let busy = try await connection.query("""
                SELECT id, operation FROM task WHERE object_type = \(draft.objectType.rawValue) AND object_id = \(draft.objectId)
                AND status IN ('running', 'waiting') ORDER BY id LIMIT 1
                """, logger: logger)
            for try await (id, operation) in busy.decode((Int64, String).self) {
                throw StoreError(.conflict, "\(draft.objectType.rawValue) \(draft.objectId) is busy with task \(id) (\(operation)); wait for it to end or cancel it")
            }
            return try await insertTask(draft, checkpoint: checkpoint, on: connection, logger: logger)
        }
    }

    /// Records a task with `insert`, and when it runs, its lease for this console in the same
    /// transaction: a task is never running without an owner.
    func recordLeased(_ draft: TaskDraft, _ insert: @escaping @Sendable (PostgresConnection) async throws -> TaskRecord) async throws -> TaskRecord {
        let (task, epoch) = try await transaction { [self] connection in
            let task = try await insert(connection)
            guard !draft.status.isFinished else { return (task, Int64?.none) }
            return (task, try await leaseNewTask(task.id.rawValue, on: connection))
        }
        if let epoch { hold(task.id.rawValue, epoch: epoch) }
        return task
    }

    /// The epoch a write to task `id` is fenced by (when this console holds its lease), for
    /// `owned`'s condition.
    func ownership(_ id: Int64) -> (name: String, epoch: Int64?) { (PostgresStore.leaseName(of: id), fence(id)) }

    public func saveCheckpoint(_ id: TaskID, _ checkpoint: String, at time: Date) async throws {
        let owned = ownership(id.rawValue)
        try await changeOne("""
            UPDATE task SET checkpoint = \(checkpoint), update_time = \(time.seconds) WHERE id = \(id.rawValue) AND (\(owned.epoch)::bigint IS NULL OR EXISTS (SELECT 1 FROM lease WHERE name = \(owned.name) AND holder = \(replica) AND epoch = \(owned.epoch))) RETURNING id
            """, otherwise: owned.epoch.map { leaseLostError(id.rawValue, epoch: $0) } ?? StoreError(.notFound, "Task \(id) not found"))
    }

    public func appendLog(to id: TaskID, _ line: TaskLogLine) async throws {
        let owned = ownership(id.rawValue)
        try await transaction { [self] connection in
            let rows = try await connection.query("""
                UPDATE task SET update_time = \(line.time.seconds) WHERE id = \(id.rawValue) AND (\(owned.epoch)::bigint IS NULL OR EXISTS (SELECT 1 FROM lease WHERE name = \(owned.name) AND holder = \(replica) AND epoch = \(owned.epoch))) RETURNING id
                """, logger: logger)
            guard try await !collect(rows, as: Int64.self).isEmpty else {
                throw owned.epoch.map { leaseLostError(id.rawValue, epoch: $0) } ?? StoreError(.notFound, "Task \(id) not found")
            }
            try await connection.query("INSERT INTO task_log (task_id, at_time, message) VALUES (\(id.rawValue), \(line.time.seconds), \(line.message))",
                                       logger: logger)
        }
    }

    public func updateTask(_ id: TaskID, status: TaskStatus, checkpoint: String?, at time: Date) async throws {
        let owned = ownership(id.rawValue)
        try await transaction { [self] connection in
            let rows = try await connection.query("""
                UPDATE task SET status = \(status.rawValue), checkpoint = COALESCE(\(checkpoint), checkpoint), update_time = \(time.seconds)
                WHERE id = \(id.rawValue) AND (\(owned.epoch)::bigint IS NULL OR EXISTS (SELECT 1 FROM lease WHERE name = \(owned.name) AND holder = \(replica) AND epoch = \(owned.epoch))) RETURNING id
                """, logger: logger)
            guard try await !collect(rows, as: Int64.self).isEmpty else {
                throw owned.epoch.map { leaseLostError(id.rawValue, epoch: $0) } ?? StoreError(.notFound, "Task \(id) not found")
            }
            // A task that ended needs no owner.
            if status.isFinished, let epoch = owned.epoch {
                try await connection.query("""
                    DELETE FROM lease WHERE name = \(PostgresStore.leaseName(of: id.rawValue)) AND holder = \(replica) AND epoch = \(epoch)
                    """, logger: logger)
            }
        }
        if status.isFinished { heldTasks.withLock { _ = $0.removeValue(forKey: id.rawValue) } }
    }

    public func sendSignal(_ signal: TaskSignal, to id: TaskID, by user: String, at time: Date) async throws {
        try await transaction { [self] connection in
            let rows = try await connection.query("""
                UPDATE task SET signal = \(signal.rawValue), signal_by = \(user), update_time = \(time.seconds)
                WHERE id = \(id.rawValue) AND status IN ('running', 'waiting') RETURNING id
                """, logger: logger)
            guard try await collect(rows, as: Int64.self).isEmpty else {
                // Wakes the owner, wherever it runs, at the commit (it also reads the row each second).
                try await connection.query("SELECT pg_notify(\(PostgresStore.channel), \("task:\(id.rawValue)"))", logger: logger)
                return
            }
            let status = try await collect(connection.query("SELECT status FROM task WHERE id = \(id.rawValue)", logger: logger), as: String.self).first
            throw status.map { StoreError(.conflict, "Task \(id) has already \($0); it takes no more requests") }
                ?? StoreError(.notFound, "Task \(id) not found; see /task/list")
        }
    }

    public func clearSignal(of id: TaskID) async throws {
        let owned = ownership(id.rawValue)
        try await read { [self] in
            try await client.query("UPDATE task SET signal = NULL, signal_by = NULL WHERE id = \(id.rawValue) AND (\(owned.epoch)::bigint IS NULL OR EXISTS (SELECT 1 FROM lease WHERE name = \(owned.name) AND holder = \(replica) AND epoch = \(owned.epoch)))", logger: logger)
        }
    }

    public func task(_ id: TaskID) async throws -> TaskRecord? {
        try await read { [self] in
            var found: TaskRow?
            let rows = try await client.query("SELECT \(unescaped: PostgresStore.taskColumns) FROM task WHERE id = \(id.rawValue)", logger: logger)
            for try await row in rows.decode(TaskRow.self) {
                found = row
            }
            guard let found else { return nil }
            var log: [TaskLogLine] = []
            let lines = try await client.query("SELECT at_time, message FROM task_log WHERE task_id = \(id.rawValue) ORDER BY id", logger: logger)
            for try await (time, message) in lines.decode((Double, String).self) { log.append(TaskLogLine(time: Date(seconds: time), message: message)) }
            return PostgresStore.taskRecord(found, log: log)
        }
    }

    public func tasks(_ query: TaskQuery) async throws -> TaskPage {
        try await read { [self] in
            // Each filter is a fixed clause that is always present; an absent filter binds NULL.
            let status = query.status?.rawValue, type = query.objectType?.rawValue, object = query.objectId, parent = query.parent?.rawValue
            let topLevel = query.topLevelOnly, user = query.user
            let limit = query.limit, offset = query.offset
            // One round trip: the page with the number of matches beside each row.
            let select: PostgresQuery = """
                SELECT \(unescaped: PostgresStore.taskColumns), COUNT(*) OVER () FROM task
                WHERE (\(status)::text IS NULL OR status = \(status)) AND (\(type)::text IS NULL OR object_type = \(type))
                AND (\(object)::text IS NULL OR object_id = \(object)) AND (NOT \(topLevel) OR parent_id IS NULL)
                AND (\(parent)::bigint IS NULL OR parent_id = \(parent)) AND (\(user)::text IS NULL OR user_name = \(user))
                ORDER BY id DESC LIMIT \(limit) OFFSET \(offset)
                """
            var tasks: [TaskRecord] = []
            var total = 0
            let rows = try await client.query(select, logger: logger)
            for try await r in rows.decode((Int64, String, String, String, String, String?, String, Double, Double, String?, String?, String?, String?, Int64?, Int).self) {
                tasks.append(PostgresStore.taskRecord((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12, r.13), log: []))
                total = r.14
            }
            // A page past the end has no row to carry the count.
            if tasks.isEmpty, offset > 0 {
                total = try await collect(client.query("""
                    SELECT COUNT(*) FROM task
                    WHERE (\(status)::text IS NULL OR status = \(status)) AND (\(type)::text IS NULL OR object_type = \(type))
                    AND (\(object)::text IS NULL OR object_id = \(object)) AND (NOT \(topLevel) OR parent_id IS NULL)
                    AND (\(parent)::bigint IS NULL OR parent_id = \(parent)) AND (\(user)::text IS NULL OR user_name = \(user))
                    """, logger: logger), as: Int.self).first ?? 0
            }
            return TaskPage(tasks: tasks, total: total)
        }
    }

    public func innerTaskCounts(of ids: [TaskID]) async throws -> [TaskID: Int] {
        guard !ids.isEmpty else { return [:] }
        return try await read { [self] in
            let list = ids.map(\.rawValue)
            var counts: [TaskID: Int] = [:]
            let rows = try await client.query("SELECT parent_id, COUNT(*) FROM task WHERE parent_id = ANY(\(list)) GROUP BY parent_id", logger: logger)
            for try await (parent, count) in rows.decode((Int64, Int).self) { counts[TaskID(parent)] = count }
            return counts
        }
    }

    /// Runs an `UPDATE … RETURNING` that must change one row, throwing `error` when none changed.
    func changeOne(_ query: PostgresQuery, otherwise error: StoreError) async throws {
        try await read { [self] in
            guard try await !collect(client.query(query, logger: logger), as: Int64.self).isEmpty else { throw error }
        }
    }
}
