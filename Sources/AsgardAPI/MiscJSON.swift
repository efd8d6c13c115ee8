import AsgardCore
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

/// How current one region's cache is, in `GET /healthcheck?detail=true` and after a refresh.
public struct RegionCacheJSON: Codable, Sendable, Hashable {
    public var account: String
    public var region: String
    public var provider: String
    /// False for a cloud read directly (the local cloud): always current.
    public var cached: Bool
    /// Changes whenever anything cached changes.
    public var generation: UInt64?
    /// When the last whole-region read that worked ended.
    public var lastRead: Date?
    /// Seconds since then.
    public var ageSeconds: Double?
    /// How long that read took.
    public var lastReadSeconds: Double?
    /// Why reads fail, while they do; the lists answer from the last good read meanwhile.
    public var lastError: String?
    public var lastErrorAt: Date?
    /// Seconds the read now running has taken so far.
    public var readingForSeconds: Double?

    public init(account: String, region: String, provider: String, cached: Bool, generation: UInt64? = nil, lastRead: Date? = nil,
                ageSeconds: Double? = nil, lastReadSeconds: Double? = nil, lastError: String? = nil, lastErrorAt: Date? = nil,
                readingForSeconds: Double? = nil) {
        self.account = account
        self.region = region
        self.provider = provider
        self.cached = cached
        self.generation = generation
        self.lastRead = lastRead
        self.ageSeconds = ageSeconds
        self.lastReadSeconds = lastReadSeconds
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
        self.readingForSeconds = readingForSeconds
    }
}

/// The answer of `GET /healthcheck?detail=true`.
public struct HealthDetailJSON: Codable, Sendable, Hashable {
    /// `ok`, `starting` or `unhealthy`.
    public var status: String
    /// What is wrong, when unhealthy.
    public var problem: String?
    public var regions: [RegionCacheJSON]

    public init(status: String, problem: String?, regions: [RegionCacheJSON]) {
        self.status = status
        self.problem = problem
        self.regions = regions
    }
}

/// The answer of `POST /{region}/cache/refresh`.
public struct CacheRefreshJSON: Codable, Sendable, Hashable {
    public var region: String
    /// What was read again: `region`, or the object, e.g. `serverGroup shop-prod-v001`.
    public var refreshed: String
    /// How long the read took.
    public var seconds: Double
    public var cache: RegionCacheJSON

    public init(region: String, refreshed: String, seconds: Double, cache: RegionCacheJSON) {
        self.region = region
        self.refreshed = refreshed
        self.seconds = seconds
        self.cache = cache
    }
}

/// One region's clusters of an application, in `GET /application/show/{name}.json`.
public struct RegionClustersJSON: Codable, Sendable, Hashable {
    public var account: String
    public var region: String
    public var clusters: [ClusterJSON]
    /// Why the region's clusters are missing: its cloud could not be read now.
    public var error: String?

    public init(account: String, region: String, clusters: [ClusterJSON], error: String? = nil) {
        self.account = account
        self.region = region
        self.clusters = clusters
        self.error = error
    }
}

/// The answer of `GET /application/show/{name}.json`: the application's record and its clusters
/// in every region, in one call.
public struct ApplicationJSON: Codable, Sendable, Hashable {
    public var app: AppRecord
    public var regions: [RegionClustersJSON]

    private enum CodingKeys: String, CodingKey { case regions }

    public init(app: AppRecord, regions: [RegionClustersJSON]) {
        self.app = app
        self.regions = regions
    }

    /// The record's fields, then `regions` beside them.
    public init(from decoder: any Decoder) throws {
        app = try AppRecord(from: decoder)
        regions = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent([RegionClustersJSON].self, forKey: .regions) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        try app.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(regions, forKey: .regions)
    }
}
