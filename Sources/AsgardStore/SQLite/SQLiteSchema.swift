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
        return migrator
    }
}
