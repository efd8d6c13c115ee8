import AsgardCore
import Foundation
import GRDB

extension SQLiteStore: AuthStore {
    static func userRecord(_ row: Row) -> UserRecord {
        let roles = (row["roles"] as String).split(separator: ",").compactMap { GlobalRole(rawValue: String($0)) }
        let appsJSON = (row["applications"] as String).data(using: .utf8) ?? Data()
        let raw = (try? JSONDecoder().decode([String: String].self, from: appsJSON)) ?? [:]
        return UserRecord(name: UserName(rawValue: row["name"]), roles: roles,
                          applications: raw.compactMapValues(AppRole.init(rawValue:)),
                          createTime: date(row["createTime"]), updateTime: date(row["updateTime"]))
    }

    static func tokenRecord(_ row: Row) -> TokenRecord {
        TokenRecord(name: row["name"], user: UserName(rawValue: row["user"]), createTime: date(row["createTime"]),
                    expiresTime: (row["expiresTime"] as Double?).map(date), revokedTime: (row["revokedTime"] as Double?).map(date))
    }

    static func applicationsJSON(_ apps: [String: AppRole]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = (try? encoder.encode(apps.mapValues(\.rawValue))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    public func userCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user") ?? 0 }
    }

    public func users() async throws -> [UserRecord] {
        try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM user ORDER BY name").map(SQLiteStore.userRecord) }
    }

    public func user(named name: UserName) async throws -> UserRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM user WHERE name = ?", arguments: [name.rawValue]).map(SQLiteStore.userRecord)
        }
    }

    public func passwordHash(of name: UserName) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT passwordHash FROM user WHERE name = ?", arguments: [name.rawValue])
        }
    }

    public func saveUser(_ user: UserRecord, passwordHash: String?, keepingSession: String?, task: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO user (name, roles, applications, passwordHash, createTime, updateTime) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET roles = excluded.roles, applications = excluded.applications,
                    passwordHash = COALESCE(excluded.passwordHash, user.passwordHash), updateTime = excluded.updateTime
                """, arguments: [user.name.rawValue, user.roles.map(\.rawValue).joined(separator: ","),
                                 SQLiteStore.applicationsJSON(user.applications), passwordHash,
                                 user.createTime.timeIntervalSince1970, user.updateTime.timeIntervalSince1970])
            if passwordHash != nil {
                try db.execute(sql: "DELETE FROM session WHERE user = ? AND idHash IS NOT ?", arguments: [user.name.rawValue, keepingSession])
            }
            return try SQLiteStore.insertTask(task, db: db)
        }
    }

    public func deleteUser(named name: UserName, task: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM user WHERE name = ?", arguments: [name.rawValue])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "User '\(name)' not found") }
            return try SQLiteStore.insertTask(task, db: db)
        }
    }

    public func createToken(_ token: TokenRecord, secretHash: String) async throws {
        try await pool.write { db in
            let now = token.createTime.timeIntervalSince1970
            let clash = try Bool.fetchOne(db, sql: """
                SELECT 1 FROM token WHERE user = ? AND name = ? AND revokedTime IS NULL AND (expiresTime IS NULL OR expiresTime > ?)
                """, arguments: [token.user.rawValue, token.name, now]) ?? false
            guard !clash else {
                throw StoreError(.conflict, "User '\(token.user)' already has an active token named '\(token.name)'; revoke it or choose another name")
            }
            try db.execute(sql: """
                INSERT INTO token (name, user, secretHash, createTime, expiresTime) VALUES (?, ?, ?, ?, ?)
                """, arguments: [token.name, token.user.rawValue, secretHash, now, token.expiresTime?.timeIntervalSince1970])
        }
    }

    public func tokens(of user: UserName?) async throws -> [TokenRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM token WHERE (?1 IS NULL OR user = ?1) ORDER BY id DESC",
                             arguments: [user?.rawValue]).map(SQLiteStore.tokenRecord)
        }
    }

    public func revokeToken(named name: String, of user: UserName, at time: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE token SET revokedTime = ? WHERE user = ? AND name = ? AND revokedTime IS NULL",
                           arguments: [time.timeIntervalSince1970, user.rawValue, name])
            guard db.changesCount > 0 else {
                throw StoreError(.notFound, "User '\(user)' has no active token named '\(name)'; see /token/list")
            }
        }
    }

    public func tokenOwner(secretHash: String, now: Date) async throws -> (UserRecord, TokenRecord)? {
        try await pool.read { db in
            guard let tokenRow = try Row.fetchOne(db, sql: "SELECT * FROM token WHERE secretHash = ?", arguments: [secretHash]) else {
                return nil
            }
            let token = SQLiteStore.tokenRecord(tokenRow)
            guard token.isActive(at: now),
                  let userRow = try Row.fetchOne(db, sql: "SELECT * FROM user WHERE name = ?", arguments: [token.user.rawValue]) else {
                return nil
            }
            return (SQLiteStore.userRecord(userRow), token)
        }
    }

    public func createSession(_ session: SessionRecord) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO session (idHash, user, csrfToken, createTime, lastSeenTime) VALUES (?, ?, ?, ?, ?)",
                           arguments: [session.idHash, session.user.rawValue, session.csrfToken,
                                       session.createTime.timeIntervalSince1970, session.lastSeenTime.timeIntervalSince1970])
        }
    }

    public func session(idHash: String) async throws -> SessionRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM session WHERE idHash = ?", arguments: [idHash]).map { row in
                SessionRecord(idHash: row["idHash"], user: UserName(rawValue: row["user"]), csrfToken: row["csrfToken"],
                              createTime: SQLiteStore.date(row["createTime"]), lastSeenTime: SQLiteStore.date(row["lastSeenTime"]))
            }
        }
    }

    public func touchSession(idHash: String, at time: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE session SET lastSeenTime = ? WHERE idHash = ?", arguments: [time.timeIntervalSince1970, idHash])
        }
    }

    public func deleteSession(idHash: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM session WHERE idHash = ?", arguments: [idHash])
        }
    }

    public func appendAudit(_ entry: AuditDraft) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO audit (time, user, action, objectType, objectId, application, address, outcome, status, taskId, message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [entry.time.timeIntervalSince1970, entry.user, entry.action, entry.objectType, entry.objectId,
                                 entry.application, entry.address, entry.outcome.rawValue, entry.status, entry.taskId, entry.message])
        }
    }

    public func audit(_ query: AuditQuery) async throws -> (entries: [AuditRecord], total: Int) {
        try await pool.read { db in
            let filter = """
                WHERE (?1 IS NULL OR user = ?1) AND (?2 IS NULL OR application = ?2) AND (?3 IS NULL OR time >= ?3) AND (?4 IS NULL OR time < ?4)
                """
            let arguments: StatementArguments = [query.user, query.application, query.since?.timeIntervalSince1970,
                                                 query.until?.timeIntervalSince1970]
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit " + filter, arguments: arguments) ?? 0
            var pageArguments = arguments
            pageArguments += [query.limit, query.offset]
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM audit " + filter + " ORDER BY id DESC LIMIT ?5 OFFSET ?6",
                                        arguments: pageArguments)
            let entries = rows.map { row in
                AuditRecord(id: row["id"], time: SQLiteStore.date(row["time"]), user: row["user"], action: row["action"],
                            objectType: row["objectType"], objectId: row["objectId"], application: row["application"],
                            address: row["address"], outcome: AuditOutcome(rawValue: row["outcome"]) ?? .failed,
                            status: row["status"], taskId: row["taskId"], message: row["message"])
            }
            return (entries, total)
        }
    }
}
