import AsgardStore
import Logging
import PostgresNIO

/// The versioned schema of the shared store. Versions are only ever appended, never edited.
enum PostgresSchema {
    /// Taken for the length of a migration so that replicas starting together migrate once.
    static let migrationLock: Int64 = 0x4153_4741_5244 // "ASGARD"

    /// Each version's statements, run in one transaction.
    static let versions: [(version: Int, name: String, statements: [String])] = [
        (1, "applications, tasks, users, tokens, sessions and audit", [
            """
            CREATE TABLE application (
                name TEXT PRIMARY KEY, owner TEXT NOT NULL, email TEXT NOT NULL, description TEXT NOT NULL, type TEXT NOT NULL,
                webhook_url TEXT, create_time DOUBLE PRECISION NOT NULL, update_time DOUBLE PRECISION NOT NULL)
            """,
            """
            CREATE TABLE task (
                id BIGSERIAL PRIMARY KEY, operation TEXT NOT NULL, object_type TEXT NOT NULL, object_id TEXT NOT NULL,
                user_name TEXT NOT NULL, region TEXT, status TEXT NOT NULL, start_time DOUBLE PRECISION NOT NULL,
                update_time DOUBLE PRECISION NOT NULL, input TEXT, checkpoint TEXT, signal TEXT, signal_by TEXT,
                parent_id BIGINT REFERENCES task(id))
            """,
            "CREATE INDEX task_object ON task(object_type, object_id)",
            "CREATE INDEX task_status ON task(status)",
            "CREATE INDEX task_parent ON task(parent_id)",
            """
            CREATE TABLE task_log (
                id BIGSERIAL PRIMARY KEY, task_id BIGINT NOT NULL REFERENCES task(id) ON DELETE CASCADE,
                at_time DOUBLE PRECISION NOT NULL, message TEXT NOT NULL)
            """,
            "CREATE INDEX task_log_task ON task_log(task_id, id)",
            """
            CREATE TABLE app_user (
                name TEXT PRIMARY KEY, roles TEXT NOT NULL, applications TEXT NOT NULL, password_hash TEXT,
                create_time DOUBLE PRECISION NOT NULL, update_time DOUBLE PRECISION NOT NULL)
            """,
            """
            CREATE TABLE token (
                id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, user_name TEXT NOT NULL REFERENCES app_user(name) ON DELETE CASCADE,
                secret_hash TEXT NOT NULL UNIQUE, create_time DOUBLE PRECISION NOT NULL, expires_time DOUBLE PRECISION,
                revoked_time DOUBLE PRECISION)
            """,
            "CREATE INDEX token_user ON token(user_name, name)",
            """
            CREATE TABLE session (
                id_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL REFERENCES app_user(name) ON DELETE CASCADE,
                csrf_token TEXT NOT NULL, create_time DOUBLE PRECISION NOT NULL, last_seen_time DOUBLE PRECISION NOT NULL)
            """,
            """
            CREATE TABLE audit (
                id BIGSERIAL PRIMARY KEY, at_time DOUBLE PRECISION NOT NULL, user_name TEXT NOT NULL, action TEXT NOT NULL,
                object_type TEXT, object_id TEXT, application TEXT, address TEXT NOT NULL, outcome TEXT NOT NULL,
                status BIGINT NOT NULL, task_id BIGINT, message TEXT NOT NULL)
            """,
            "CREATE INDEX audit_user ON audit(user_name, id)",
            "CREATE INDEX audit_application ON audit(application, id)",
            "CREATE INDEX audit_time ON audit(at_time)",
            """
            CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$
            """,
            "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
            // Who runs what: a holder, an epoch that grows with each new holder (a fencing token),
            // and an expiry in the database's clock.
            """
            CREATE TABLE lease (
                name TEXT PRIMARY KEY, holder TEXT NOT NULL, epoch BIGINT NOT NULL, expires_at DOUBLE PRECISION NOT NULL)
            """,
        ]),
        (2, "the consoles on the database and their heartbeats", [
            """
            CREATE TABLE replica (
                id TEXT PRIMARY KEY, version TEXT NOT NULL, start_time DOUBLE PRECISION NOT NULL,
                heartbeat_at DOUBLE PRECISION NOT NULL, holds TEXT NOT NULL)
            """,
        ]),
        (3, "the console that recorded each task, and the last whole-region read of each cloud region, shared", [
            "ALTER TABLE task ADD COLUMN replica TEXT",
            "CREATE INDEX lease_holder ON lease(holder)",
            """
            CREATE TABLE region_cache (
                name TEXT PRIMARY KEY, generation BIGINT NOT NULL, body TEXT NOT NULL, read_seconds DOUBLE PRECISION NOT NULL,
                written_at DOUBLE PRECISION NOT NULL, replica TEXT NOT NULL)
            """,
        ]),
    ]

    /// The newest version this build knows.
    static var latest: Int { versions.last?.version ?? 0 }

    /// Applies the versions the database lacks, in one transaction holding `migrationLock`.
    ///
    /// - Throws: `StoreError(.unavailable)` when the database has a version this build does not know.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS asgard_schema (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            var applied: Set<Int> = []
            for try await version in try await connection.query("SELECT version FROM asgard_schema", logger: logger).decode(Int.self) {
                applied.insert(version)
            }
            if let newest = applied.max(), newest > latest {
                throw StoreError(.unavailable, "The database's schema is at version \(newest), newer than this console knows (\(latest)): "
                                 + "it was written by a newer version of Asgard; run that version or a later one")
            }
            for (version, name, statements) in versions where !applied.contains(version) {
                for statement in statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await connection.query("INSERT INTO asgard_schema (version, name) VALUES (\(version), \(name))", logger: logger)
                logger.info("Applied schema version \(version): \(name)")
            }
        }
    }
}
