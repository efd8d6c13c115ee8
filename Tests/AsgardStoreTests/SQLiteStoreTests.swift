import AsgardCore
@testable import AsgardStore
import Foundation
import GRDB
import Testing

@Suite("SQLite store")
struct SQLiteStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func app(_ name: String, owner: String = "team") throws -> AppRecord {
        try AppDraft(name: name, owner: owner, email: "\(owner)@example.com").validatedForCreate(now: t0)
    }

    func task(_ operation: String, object: String, status: TaskStatus = .succeeded) -> TaskDraft {
        TaskDraft(operation: operation, objectType: .application, objectId: object, user: "tester", status: status,
                  log: [TaskLogLine(time: t0, message: "\(operation) started"), TaskLogLine(time: t0.addingTimeInterval(1), message: "\(operation) done")])
    }

    @Test func recordsEachApplicationChangeWithItsTask() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.file("a.sqlite"))

        let created = try await store.createApplication(try app("shop"), task: task("Create", object: "shop"))
        #expect(created.id == TaskID(1))
        #expect(try await store.applications().map(\.name.rawValue) == ["shop"])

        var changed = try app("shop", owner: "other")
        changed.updateTime = t0.addingTimeInterval(10)
        _ = try await store.updateApplication(changed, task: task("Update", object: "shop"))
        let read = try #require(try await store.application(named: AppName(rawValue: "shop")))
        #expect(read.owner == "other")
        #expect(read.updateTime == t0.addingTimeInterval(10))

        let deleted = try await store.deleteApplication(named: AppName(rawValue: "shop"), task: task("Delete", object: "shop"))
        #expect(try await store.applications().isEmpty)

        let page = try await store.tasks(TaskQuery())
        #expect(page.total == 3)
        #expect(page.tasks.map(\.operation) == ["Delete", "Update", "Create"])
        let full = try #require(try await store.task(deleted.id))
        #expect(full.log.map(\.message) == ["Delete started", "Delete done"])
        #expect(full.startTime == t0)
        #expect(full.updateTime == t0.addingTimeInterval(1))
    }

    @Test func refusedChangesLeaveNoTrace() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.file("a.sqlite"))
        _ = try await store.createApplication(try app("shop"), task: task("Create", object: "shop"))

        await #expect { try await store.createApplication(try app("shop"), task: task("Create again", object: "shop")) }
            throws: { ($0 as? StoreError)?.code == .conflict }
        await #expect { try await store.updateApplication(try app("ghost"), task: task("Update", object: "ghost")) }
            throws: { ($0 as? StoreError)?.code == .notFound }
        await #expect { try await store.deleteApplication(named: AppName(rawValue: "ghost"), task: task("Delete", object: "ghost")) }
            throws: { ($0 as? StoreError)?.code == .notFound }

        #expect(try await store.tasks(TaskQuery()).total == 1)
        #expect(try await store.application(named: AppName(rawValue: "shop"))?.owner == "team")
    }

    @Test func taskLogsAndStatusesPersistAsTheyHappen() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("a.sqlite")
        var id = TaskID(0)
        do {
            let store = try SQLiteStore(path: path)
            let running = try await store.createTask(task("Deploy", object: "shop", status: .running))
            id = running.id
            try await store.appendLog(to: id, TaskLogLine(time: t0.addingTimeInterval(5), message: "step 1"))
            try await store.updateTask(id, status: .waiting, checkpoint: "{\"step\":1}", at: t0.addingTimeInterval(6))
            await #expect { try await store.appendLog(to: TaskID(999), TaskLogLine(time: t0, message: "x")) }
                throws: { ($0 as? StoreError)?.code == .notFound }
        }
        let reopened = try SQLiteStore(path: path)
        let read = try #require(try await reopened.task(id))
        #expect(read.status == .waiting)
        #expect(read.checkpoint == "{\"step\":1}")
        #expect(read.log.map(\.message) == ["Deploy started", "Deploy done", "step 1"])
        #expect(read.updateTime == t0.addingTimeInterval(6))
        // A status change without a checkpoint keeps the last one.
        try await reopened.updateTask(id, status: .succeeded, checkpoint: nil, at: t0.addingTimeInterval(7))
        #expect(try await reopened.task(id)?.checkpoint == "{\"step\":1}")
    }

    @Test func listsTasksByFilterAndPage() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.file("a.sqlite"))
        for i in 1...25 {
            _ = try await store.createTask(task("op\(i)", object: i % 2 == 0 ? "even" : "odd", status: i % 5 == 0 ? .failed : .succeeded))
        }
        let page = try await store.tasks(TaskQuery(limit: 10, offset: 20))
        #expect(page.total == 25)
        #expect(page.tasks.map(\.operation) == ["op5", "op4", "op3", "op2", "op1"])
        #expect(try await store.tasks(TaskQuery(status: .failed)).tasks.map(\.operation) == ["op25", "op20", "op15", "op10", "op5"])
        let even = try await store.tasks(TaskQuery(objectType: .application, objectId: "even", limit: 3))
        #expect(even.total == 12)
        #expect(even.tasks.map(\.operation) == ["op24", "op22", "op20"])
        #expect(try await store.tasks(TaskQuery(objectType: .cluster)).total == 0)
    }

    @Test func innerTasksStayWithTheirParent() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.file("a.sqlite"))
        let deploy = try await store.createTask(task("deploy", object: "shop-prod", status: .running))
        var step = task("disable", object: "shop-prod-v000", status: .succeeded)
        step.parent = deploy.id
        let inner = try await store.createTask(step)
        #expect(inner.parentId == deploy.id)
        var other = task("resize", object: "shop-prod-v001", status: .succeeded)
        other.user = "bob"
        _ = try await store.createTask(other)
        #expect(try await store.task(inner.id)?.parentId == deploy.id, "read back from the file")
        #expect(try await store.tasks(TaskQuery(parent: deploy.id)).tasks.map(\.operation) == ["disable"])
        #expect(try await store.tasks(TaskQuery(topLevelOnly: true)).tasks.map(\.operation) == ["resize", "deploy"])
        #expect(try await store.tasks(TaskQuery()).total == 3)
        #expect(try await store.tasks(TaskQuery(user: "bob")).tasks.map(\.operation) == ["resize"])
        #expect(try await store.innerTaskCounts(of: [deploy.id, inner.id]) == [deploy.id: 1])
        #expect(try await store.innerTaskCounts(of: []).isEmpty)
    }

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

    @Test func deletingAUserRemovesTheirTokensAndSessions() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try SQLiteStore(path: dir.file("a.sqlite"))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let user = UserRecord(name: UserName(rawValue: "ann"), roles: [.viewer], applications: ["shop": .deployer], createTime: t0, updateTime: t0)
        let task = TaskDraft(operation: "x", objectType: .user, objectId: "ann", user: "admin", status: .succeeded, log: [])
        _ = try await store.saveUser(user, passwordHash: "hash", keepingSession: nil, task: task)
        try await store.createToken(TokenRecord(name: "ci", user: user.name, createTime: t0, expiresTime: nil), secretHash: "h1")
        try await store.createSession(SessionRecord(idHash: "s1", user: user.name, csrfToken: "c", createTime: t0, lastSeenTime: t0))
        #expect(try await store.tokenOwner(secretHash: "h1", now: t0)?.0 == user)
        await #expect { try await store.createToken(TokenRecord(name: "ci", user: user.name, createTime: t0, expiresTime: nil), secretHash: "h2") }
            throws: { ($0 as? StoreError)?.code == .conflict }
        // Saving without a password keeps the stored one.
        _ = try await store.saveUser(user, passwordHash: nil, keepingSession: nil, task: task)
        #expect(try await store.passwordHash(of: user.name) == "hash")

        _ = try await store.deleteUser(named: user.name, task: task)
        let gone = try await store.tokenOwner(secretHash: "h1", now: t0)
        #expect(gone == nil)
        #expect(try await store.session(idHash: "s1") == nil)
        #expect(try await store.tokens(of: nil).isEmpty)
    }
}
