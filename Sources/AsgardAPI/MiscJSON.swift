import Foundation
/// The answer of `GET /autoScaling/generateName.json`.
public struct GeneratedNameJSON: Codable, Sendable, Hashable {
    public var groupName: String
    public var envVars: [String: String]

    public init(groupName: String, envVars: [String: String]) {
        self.groupName = groupName
        self.envVars = envVars
    }
}

/// The answer of `GET /server/version.json`.
public struct ServerVersionJSON: Codable, Sendable, Hashable {
    public var name: String
    public var version: String
    public var apiVersion: String

    public init(name: String, version: String, apiVersion: String) {
        self.name = name
        self.version = version
        self.apiVersion = apiVersion
    }
}

/// The answer of `POST /application/delete`.
public struct DeletedJSON: Codable, Sendable, Hashable {
    public var name: String
    public var deleted: Bool
    public var taskId: Int64

    public init(name: String, taskId: Int64) {
        self.name = name
        self.deleted = true
        self.taskId = taskId
    }
}

/// The current version of the console and of its API.
public enum AsgardVersion {
    public static let version = "0.1.0"
    public static let apiVersion = "1"
}

/// One thing the search box found: its kind, name, a few words about it, and its page.
public struct SearchHitJSON: Codable, Sendable, Hashable {
    /// application, cluster, serverGroup, instance, image or loadBalancer.
    public var kind: String
    public var name: String
    public var detail: String
    /// The page that shows it (add `.json` for its JSON).
    public var url: String

    /// Creates a hit.
    public init(kind: String, name: String, detail: String, url: String) {
        self.kind = kind
        self.name = name
        self.detail = detail
        self.url = url
    }
}

/// One console process: where it runs, its version, when it last said it was alive and what it
/// holds. `GET /server/replicas.json` lists every console on the same database.
public struct ReplicaJSON: Codable, Sendable, Hashable {
    /// `host:pid:random`, the same as the holder of its leases.
    public var id: String
    public var version: String
    public var startTime: Date
    public var heartbeatTime: Date
    /// Whether it said it was alive within the lease's length.
    public var alive: Bool
    /// What it holds, e.g. "the console lease (epoch 3)".
    public var holds: [String]
    /// True for the console that answered.
    public var current: Bool

    public init(id: String, version: String, startTime: Date, heartbeatTime: Date, alive: Bool, holds: [String], current: Bool) {
        self.id = id
        self.version = version
        self.startTime = startTime
        self.heartbeatTime = heartbeatTime
        self.alive = alive
        self.holds = holds
        self.current = current
    }
}
