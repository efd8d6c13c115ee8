import AsgardCore
@testable import AsgardStore
import Foundation
import GRDB
import Testing

@Suite("SQLite store")
struct SQLiteStoreTests {
    @Test func everyEarlierSchemaOpensInThisVersion() async throws {
        let identifiers = SQLiteSchema.migrator.migrations
        #expect(!identifiers.isEmpty)
        for (index, identifier) in identifiers.enumerated() {
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let path = dir.file("old.sqlite")
            do {
                let old = try DatabaseQueue(path: path)
                try SQLiteSchema.migrator.migrate(old, upTo: identifier)
                try await old.write { db in
                    try db.execute(sql: "INSERT INTO application (name, owner, email, description, type, createTime, updateTime) VALUES ('kept', 'o', 'o@e.co', '', 'Web Service', 0, 0)")
                }
                try old.close()
            }
            let store = try SQLiteStore(path: path)
            #expect(try store.appliedMigrations() == identifiers, "written at migration \(index)")
            #expect(try await store.applications().map(\.name.rawValue) == ["kept"])
        }
    }

    @Test func refusesADatabaseFromANewerVersion() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("new.sqlite")
        _ = try SQLiteStore(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')") }
        try queue.close()
        #expect { try SQLiteStore(path: path) } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.code == .unavailable && error.message.contains("newer version")
        }
    }

    @Test func namesTheFileItCannotOpen() {
        #expect { try SQLiteStore(path: "/nonexistent-dir/x/a.sqlite") } throws: { error in
            (error as? StoreError)?.message.contains("/nonexistent-dir/x/a.sqlite") ?? false
        }
    }
}

@Suite("Audit log")
struct AuditLogTests {
    @Test func theAuditLogIsAppendOnlyAndSurvivesReopening() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("a.sqlite")
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        do {
            let store = try SQLiteStore(path: path)
            for i in 0..<3 {
                try await store.appendAudit(AuditDraft(time: t0.addingTimeInterval(Double(i)), user: i == 2 ? "bob" : "ann",
                                                       action: "POST /application/save", objectType: "application", objectId: "app\(i)",
                                                       application: "app\(i)", address: "127.0.0.1", outcome: .succeeded, status: 201,
                                                       taskId: Int64(i + 1), message: "OK"))
            }
        }
        let store = try SQLiteStore(path: path)
        let all = try await store.audit(AuditQuery())
        #expect(all.total == 3)
        #expect(all.entries.map(\.objectId) == ["app2", "app1", "app0"])
        #expect(try await store.audit(AuditQuery(user: "bob")).entries.map(\.taskId) == [3])
        #expect(try await store.audit(AuditQuery(application: "app0")).total == 1)
        #expect(try await store.audit(AuditQuery(since: t0.addingTimeInterval(1), until: t0.addingTimeInterval(2))).entries.map(\.objectId) == ["app1"])

        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        #expect(throws: (any Error).self) { try queue.write { db in try db.execute(sql: "UPDATE audit SET user = 'mallory'") } }
        #expect(throws: (any Error).self) { try queue.write { db in try db.execute(sql: "DELETE FROM audit") } }
        let kept = try await queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit WHERE user = 'ann'") }
        #expect(kept == 2)
    }
}
