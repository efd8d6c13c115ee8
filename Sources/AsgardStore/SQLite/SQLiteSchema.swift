import GRDB

/// The versioned migrations of the SQLite store.
///
/// Migrations are only ever appended, never edited: a database written by any version opens
/// in every later one.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: applications and tasks") { db in
            try db.execute(sql: """
                CREATE TABLE application (
                    name TEXT PRIMARY KEY NOT NULL,
                    owner TEXT NOT NULL,
                    email TEXT NOT NULL,
                    description TEXT NOT NULL,
                    type TEXT NOT NULL,
                    createTime DOUBLE NOT NULL,
                    updateTime DOUBLE NOT NULL
                );
                CREATE TABLE task (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    operation TEXT NOT NULL,
                    objectType TEXT NOT NULL,
                    objectId TEXT NOT NULL,
                    user TEXT NOT NULL,
                    region TEXT,
                    status TEXT NOT NULL,
                    startTime DOUBLE NOT NULL,
                    updateTime DOUBLE NOT NULL,
                    input TEXT,
                    checkpoint TEXT
                );
                CREATE INDEX task_object ON task(objectType, objectId);
                CREATE INDEX task_status ON task(status);
                CREATE TABLE taskLog (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    taskId INTEGER NOT NULL REFERENCES task(id) ON DELETE CASCADE,
                    time DOUBLE NOT NULL,
                    message TEXT NOT NULL
                );
                CREATE INDEX taskLog_task ON taskLog(taskId, id);
                """)
        }
        migrator.registerMigration("v2: users, tokens, sessions and audit") { db in
            try db.execute(sql: """
                CREATE TABLE user (
                    name TEXT PRIMARY KEY NOT NULL,
                    roles TEXT NOT NULL,
                    applications TEXT NOT NULL,
                    passwordHash TEXT,
                    createTime DOUBLE NOT NULL,
                    updateTime DOUBLE NOT NULL
                );
                CREATE TABLE token (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL,
                    user TEXT NOT NULL REFERENCES user(name) ON DELETE CASCADE,
                    secretHash TEXT NOT NULL UNIQUE,
                    createTime DOUBLE NOT NULL,
                    expiresTime DOUBLE,
                    revokedTime DOUBLE
                );
                CREATE INDEX token_user ON token(user, name);
                CREATE TABLE session (
                    idHash TEXT PRIMARY KEY NOT NULL,
                    user TEXT NOT NULL REFERENCES user(name) ON DELETE CASCADE,
                    csrfToken TEXT NOT NULL,
                    createTime DOUBLE NOT NULL,
                    lastSeenTime DOUBLE NOT NULL
                );
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    time DOUBLE NOT NULL,
                    user TEXT NOT NULL,
                    action TEXT NOT NULL,
                    objectType TEXT,
                    objectId TEXT,
                    application TEXT,
                    address TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    taskId INTEGER,
                    message TEXT NOT NULL
                );
                CREATE INDEX audit_user ON audit(user, id);
                CREATE INDEX audit_application ON audit(application, id);
                CREATE INDEX audit_time ON audit(time);
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                """)
        }
        migrator.registerMigration("v3: local images") { db in
            try db.execute(sql: """
                CREATE TABLE image (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    version TEXT NOT NULL,
                    command TEXT NOT NULL,
                    env TEXT NOT NULL,
                    workingDirectory TEXT,
                    createTime DOUBLE NOT NULL,
                    UNIQUE (name, version)
                );
                """)
        }
        return migrator
    }
}
