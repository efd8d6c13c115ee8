import AsgardAPI
import AsgardCore
import Hummingbird

extension Console {
    /// `GET /metrics`: the console's metrics in Prometheus' text format, for a scraper holding a
    /// token (`authorization: credentials` in its scrape config).
    func addMetricsRoutes(to table: RouteTable) {
        table.get("/metrics", access: .open, doc: EndpointDoc(
            summary: "The console's metrics in Prometheus' text format (version 0.0.4): requests by route and status, deployments by strategy "
                + "and outcome, canary verdicts, calls to the clouds, caches' ages, instances by state and the process's own figures. "
                + "Needs a token (any role), even when anonymous reads are allowed",
            tag: "Server",
            answers: [EndpointDoc.Answer(status: 200, description: "The metrics", schema: nil, plainText: true), .unauthorized]
        )) { input in
            // The figures tell what runs where: for people and scrapers with access only.
            guard input.principal != nil else {
                throw ConsoleError(.unauthenticated, "/metrics needs a token: send Authorization: Bearer <token> (in Prometheus' scrape config, "
                                   + "authorization: {credentials: <token>}); asgard token create makes one")
            }
            let families = await metricFamilies() + ProcessFigures.families()
            return Responses.text(ConsoleMetrics.exposition(families), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    /// The figures read when scraped: each cached region's age, the instances of each region by
    /// state (regions whose first read has not ended are left out rather than waited for), and
    /// the deployments under way.
    func metricFamilies() async -> [MetricFamily] {
        var ages = MetricFamily(name: "asgard_cache_age_seconds", kind: .gauge,
                                help: "Seconds since the last whole-region read of a cached cloud region that worked.", samples: [])
        var instances = MetricFamily(name: "asgard_instances", kind: .gauge, help: "Instances by region and lifecycle state.", samples: [])
        for regional in regionals.values.sorted(by: { $0.region.rawValue < $1.region.rawValue }) {
            let cache = regionCache(regional)
            if cache.cached {
                guard let age = cache.ageSeconds else { continue }
                ages.samples.append(([("account", cache.account), ("region", cache.region)], age))
            }
            guard let found = try? await regional.cloud.instances(of: nil, includeTerminated: false) else { continue }
            var states: [String: Int] = [:]
            for instance in found { states[instance.lifecycleState.rawValue, default: 0] += 1 }
            for (state, count) in states.sorted(by: { $0.key < $1.key }) {
                instances.samples.append(([("region", regional.region.rawValue), ("state", state)], Double(count)))
            }
        }
        var families = [ages, instances]
        if let running = try? await unfinishedDeployments() {
            families.append(MetricFamily(name: "asgard_deployments_running", kind: .gauge,
                                         help: "Deployments that run or wait for a judgment now.", samples: [([], Double(running.count))]))
        }
        return families
    }
}
