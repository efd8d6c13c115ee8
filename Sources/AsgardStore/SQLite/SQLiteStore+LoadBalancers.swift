import AsgardCore
import Foundation
import GRDB

extension SQLiteStore: LoadBalancerStore {
    private static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }

    private static func decode<T: Decodable>(_ text: String, as type: T.Type) -> T? {
        try? JSONDecoder().decode(type, from: Data(text.utf8))
    }

    static func loadBalancerRecord(_ row: Row) -> LoadBalancerRecord {
        LoadBalancerRecord(loadBalancerName: LoadBalancerName(rawValue: row["name"]), listenerPort: row["listenerPort"],
                           healthCheck: decode(row["healthCheck"], as: HealthCheckSettings.self) ?? HealthCheckSettings(),
                           algorithm: BalancingAlgorithm(rawValue: row["algorithm"]) ?? .roundRobin,
                           drainingTimeout: row["drainingTimeout"], idleTimeoutSeconds: row["idleTimeout"],
                           trafficWeights: decode(row["trafficWeights"], as: [String: Int].self) ?? [:],
                           createdTime: date(row["createdTime"]))
    }

    private static func balancerArguments(_ b: LoadBalancerRecord) -> StatementArguments {
        [b.listenerPort, encode(b.healthCheck), b.algorithm.rawValue, b.drainingTimeout, b.idleTimeoutSeconds, encode(b.trafficWeights),
         b.createdTime.timeIntervalSince1970, b.loadBalancerName.rawValue]
    }

    public func loadBalancers() async throws -> [LoadBalancerRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM loadBalancer ORDER BY name").map(SQLiteStore.loadBalancerRecord)
        }
    }

    public func loadBalancer(named name: LoadBalancerName) async throws -> LoadBalancerRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM loadBalancer WHERE name = ?", arguments: [name.rawValue]).map(SQLiteStore.loadBalancerRecord)
        }
    }

    public func createLoadBalancer(_ balancer: LoadBalancerRecord, task: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM loadBalancer WHERE name = ?", arguments: [balancer.loadBalancerName.rawValue]) == true {
                throw StoreError(.conflict, "Load balancer '\(balancer.loadBalancerName)' exists already")
            }
            if let other = try String.fetchOne(db, sql: "SELECT name FROM loadBalancer WHERE listenerPort = ?", arguments: [balancer.listenerPort]) {
                throw StoreError(.conflict, "Port \(balancer.listenerPort) is the listener of load balancer '\(other)' already; choose another listenerPort")
            }
            try db.execute(sql: """
                INSERT INTO loadBalancer (listenerPort, healthCheck, algorithm, drainingTimeout, idleTimeout, trafficWeights, createdTime, name)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: SQLiteStore.balancerArguments(balancer))
            return try SQLiteStore.insertTask(task, db: db)
        }
    }

    public func updateLoadBalancer(_ balancer: LoadBalancerRecord, task: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE loadBalancer SET listenerPort = ?, healthCheck = ?, algorithm = ?, drainingTimeout = ?, idleTimeout = ?, trafficWeights = ?,
                    createdTime = ? WHERE name = ?
                """, arguments: SQLiteStore.balancerArguments(balancer))
            guard db.changesCount == 1 else { throw StoreError(.notFound, "Load balancer '\(balancer.loadBalancerName)' not found") }
            return try SQLiteStore.insertTask(task, db: db)
        }
    }

    public func deleteLoadBalancer(named name: LoadBalancerName, task: TaskDraft) async throws -> TaskRecord {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM loadBalancer WHERE name = ?", arguments: [name.rawValue])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "Load balancer '\(name)' not found") }
            return try SQLiteStore.insertTask(task, db: db)
        }
    }

    public func loadBalancerProcess(named name: LoadBalancerName) async throws -> LoadBalancerProcess? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT pid, startTicks, adminPort, adminSecret FROM loadBalancer WHERE name = ?",
                                             arguments: [name.rawValue]),
                  let pid = row["pid"] as Int32?, let ticks = row["startTicks"] as Int64?, let port = row["adminPort"] as Int?,
                  let secret = row["adminSecret"] as String? else { return nil }
            return LoadBalancerProcess(pid: pid, startTicks: UInt64(ticks), adminPort: port, adminSecret: secret)
        }
    }

    public func saveLoadBalancerProcess(_ process: LoadBalancerProcess?, named name: LoadBalancerName) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE loadBalancer SET pid = ?, startTicks = ?, adminPort = ?, adminSecret = ? WHERE name = ?",
                           arguments: [process?.pid, process.map { Int64($0.startTicks) }, process?.adminPort, process?.adminSecret, name.rawValue])
        }
    }
}
