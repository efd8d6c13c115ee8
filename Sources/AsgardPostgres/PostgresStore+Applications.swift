import AsgardCore
import AsgardStore
import Foundation
import PostgresNIO

extension PostgresStore: ApplicationStore {
    static let appColumns = "name, owner, email, description, type, create_time, update_time, webhook_url"
    typealias AppRow = (String, String, String, String, String, Double, Double, String?)

    static func appRecord(_ row: AppRow) -> AppRecord {
        AppRecord(name: AppName(rawValue: row.0), owner: row.1, email: row.2, description: row.3, type: AppType(rawValue: row.4) ?? .webService,
                  createTime: Date(seconds: row.5), updateTime: Date(seconds: row.6), webhookUrl: row.7)
    }

    public func applications() async throws -> [AppRecord] {
        try await read { [self] in
            try await collectRows(client.query("SELECT \(unescaped: PostgresStore.appColumns) FROM application ORDER BY name", logger: logger),
                              as: AppRow.self).map(PostgresStore.appRecord)
        }
    }

    public func application(named name: AppName) async throws -> AppRecord? {
        try await read { [self] in
            try await collectRows(client.query("SELECT \(unescaped: PostgresStore.appColumns) FROM application WHERE name = \(name.rawValue)", logger: logger),
                              as: AppRow.self).first.map(PostgresStore.appRecord)
        }
    }

    public func createApplication(_ app: AppRecord, task: TaskDraft) async throws -> TaskRecord {
        try await transaction { [self] connection in
            let rows = try await connection.query("""
                INSERT INTO application (name, owner, email, description, type, create_time, update_time, webhook_url)
                VALUES (\(app.name.rawValue), \(app.owner), \(app.email), \(app.description), \(app.type.rawValue),
                        \(app.createTime.seconds), \(app.updateTime.seconds), \(app.webhookUrl))
                ON CONFLICT (name) DO NOTHING RETURNING name
                """, logger: logger)
            guard try await !collect(rows, as: String.self).isEmpty else {
                throw StoreError(.conflict, "Application '\(app.name)' already exists; choose another name or update it")
            }
            return try await insertTask(task, on: connection, logger: logger)
        }
    }

    public func updateApplication(_ app: AppRecord, task: TaskDraft) async throws -> TaskRecord {
        try await transaction { [self] connection in
            let rows = try await connection.query("""
                UPDATE application SET owner = \(app.owner), email = \(app.email), description = \(app.description), type = \(app.type.rawValue),
                    update_time = \(app.updateTime.seconds), webhook_url = \(app.webhookUrl)
                WHERE name = \(app.name.rawValue) RETURNING name
                """, logger: logger)
            guard try await !collect(rows, as: String.self).isEmpty else { throw StoreError(.notFound, "Application '\(app.name)' not found") }
            return try await insertTask(task, on: connection, logger: logger)
        }
    }

    public func deleteApplication(named name: AppName, task: TaskDraft) async throws -> TaskRecord {
        try await transaction { [self] connection in
            let rows = try await connection.query("DELETE FROM application WHERE name = \(name.rawValue) RETURNING name", logger: logger)
            guard try await !collect(rows, as: String.self).isEmpty else { throw StoreError(.notFound, "Application '\(name)' not found") }
            return try await insertTask(task, on: connection, logger: logger)
        }
    }
}
