import AsgardAPI
import AsgardCloud
import AsgardCore
import Foundation
import Hummingbird

extension Console {
    /// `POST /{region}/cache/refresh`: reads an object, or the whole region, from the cloud now.
    func addCacheRoutes(to table: RouteTable) {
        table.post("/{region}/cache/refresh", doc: EndpointDoc(
            summary: "Read from the cloud now what the console caches: one server group, cluster, load balancer or instance when named, "
                + "else the whole region. A cloud read directly (local) is always current and answers at once",
            tag: "Server",
            parameters: [.path("region", "A region, e.g. us-east-1"),
                         .field("serverGroup", "Read this server group and its instances"),
                         .field("cluster", "Read each server group of this cluster"),
                         .field("loadBalancer", "Read this load balancer and its instances' health"),
                         .field("instance", "Read this instance's server group"),
                         .field("return", "Browsers: the page to go back to (a path of this console)")],
            answers: [.ok("CacheRefresh"), .badRequest, .unauthorized, .notFound, EndpointDoc.Answer(status: 503, description: "The cloud cannot be read now", schema: "Error")]
        )) { input in
            try input.require(.read)
            let region = try regionName(input)
            let named = [("serverGroup", TaskObjectType.serverGroup), ("cluster", .cluster), ("loadBalancer", .loadBalancer), ("instance", .instance)]
                .compactMap { field, type in input.fields[field].flatMap { $0.isEmpty ? nil : (field, type, $0) } }
            guard named.count <= 1 else {
                throw ConsoleError(.invalidRequest, "Name one object to refresh (serverGroup, cluster, loadBalancer or instance), or none for the whole region; got "
                                   + named.map(\.0).joined(separator: " and "))
            }
            for (field, _, value) in named where value.count > InputLimits.maxObjectNameLength {
                throw ConsoleError.invalid(field, "is \(value.count) characters long; at most \(InputLimits.maxObjectNameLength)")
            }
            let cloud = current.cloud
            let started = ContinuousClock.now
            var refreshed = "region"
            if let (field, type, value) = named.first {
                refreshed = "\(field) \(value)"
                if type == .cluster {
                    let members = try await cloud.serverGroups().filter { $0.names?.cluster == value.lowercased() }
                    guard !members.isEmpty else { throw ConsoleError.notFound("Cluster '\(value)' not found; see /\(region)/cluster/list") }
                    for group in members { try await cloud.followChange(of: .serverGroup, id: group.autoScalingGroupName) }
                } else {
                    try await cloud.followChange(of: type, id: value)
                    try await Self.requireExists(type, named: value, in: cloud, region: region)
                }
            } else if cloud.cacheStatus != nil {
                try await cloud.refreshCache()
            }
            let seconds = (ContinuousClock.now - started).inSeconds
            if input.wantsJSON {
                return try Responses.json(CacheRefreshJSON(region: region, refreshed: refreshed, seconds: (seconds * 1000).rounded() / 1000,
                                                           cache: regionCache(current)))
            }
            var back = input.fields["return"] ?? "/\(region)/autoScaling/list"
            if !back.hasPrefix("/") || back.hasPrefix("//") { back = "/" }
            return Responses.seeOther(back)
        }
    }

    /// Refuses a refresh of an object the cloud does not have, now that it was read again.
    static func requireExists(_ type: TaskObjectType, named name: String, in cloud: any CloudProvider, region: String) async throws {
        switch type {
        case .serverGroup where try await cloud.serverGroup(named: name) == nil:
            throw ConsoleError.notFound("Server group '\(name)' not found in \(region); see /\(region)/autoScaling/list")
        case .loadBalancer where try await cloud.loadBalancer(named: LoadBalancerName(rawValue: name)) == nil:
            throw ConsoleError.notFound("Load balancer '\(name)' not found in \(region); see /\(region)/loadBalancer/list")
        case .instance where try await cloud.instance(InstanceID(rawValue: name)) == nil:
            throw ConsoleError.notFound("Instance '\(name)' not found in \(region); see /\(region)/instance/list")
        default:
            return
        }
    }

    /// How current `regional`'s cache is.
    func regionCache(_ regional: Regional) -> RegionCacheJSON {
        let time = now()
        var json = RegionCacheJSON(account: regional.account.name.rawValue, region: regional.region.rawValue,
                                   provider: regional.account.provider, cached: false)
        guard let status = regional.cloud.cacheStatus else { return json }
        json.cached = true
        json.generation = status.generation
        json.lastRead = status.lastRead
        json.ageSeconds = status.age(at: time).map { ($0 * 10).rounded() / 10 }
        json.lastReadSeconds = status.lastReadSeconds.map { ($0 * 1000).rounded() / 1000 }
        json.lastError = status.lastError.map { InputLimits.echoed($0) }
        json.lastErrorAt = status.lastErrorAt
        json.readingForSeconds = status.readingSince.map { (max(0, time.timeIntervalSince($0)) * 10).rounded() / 10 }
        return json
    }

    /// Every configured region's cache, by account then region.
    func regionCaches() -> [RegionCacheJSON] {
        regionals.values.sorted { ($0.account.name.rawValue, $0.region.rawValue) < ($1.account.name.rawValue, $1.region.rawValue) }
            .map(regionCache)
    }
}
