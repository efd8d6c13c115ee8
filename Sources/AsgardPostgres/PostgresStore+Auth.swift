import AsgardCore
import AsgardStore
import Foundation
import PostgresNIO

extension PostgresStore: AuthStore {
    static let userColumns = "name, roles, applications, create_time, update_time"
    typealias UserRow = (String, String, String, Double, Double)
    static let tokenColumns = "name, user_name, create_time, expires_time, revoked_time"
    typealias TokenRow = (String, String, Double, Double?, Double?)

    static func userRecord(_ row: UserRow) -> UserRecord {
        let raw = (try? JSONDecoder().decode([String: String].self, from: Data(row.2.utf8))) ?? [:]
        return UserRecord(name: UserName(rawValue: row.0), roles: row.1.split(separator: ",").compactMap { GlobalRole(rawValue: String($0)) },
                          applications: raw.compactMapValues(AppRole.init(rawValue:)),
                          createTime: Date(seconds: row.3), updateTime: Date(seconds: row.4))
    }

    static func tokenRecord(_ row: TokenRow) -> TokenRecord {
        TokenRecord(name: row.0, user: UserName(rawValue: row.1), createTime: Date(seconds: row.2),
                    expiresTime: row.3.map(Date.init(seconds:)), revokedTime: row.4.map(Date.init(seconds:)))
    }

    static func applicationsJSON(_ apps: [String: AppRole]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(apps.mapValues(\.rawValue))) ?? Data("{}".utf8), as: UTF8.self)
    }

    public func userCount() async throws -> Int {
        try await read { [self] in try await collect(client.query("SELECT COUNT(*) FROM app_user", logger: logger), as: Int.self).first ?? 0 }
    }

    public func users() async throws -> [UserRecord] {
        try await read { [self] in
            try await collectRows(client.query("SELECT \(unescaped: PostgresStore.userColumns) FROM app_user ORDER BY name", logger: logger),
                              as: UserRow.self).map(PostgresStore.userRecord)
        }
    }

    public func user(named name: UserName) async throws -> UserRecord? {
        try await read { [self] in
            try await collectRows(client.query("SELECT \(unescaped: PostgresStore.userColumns) FROM app_user WHERE name = \(name.rawValue)", logger: logger),
                              as: UserRow.self).first.map(PostgresStore.userRecord)
        }
    }

    public func passwordHash(of name: UserName) async throws -> String? {
        try await read { [self] in
            try await collect(client.query("SELECT password_hash FROM app_user WHERE name = \(name.rawValue)", logger: logger), as: String?.self).first ?? nil
        }
    }

    public func saveUser(_ user: UserRecord, passwordHash: String?, keepingSession: String?, task: TaskDraft) async throws -> TaskRecord {
        try await transaction { [self] connection in
            try await connection.query("""
                INSERT INTO app_user (name, roles, applications, password_hash, create_time, update_time)
                VALUES (\(user.name.rawValue), \(user.roles.map(\.rawValue).joined(separator: ",")), \(PostgresStore.applicationsJSON(user.applications)),
                        \(passwordHash), \(user.createTime.seconds), \(user.updateTime.seconds))
                ON CONFLICT (name) DO UPDATE SET roles = excluded.roles, applications = excluded.applications,
                    password_hash = COALESCE(excluded.password_hash, app_user.password_hash), update_time = excluded.update_time
                """, logger: logger)
            if passwordHash != nil {
                try await connection.query("""
                    DELETE FROM session WHERE user_name = \(user.name.rawValue) AND id_hash IS DISTINCT FROM \(keepingSession)
                    """, logger: logger)
            }
            return try await insertTask(task, on: connection, logger: logger)
        }
    }

    public func deleteUser(named name: UserName, task: TaskDraft) async throws -> TaskRecord {
        try await transaction { [self] connection in
            let rows = try await connection.query("DELETE FROM app_user WHERE name = \(name.rawValue) RETURNING name", logger: logger)
            guard try await !collect(rows, as: String.self).isEmpty else { throw StoreError(.notFound, "User '\(name)' not found") }
            return try await insertTask(task, on: connection, logger: logger)
        }
    }

    public func createToken(_ token: TokenRecord, secretHash: String) async throws {
        try await transaction { [self] connection in
            let now = token.createTime.seconds
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("token/" + token.user.rawValue)))", logger: logger)
            let clash = try await connection.query("""
                SELECT 1 FROM token WHERE user_name = \(token.user.rawValue) AND name = \(token.name) AND revoked_time IS NULL
                AND (expires_time IS NULL OR expires_time > \(now))
                """, logger: logger)
            guard try await collect(clash, as: Int.self).isEmpty else {
                throw StoreError(.conflict, "User '\(token.user)' already has an active token named '\(token.name)'; revoke it or choose another name")
            }
            try await connection.query("""
                INSERT INTO token (name, user_name, secret_hash, create_time, expires_time)
                VALUES (\(token.name), \(token.user.rawValue), \(secretHash), \(now), \(token.expiresTime?.seconds))
                """, logger: logger)
        }
    }

    public func tokens(of user: UserName?) async throws -> [TokenRecord] {
        try await read { [self] in
            let name = user?.rawValue
            return try await collectRows(client.query("""
                SELECT \(unescaped: PostgresStore.tokenColumns) FROM token WHERE (\(name)::text IS NULL OR user_name = \(name)) ORDER BY id DESC
                """, logger: logger), as: TokenRow.self).map(PostgresStore.tokenRecord)
        }
    }

    public func revokeToken(named name: String, of user: UserName, at time: Date) async throws {
        try await read { [self] in
            let rows = try await client.query("""
                UPDATE token SET revoked_time = \(time.seconds) WHERE user_name = \(user.rawValue) AND name = \(name) AND revoked_time IS NULL RETURNING id
                """, logger: logger)
            guard try await !collect(rows, as: Int64.self).isEmpty else {
                throw StoreError(.notFound, "User '\(user)' has no active token named '\(name)'; see /token/list")
            }
        }
    }

    public func tokenOwner(secretHash: String, now: Date) async throws -> (UserRecord, TokenRecord)? {
        try await read { [self] in
            let rows = try await client.query("""
                SELECT t.name, t.user_name, t.create_time, t.expires_time, t.revoked_time, u.name, u.roles, u.applications, u.create_time, u.update_time
                FROM token t JOIN app_user u ON u.name = t.user_name WHERE t.secret_hash = \(secretHash)
                """, logger: logger)
            for try await row in rows.decode((String, String, Double, Double?, Double?, String, String, String, Double, Double).self) {
                let token = PostgresStore.tokenRecord((row.0, row.1, row.2, row.3, row.4))
                guard token.isActive(at: now) else { return nil }
                return (PostgresStore.userRecord((row.5, row.6, row.7, row.8, row.9)), token)
            }
            return nil
        }
    }

    public func createSession(_ session: SessionRecord) async throws {
        try await read { [self] in
            try await client.query("""
                INSERT INTO session (id_hash, user_name, csrf_token, create_time, last_seen_time)
                VALUES (\(session.idHash), \(session.user.rawValue), \(session.csrfToken), \(session.createTime.seconds), \(session.lastSeenTime.seconds))
                """, logger: logger)
        }
    }

    public func session(idHash: String) async throws -> SessionRecord? {
        try await read { [self] in
            let rows = try await client.query("""
                SELECT id_hash, user_name, csrf_token, create_time, last_seen_time FROM session WHERE id_hash = \(idHash)
                """, logger: logger)
            return try await collectRows(rows, as: (String, String, String, Double, Double).self).first.map { row in
                SessionRecord(idHash: row.0, user: UserName(rawValue: row.1), csrfToken: row.2, createTime: Date(seconds: row.3),
                              lastSeenTime: Date(seconds: row.4))
            }
        }
    }

    public func touchSession(idHash: String, at time: Date) async throws {
        try await read { [self] in try await client.query("UPDATE session SET last_seen_time = \(time.seconds) WHERE id_hash = \(idHash)", logger: logger) }
    }

    public func deleteSession(idHash: String) async throws {
        try await read { [self] in try await client.query("DELETE FROM session WHERE id_hash = \(idHash)", logger: logger) }
    }

    public func appendAudit(_ entry: AuditDraft) async throws {
        try await read { [self] in
            try await client.query("""
                INSERT INTO audit (at_time, user_name, action, object_type, object_id, application, address, outcome, status, task_id, message)
                VALUES (\(entry.time.seconds), \(entry.user), \(entry.action), \(entry.objectType), \(entry.objectId), \(entry.application),
                        \(entry.address), \(entry.outcome.rawValue), \(Int64(entry.status)), \(entry.taskId), \(entry.message))
                """, logger: logger)
        }
    }

    public func audit(_ query: AuditQuery) async throws -> (entries: [AuditRecord], total: Int) {
        try await read { [self] in
            let user = query.user, application = query.application, since = query.since?.seconds, until = query.until?.seconds
            let limit = query.limit, offset = query.offset
            let total = try await collect(client.query("""
                SELECT COUNT(*) FROM audit WHERE (\(user)::text IS NULL OR user_name = \(user)) AND (\(application)::text IS NULL OR application = \(application))
                AND (\(since)::float8 IS NULL OR at_time >= \(since)) AND (\(until)::float8 IS NULL OR at_time < \(until))
                """, logger: logger), as: Int.self).first ?? 0
            let rows = try await client.query("""
                SELECT id, at_time, user_name, action, object_type, object_id, application, address, outcome, status, task_id, message FROM audit
                WHERE (\(user)::text IS NULL OR user_name = \(user)) AND (\(application)::text IS NULL OR application = \(application))
                AND (\(since)::float8 IS NULL OR at_time >= \(since)) AND (\(until)::float8 IS NULL OR at_time < \(until))
                ORDER BY id DESC LIMIT \(limit) OFFSET \(offset)
                """, logger: logger)
            var entries: [AuditRecord] = []
            for try await r in rows.decode((Int64, Double, String, String, String?, String?, String?, String, String, Int64, Int64?, String).self) {
                entries.append(AuditRecord(id: r.0, time: Date(seconds: r.1), user: r.2, action: r.3, objectType: r.4, objectId: r.5, application: r.6,
                                           address: r.7, outcome: AuditOutcome(rawValue: r.8) ?? .failed, status: Int(r.9), taskId: r.10, message: r.11))
            }
            return (entries, total)
        }
    }
}
