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
        migrator.registerMigration("v4: local server groups and instances") { db in
            try db.execute(sql: """
                CREATE TABLE serverGroup (
                    name TEXT PRIMARY KEY NOT NULL,
                    imageId TEXT NOT NULL,
                    minSize INTEGER NOT NULL,
                    desiredCapacity INTEGER NOT NULL,
                    maxSize INTEGER NOT NULL,
                    healthCheckType TEXT NOT NULL,
                    healthCheckGracePeriod INTEGER NOT NULL,
                    terminationPolicies TEXT NOT NULL,
                    suspendedProcesses TEXT NOT NULL,
                    loadBalancerNames TEXT NOT NULL,
                    createdTime DOUBLE NOT NULL
                );
                CREATE TABLE instance (
                    id TEXT PRIMARY KEY NOT NULL,
                    serverGroup TEXT NOT NULL,
                    imageId TEXT NOT NULL,
                    lifecycleState TEXT NOT NULL,
                    healthStatus TEXT NOT NULL,
                    launchTime DOUBLE NOT NULL,
                    port INTEGER NOT NULL,
                    pid INTEGER,
                    startTicks INTEGER,
                    statusReason TEXT
                );
                CREATE INDEX instance_group ON instance(serverGroup, lifecycleState);
                """)
        }
        migrator.registerMigration("v5: local load balancers") { db in
            try db.execute(sql: """
                CREATE TABLE loadBalancer (
                    name TEXT PRIMARY KEY NOT NULL,
                    listenerPort INTEGER NOT NULL UNIQUE,
                    healthCheck TEXT NOT NULL,
                    algorithm TEXT NOT NULL,
                    drainingTimeout INTEGER NOT NULL,
                    trafficWeights TEXT NOT NULL,
                    createdTime DOUBLE NOT NULL,
                    pid INTEGER,
                    startTicks INTEGER,
                    adminPort INTEGER,
                    adminSecret TEXT
                );
                """)
        }
        migrator.registerMigration("v6: task signals and application webhooks") { db in
            try db.execute(sql: """
                ALTER TABLE task ADD COLUMN signal TEXT;
                ALTER TABLE task ADD COLUMN signalBy TEXT;
                ALTER TABLE application ADD COLUMN webhookUrl TEXT;
                """)
        }
        migrator.registerMigration("v7: scaling policies, alarms, schedules, activities and metrics") { db in
            try db.execute(sql: """
                CREATE TABLE scalingObject (
                    kind TEXT NOT NULL,
                    serverGroup TEXT NOT NULL,
                    name TEXT NOT NULL,
                    body TEXT NOT NULL,
                    PRIMARY KEY (kind, serverGroup, name)
                );
                CREATE TABLE scalingActivity (
                    activityId TEXT PRIMARY KEY NOT NULL,
                    serverGroup TEXT NOT NULL,
                    description TEXT NOT NULL,
                    cause TEXT NOT NULL,
                    startTime DOUBLE NOT NULL,
                    endTime DOUBLE,
                    statusCode TEXT NOT NULL
                );
                CREATE INDEX scalingActivity_group ON scalingActivity(serverGroup, startTime);
                CREATE TABLE metricMinute (
                    serverGroup TEXT NOT NULL,
                    minute DOUBLE NOT NULL,
                    body TEXT NOT NULL,
                    PRIMARY KEY (serverGroup, minute)
                );
                """)
        }
        migrator.registerMigration("v8: instance protection from scale-in") { db in
            try db.execute(sql: "ALTER TABLE instance ADD COLUMN protectedFromScaleIn INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v9: load balancer idle timeout") { db in
            try db.execute(sql: "ALTER TABLE loadBalancer ADD COLUMN idleTimeout INTEGER NOT NULL DEFAULT 60")
        }
        migrator.registerMigration("v10: inner tasks") { db in
            try db.execute(sql: """
                ALTER TABLE task ADD COLUMN parentId INTEGER REFERENCES task(id);
                CREATE INDEX task_parent ON task(parentId);
                """)
        }
        return migrator
    }
}
