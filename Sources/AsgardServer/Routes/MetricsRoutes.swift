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
            try Console.requireToken(input, "/metrics", in: "scrape config")
            let families = await metricFamilies() + ProcessFigures.families()
            return Responses.text(ConsoleMetrics.exposition(families), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    /// The instances of every server group, as Prometheus' HTTP service discovery reads them.
    func addTargetRoutes(to table: RouteTable) {
        table.get("/prometheus/targets.json", access: .open, doc: EndpointDoc(
            summary: "Every server group's instances as Prometheus' HTTP service discovery (http_sd_configs) reads them: one target group "
                + "per server group, its instances' host:port as targets, labelled app, cluster, server_group, region and version. "
                + "Needs a token (any role)",
            tag: "Server",
            answers: [.ok("[Object]"), .unauthorized]
        )) { input in
            try Console.requireToken(input, "/prometheus/targets.json", in: "http_sd_configs")
            return try Responses.json(await scrapeTargets())
        }
    }

    /// Refuses a request without a token, even when anonymous reads are allowed: what these
    /// answers tell (what runs where) is for people and scrapers with access. Prometheus is told
    /// the type as well, which its service discovery (2.42) leaves out otherwise.
    static func requireToken(_ input: RouteInput, _ path: String, in setting: String) throws {
        guard input.principal == nil else { return }
        throw ConsoleError(.unauthenticated, "\(path) needs a token: send Authorization: Bearer <token> (in Prometheus' \(setting), "
                           + "authorization: {type: Bearer, credentials: <token>}); asgard token create makes one")
    }

    /// One target group per server group of every region whose instances can be read now
    /// (a region whose first read has not ended is left out rather than waited for).
    func scrapeTargets() async -> [ScrapeTargetGroup] {
        var groups: [ScrapeTargetGroup] = []
        for regional in regionals.values.sorted(by: { $0.region.rawValue < $1.region.rawValue }) {
            if let cache = regional.cloud.cacheStatus, cache.lastRead == nil { continue }
            guard let serverGroups = try? await regional.cloud.serverGroups(),
                  let instances = try? await regional.cloud.instances(of: nil, includeTerminated: false) else { continue }
            let versions = Dictionary(((try? await regional.cloud.images()) ?? []).map { ($0.imageId, $0.version) }, uniquingKeysWith: { a, _ in a })
            let byGroup = Dictionary(grouping: instances, by: \.autoScalingGroupName)
            for group in serverGroups.sorted(by: { $0.autoScalingGroupName < $1.autoScalingGroupName }) {
                let names = Names(parsing: group.autoScalingGroupName)
                let targets = (byGroup[group.autoScalingGroupName] ?? []).filter { $0.port > 0 }
                    .map { "\($0.privateAddress ?? "127.0.0.1"):\($0.port)" }.sorted()
                groups.append(ScrapeTargetGroup(targets: targets, labels: [
                    "app": names?.app ?? group.autoScalingGroupName, "cluster": names?.cluster ?? group.autoScalingGroupName,
                    "server_group": group.autoScalingGroupName, "region": regional.region.rawValue,
                    "version": versions[group.imageId] ?? group.imageId.rawValue,
                ]))
            }
        }
        return groups
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
                ages.samples.append(MetricFamily.Sample(labels: [("account", cache.account), ("region", cache.region)], value: age))
            }
            guard let found = try? await regional.cloud.instances(of: nil, includeTerminated: false) else { continue }
            var states: [String: Int] = [:]
            for instance in found { states[instance.lifecycleState.rawValue, default: 0] += 1 }
            for (state, count) in states.sorted(by: { $0.key < $1.key }) {
                instances.samples.append(MetricFamily.Sample(labels: [("region", regional.region.rawValue), ("state", state)], value: Double(count)))
            }
        }
        var families = [ages, instances]
        if let running = try? await unfinishedDeployments() {
            families.append(MetricFamily(name: "asgard_deployments_running", kind: .gauge,
                                         help: "Deployments that run or wait for a judgment now.", samples: [([], Double(running.count))]))
        }
        return families + (await loadBalancerFamilies())
    }

    /// The latency bounds of the local load balancers' histograms, in seconds.
    static let loadBalancerBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    /// What each local load balancer counted since its process started, as it last reported it:
    /// requests by server group and status class, and their latency as a histogram. (AWS's load
    /// balancers are counted by CloudWatch.)
    func loadBalancerFamilies() async -> [MetricFamily] {
        var requests = MetricFamily(name: "asgard_lb_requests_total", kind: .counter,
                                    help: "Requests a local load balancer answered, by server group and status class.", samples: [])
        var latency = MetricFamily(name: "asgard_lb_request_duration_seconds", kind: .histogram,
                                   help: "Time from a request's arrival at a local load balancer to the end of its answer.", samples: [])
        var seen = Set<String>()
        for regional in regionals.values where regional.isLocal {
            guard let balancers = try? await regional.cloud.loadBalancers() else { continue }
            for balancer in balancers where seen.insert(balancer.loadBalancerName.rawValue).inserted {
                guard let traffic = await regional.cloud.cachedLoadBalancerState(named: balancer.loadBalancerName).traffic else { continue }
                for group in traffic.groups {
                    let labels = [("load_balancer", balancer.loadBalancerName.rawValue), ("server_group", group.name)]
                    let counts = group.requests
                    for (statusClass, count) in [("2xx", counts.status2xx), ("3xx", counts.status3xx), ("4xx", counts.status4xx), ("5xx", counts.status5xx)] {
                        requests.samples.append(MetricFamily.Sample(labels: labels + [("status_class", statusClass)], value: Double(count)))
                    }
                    // The histogram's recorded values, in microseconds, into Prometheus' buckets.
                    var cumulative = [Double](repeating: 0, count: Console.loadBalancerBuckets.count)
                    var sum = 0.0, count = 0.0
                    for pair in group.latency.histogram where pair.count == 2 {
                        let seconds = Double(pair[0]) / 1_000_000, times = Double(pair[1])
                        sum += seconds * times
                        count += times
                        for (index, bound) in Console.loadBalancerBuckets.enumerated() where seconds <= bound { cumulative[index] += times }
                    }
                    latency.addHistogram(labels: labels, bounds: Console.loadBalancerBuckets, cumulative: cumulative, sum: sum, count: count)
                }
            }
        }
        return [requests, latency]
    }
}

/// A target group of Prometheus' HTTP service discovery.
struct ScrapeTargetGroup: Codable, Sendable {
    var targets: [String]
    var labels: [String: String]
}
