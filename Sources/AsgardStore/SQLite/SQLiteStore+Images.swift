import AsgardCore
import Foundation
import GRDB

extension SQLiteStore: ImageStore {
    static func imageRecord(_ row: Row) -> ImageRecord {
        let decoder = JSONDecoder()
        let command = (try? decoder.decode([String].self, from: Data((row["command"] as String).utf8))) ?? []
        let env = (try? decoder.decode([String: String].self, from: Data((row["env"] as String).utf8))) ?? [:]
        return ImageRecord(imageId: ImageID(rawValue: row["id"]), name: row["name"], version: row["version"], command: command,
                           env: env, workingDirectory: row["workingDirectory"], createTime: date(row["createTime"]))
    }

    public func images() async throws -> [ImageRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM image ORDER BY name, createTime").map(SQLiteStore.imageRecord)
        }
    }

    public func image(_ id: ImageID) async throws -> ImageRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM image WHERE id = ?", arguments: [id.rawValue]).map(SQLiteStore.imageRecord)
        }
    }

    public func createImage(_ image: ImageRecord, task: TaskDraft) async throws -> TaskRecord {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let command = String(decoding: try encoder.encode(image.command), as: UTF8.self)
        let env = String(decoding: try encoder.encode(image.env), as: UTF8.self)
        return try await pool.write { db in
            let clash = try String.fetchOne(db, sql: "SELECT id FROM image WHERE name = ? AND version = ?",
                                            arguments: [image.name, image.version])
            if let clash {
                throw StoreError(.conflict, "Image \(image.name) \(image.version) exists already as \(clash); register another version")
            }
            try db.execute(sql: """
                INSERT INTO image (id, name, version, command, env, workingDirectory, createTime) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [image.imageId.rawValue, image.name, image.version, command, env, image.workingDirectory,
                                 image.createTime.timeIntervalSince1970])
            return try SQLiteStore.insertTask(task, db: db)
        }
    }

    public func deleteImage(_ id: ImageID, task: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM image WHERE id = ?", arguments: [id.rawValue])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "Image '\(id)' not found") }
            return try SQLiteStore.insertTask(task, db: db)
        }
    }
}
