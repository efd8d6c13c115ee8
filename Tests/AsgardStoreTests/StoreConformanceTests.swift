import AsgardCore
import AsgardPostgres
import AsgardStore
import AsgardTestSupport
import Foundation
import Testing

/// The two databases the store runs on: SQLite in a file, and a real PostgreSQL server the test
/// starts and stops.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }

    /// Runs `body` with a fresh store and a way to open the same data again (as after a restart).
    func with(_ body: (any SharedStore, _ reopen: () async throws -> any SharedStore) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let path = dir.file("a.sqlite")
            try await body(try SQLiteStore(path: path)) { try SQLiteStore(path: path) }
        case .postgres:
            let server = try await PostgresServer()
            defer { server.stop() }
            let url = try DatabaseURL(parsing: server.url)
            var opened: [PostgresStore] = []
            defer { opened.forEach { $0.close() } }
            let first = try await PostgresStore.open(url, timeout: .seconds(60), callTimeout: .seconds(60))
            opened.append(first)
            try await body(first) {
                let again = try await PostgresStore.open(url, timeout: .seconds(60), callTimeout: .seconds(60))
                opened.append(again)
                return again
            }
        }
    }
}

/// The store's behaviour, the same on SQLite and on PostgreSQL.
@Suite("The store on SQLite and PostgreSQL", .serialized)
struct StoreConformanceTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func app(_ name: String, owner: String = "team") throws -> AppRecord {
        try AppDraft(name: name, owner: owner, email: "\(owner)@example.com").validatedForCreate(now: t0)
    }

    func task(_ operation: String, object: String, status: TaskStatus = .succeeded) -> TaskDraft {
        TaskDraft(operation: operation, objectType: .application, objectId: object, user: "tester", status: status,
                  log: [TaskLogLine(time: t0, message: "\(operation) started"), TaskLogLine(time: t0.addingTimeInterval(1), message: "\(operation) done")])
    }

    @Test(arguments: StoreKind.allCases)
    func recordsEachApplicationChangeWithItsTask(_ kind: StoreKind) async throws {
        try await kind.with { store, _ in
            let created = try await store.createApplication(try app("shop"), task: task("Create", object: "shop"))
            #expect(created.id == TaskID(1))
            #expect(try await store.applications().map(\.name.rawValue) == ["shop"])

            var changed = try app("shop", owner: "other")
            changed.updateTime = t0.addingTimeInterval(10)
            changed.webhookUrl = "https://hooks.example.com/x"
            _ = try await store.updateApplication(changed, task: task("Update", object: "shop"))
            let read = try #require(try await store.application(named: AppName(rawValue: "shop")))
            #expect(read.owner == "other" && read.webhookUrl == "https://hooks.example.com/x")
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
    }

    @Test(arguments: StoreKind.allCases)
    func refusedChangesLeaveNoTrace(_ kind: StoreKind) async throws {
        try await kind.with { store, _ in
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
    }

    @Test(arguments: StoreKind.allCases)
    func taskLogsStatusesAndSignalsPersistAsTheyHappen(_ kind: StoreKind) async throws {
        try await kind.with { store, reopen in
            let running = try await store.createTask(task("Deploy", object: "shop", status: .running))
            let id = running.id
            try await store.appendLog(to: id, TaskLogLine(time: t0.addingTimeInterval(5), message: "step 1"))
            try await store.updateTask(id, status: .waiting, checkpoint: "{\"step\":1}", at: t0.addingTimeInterval(6))
            await #expect { try await store.appendLog(to: TaskID(999), TaskLogLine(time: t0, message: "x")) }
                throws: { ($0 as? StoreError)?.code == .notFound }
            await #expect { try await store.updateTask(TaskID(999), status: .failed, checkpoint: nil, at: t0) }
                throws: { ($0 as? StoreError)?.code == .notFound }
            try await store.sendSignal(.proceed, to: id, by: "ann", at: t0.addingTimeInterval(7))

            let reopened = try await reopen()
            let read = try #require(try await reopened.task(id))
            #expect(read.status == .waiting)
            #expect(read.checkpoint == "{\"step\":1}")
            #expect(read.signal == .proceed && read.signalBy == "ann")
            #expect(read.log.map(\.message) == ["Deploy started", "Deploy done", "step 1"])
            #expect(read.updateTime == t0.addingTimeInterval(7))
            try await reopened.clearSignal(of: id)
            try await reopened.saveCheckpoint(id, "{\"step\":2}", at: t0.addingTimeInterval(8))
            // A status change without a checkpoint keeps the last one.
            try await reopened.updateTask(id, status: .succeeded, checkpoint: nil, at: t0.addingTimeInterval(9))
            let ended = try #require(try await reopened.task(id))
            #expect(ended.checkpoint == "{\"step\":2}" && ended.signal == nil)
            await #expect { try await reopened.sendSignal(.rollback, to: id, by: "ann", at: t0) } throws: { error in
                guard let error = error as? StoreError else { return false }
                return error.code == .conflict && error.message.contains("has already succeeded")
            }
            await #expect { try await reopened.sendSignal(.rollback, to: TaskID(999), by: "ann", at: t0) }
                throws: { ($0 as? StoreError)?.code == .notFound }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func oneRunningTaskPerObject(_ kind: StoreKind) async throws {
        try await kind.with { store, _ in
            let draft = TaskDraft(operation: "Deploy", objectType: .cluster, objectId: "shop-prod", user: "ann", status: .running, log: [])
            let first = try await store.createExclusiveTask(draft, checkpoint: "{\"step\":0}")
            #expect(first.checkpoint == "{\"step\":0}")
            #expect(try await store.task(first.id)?.checkpoint == "{\"step\":0}")
            await #expect { try await store.createExclusiveTask(draft, checkpoint: nil) } throws: { error in
                guard let error = error as? StoreError else { return false }
                return error.code == .conflict && error.message.contains("busy with task \(first.id)")
            }
            var other = draft
            other.objectId = "shop-test"
            _ = try await store.createExclusiveTask(other, checkpoint: nil)
            try await store.updateTask(first.id, status: .succeeded, checkpoint: nil, at: t0)
            _ = try await store.createExclusiveTask(draft, checkpoint: nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func manyReplicasAskingAtOnceGetOneRunningTask(_ kind: StoreKind) async throws {
        try await kind.with { store, reopen in
            var stores: [any SharedStore] = [store]
            for _ in 0..<3 { stores.append(try await reopen()) }
            let draft = TaskDraft(operation: "Deploy", objectType: .cluster, objectId: "shop-prod", user: "ann", status: .running, log: [])
            let created = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<16 {
                    let target = stores[i % stores.count]
                    group.addTask { (try? await target.createExclusiveTask(draft, checkpoint: nil)) != nil }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(created == 1)
            #expect(try await store.tasks(TaskQuery(status: .running)).total == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func listsTasksByFilterAndPage(_ kind: StoreKind) async throws {
        try await kind.with { store, _ in
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
            let past = try await store.tasks(TaskQuery(limit: 10, offset: 40))
            #expect(past.tasks.isEmpty && past.total == 25, "a page past the end still says how many match")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func innerTasksStayWithTheirParent(_ kind: StoreKind) async throws {
        try await kind.with { store, reopen in
            let deploy = try await store.createTask(task("deploy", object: "shop-prod", status: .running))
            var step = task("disable", object: "shop-prod-v000", status: .succeeded)
            step.parent = deploy.id
            let inner = try await store.createTask(step)
            #expect(inner.parentId == deploy.id)
            var other = task("resize", object: "shop-prod-v001", status: .succeeded)
            other.user = "bob"
            _ = try await store.createTask(other)
            #expect(try await reopen().task(inner.id)?.parentId == deploy.id, "read back")
            #expect(try await store.tasks(TaskQuery(parent: deploy.id)).tasks.map(\.operation) == ["disable"])
            #expect(try await store.tasks(TaskQuery(topLevelOnly: true)).tasks.map(\.operation) == ["resize", "deploy"])
            #expect(try await store.tasks(TaskQuery()).total == 3)
            #expect(try await store.tasks(TaskQuery(user: "bob")).tasks.map(\.operation) == ["resize"])
            #expect(try await store.innerTaskCounts(of: [deploy.id, inner.id]) == [deploy.id: 1])
            #expect(try await store.innerTaskCounts(of: []).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func theAuditLogFiltersAndSurvivesReopening(_ kind: StoreKind) async throws {
        try await kind.with { store, reopen in
            for i in 0..<3 {
                try await store.appendAudit(AuditDraft(time: t0.addingTimeInterval(Double(i)), user: i == 2 ? "bob" : "ann",
                                                       action: "POST /application/save", objectType: "application", objectId: "app\(i)",
                                                       application: "app\(i)", address: "127.0.0.1", outcome: .succeeded, status: 201,
                                                       taskId: Int64(i + 1), message: "OK"))
            }
            let reopened = try await reopen()
            let all = try await reopened.audit(AuditQuery())
            #expect(all.total == 3)
            #expect(all.entries.map(\.objectId) == ["app2", "app1", "app0"])
            #expect(all.entries.first?.time == t0.addingTimeInterval(2) && all.entries.first?.status == 201)
            #expect(try await reopened.audit(AuditQuery(user: "bob")).entries.map(\.taskId) == [3])
            #expect(try await reopened.audit(AuditQuery(application: "app0")).total == 1)
            #expect(try await reopened.audit(AuditQuery(since: t0.addingTimeInterval(1), until: t0.addingTimeInterval(2))).entries.map(\.objectId) == ["app1"])
            #expect(try await reopened.audit(AuditQuery(limit: 1, offset: 1)).entries.map(\.objectId) == ["app1"])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func usersTokensAndSessions(_ kind: StoreKind) async throws {
        try await kind.with { store, _ in
            let user = UserRecord(name: UserName(rawValue: "ann"), roles: [.viewer], applications: ["shop": .deployer], createTime: t0, updateTime: t0)
            let task = TaskDraft(operation: "x", objectType: .user, objectId: "ann", user: "admin", status: .succeeded, log: [])
            #expect(try await store.userCount() == 0)
            _ = try await store.saveUser(user, passwordHash: "hash", keepingSession: nil, task: task)
            #expect(try await store.users() == [user])
            #expect(try await store.user(named: user.name) == user)
            try await store.createToken(TokenRecord(name: "ci", user: user.name, createTime: t0, expiresTime: nil), secretHash: "h1")
            try await store.createToken(TokenRecord(name: "old", user: user.name, createTime: t0, expiresTime: t0.addingTimeInterval(60)), secretHash: "h3")
            #expect(try await store.tokenOwner(secretHash: "h1", now: t0)?.0 == user)
            #expect(try await store.tokenOwner(secretHash: "h3", now: t0.addingTimeInterval(61)) == nil, "expired")
            #expect(try await store.tokenOwner(secretHash: "nope", now: t0) == nil)
            await #expect { try await store.createToken(TokenRecord(name: "ci", user: user.name, createTime: t0, expiresTime: nil), secretHash: "h2") }
                throws: { ($0 as? StoreError)?.code == .conflict }
            #expect(try await store.tokens(of: user.name).map(\.name) == ["old", "ci"])
            try await store.revokeToken(named: "ci", of: user.name, at: t0.addingTimeInterval(1))
            #expect(try await store.tokenOwner(secretHash: "h1", now: t0.addingTimeInterval(2)) == nil, "revoked")
            await #expect { try await store.revokeToken(named: "ci", of: user.name, at: t0) } throws: { ($0 as? StoreError)?.code == .notFound }

            // Sessions: touched, and ended by a new password except the one that changed it.
            for id in ["s1", "s2"] {
                try await store.createSession(SessionRecord(idHash: id, user: user.name, csrfToken: "c-\(id)", createTime: t0, lastSeenTime: t0))
            }
            try await store.touchSession(idHash: "s1", at: t0.addingTimeInterval(30))
            #expect(try await store.session(idHash: "s1")?.lastSeenTime == t0.addingTimeInterval(30))
            #expect(try await store.session(idHash: "s2")?.csrfToken == "c-s2")
            _ = try await store.saveUser(user, passwordHash: "new-hash", keepingSession: "s1", task: task)
            #expect(try await store.session(idHash: "s1") != nil)
            #expect(try await store.session(idHash: "s2") == nil)
            // Saving without a password keeps the stored one.
            _ = try await store.saveUser(user, passwordHash: nil, keepingSession: nil, task: task)
            #expect(try await store.passwordHash(of: user.name) == "new-hash")
            try await store.deleteSession(idHash: "s1")
            #expect(try await store.session(idHash: "s1") == nil)

            try await store.createSession(SessionRecord(idHash: "s3", user: user.name, csrfToken: "c", createTime: t0, lastSeenTime: t0))
            _ = try await store.deleteUser(named: user.name, task: task)
            #expect(try await store.tokenOwner(secretHash: "h1", now: t0) == nil)
            #expect(try await store.session(idHash: "s3") == nil)
            #expect(try await store.tokens(of: nil).isEmpty)
            await #expect { try await store.deleteUser(named: user.name, task: task) } throws: { ($0 as? StoreError)?.code == .notFound }
            #expect(try await store.tasks(TaskQuery(objectType: .user)).total == 4)
        }
    }
}
