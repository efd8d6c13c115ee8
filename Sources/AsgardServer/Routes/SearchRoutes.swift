import AsgardAPI
import AsgardCore
import Foundation

extension Console {
    /// The longest text the search box takes.
    static let maxSearchLength = 200

    /// `/{region}/search?q=`: applications, clusters, server groups, instances (by id or
    /// address), images (by id, application or version) and load balancers whose names contain
    /// the text, without regard to case. A page whose text names exactly one thing goes to it.
    func addSearchRoutes(to table: RouteTable) {
        table.page("/{region}/search", doc: EndpointDoc(
            summary: "Find applications, clusters, server groups, instances (id or address), images (id, application or version) and load balancers "
                + "whose name contains q; the page goes straight to an exact match",
            tag: "Search",
            parameters: [.path("region", "A region, e.g. us-east-1"), .query("q", "The text to find, 1 to 200 characters, e.g. shop-prod or 127.0.0.1:7001")],
            answers: [.ok("[SearchHit]"), .badRequest, .unauthorized, .notFound]
        )) { input in
            let region = try regionName(input)
            let text = (input.fields["q"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, text.count <= Console.maxSearchLength else {
                throw ConsoleError.invalid("q", "give 1 to \(Console.maxSearchLength) characters to search for, e.g. ?q=shop-prod")
            }
            let hits = try await search(text, region: region)
            if input.wantsJSON { return try Responses.json(hits) }
            let exact = hits.filter { $0.name.lowercased() == text.lowercased() }
            if exact.count == 1 { return Responses.seeOther(exact[0].url) }
            return page(input, title: "Search", section: nil, region: region, body: SearchPages.results(hits, query: text))
        }
    }

    /// Everything in `region` (and every application) whose name contains `text`.
    func search(_ text: String, region: String) async throws -> [SearchHitJSON] {
        let needle = text.lowercased()
        func matches(_ values: String?...) -> Bool { values.contains { $0?.lowercased().contains(needle) == true } }
        var hits: [SearchHitJSON] = []
        for app in try await applications.list() where matches(app.name.rawValue, app.owner) {
            hits.append(SearchHitJSON(kind: "application", name: app.name.rawValue, detail: app.description,
                                      url: "/application/show/\(HTML.pathSegment(app.name.rawValue))"))
        }
        let groups = try await self.groups.cloud.serverGroups()
        var clusters: [String: Int] = [:]
        for group in groups { clusters[group.names?.cluster ?? group.autoScalingGroupName, default: 0] += 1 }
        for (cluster, count) in clusters.sorted(by: { $0.key < $1.key }) where matches(cluster) {
            hits.append(SearchHitJSON(kind: "cluster", name: cluster, detail: "\(count) server group\(count == 1 ? "" : "s")",
                                      url: "/\(region)/cluster/show/\(HTML.pathSegment(cluster))"))
        }
        for group in groups where matches(group.autoScalingGroupName) {
            hits.append(SearchHitJSON(kind: "serverGroup", name: group.autoScalingGroupName,
                                      detail: "\(group.desiredCapacity) instance\(group.desiredCapacity == 1 ? "" : "s"), image \(group.imageId)",
                                      url: "/\(region)/autoScaling/show/\(HTML.pathSegment(group.autoScalingGroupName))"))
        }
        for instance in try await self.groups.cloud.instances(of: nil, includeTerminated: false)
        where matches(instance.instanceId.rawValue, instance.address) {
            hits.append(SearchHitJSON(kind: "instance", name: instance.instanceId.rawValue,
                                      detail: "\(instance.autoScalingGroupName) at \(instance.address), \(instance.lifecycleState.rawValue)",
                                      url: "/\(region)/instance/show/\(instance.instanceId)"))
        }
        for image in try await images.cloud.images() where matches(image.imageId.rawValue, image.name, "\(image.name) \(image.version)") {
            hits.append(SearchHitJSON(kind: "image", name: image.imageId.rawValue, detail: "\(image.name) \(image.version)",
                                      url: "/\(region)/image/show/\(image.imageId)"))
        }
        for balancer in try await loadBalancers.cloud.loadBalancers() where matches(balancer.loadBalancerName.rawValue) {
            hits.append(SearchHitJSON(kind: "loadBalancer", name: balancer.loadBalancerName.rawValue, detail: "load balancer",
                                      url: "/\(region)/loadBalancer/show/\(HTML.pathSegment(balancer.loadBalancerName.rawValue))"))
        }
        return hits
    }
}
