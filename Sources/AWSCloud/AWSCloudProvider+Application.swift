import AsgardCloud
import AsgardCore
import Foundation

/// Application load balancers: each server group behind one has a target group of its own (the
/// group's instances, registered by Auto Scaling), and the listener forwards to the target
/// groups of the enabled groups, each with weight 1, or with the weights a canary sets. A
/// disabled group's target group leaves the listener; it is deleted with the group.
extension AWSCloudProvider {
    /// The tag that keeps an application load balancer's health check: `path interval timeout
    /// healthy unhealthy` (each target group gets it).
    static let healthCheckTag = "asgard:healthCheck"
    /// The tag that keeps its draining timeout (each target group's deregistration delay).
    static let drainingTag = "asgard:drainingTimeout"

    /// The target group that puts `group` behind `balancer`: one per pair, named after the group
    /// and a hash of both, in AWS's 32 characters.
    static func targetGroupName(balancer: String, group: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in "\(balancer)/\(group)".utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let cleaned = String(group.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" }.prefix(23))
            .trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        let hex = String(hash, radix: 16)
        return (cleaned.isEmpty ? "tg" : cleaned) + "-" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Whether a group takes traffic: it names load balancers and AddToLoadBalancer is not suspended.
    static func isEnabled(_ group: AWSAutoScalingGroup) -> Bool {
        !loadBalancerNames(of: group).isEmpty && !group.suspendedProcesses.contains(ScalingProcess.addToLoadBalancer.rawValue)
    }

    func isApplication(_ name: String) async -> Bool {
        await cache.applications[name] != nil
    }

    // MARK: Reads

    /// Reads an application load balancer, its listener and its targets' health again.
    @discardableResult
    func refresh(application name: String) async throws -> AWSApplicationLoadBalancer? {
        let balancer = try await elbv2.loadBalancers(named: [name]).first
        await cache.put(application: name, balancer)
        if let balancer { await cache.put(health: name, try await targetHealth(of: balancer)) }
        return balancer
    }

    /// The health of the targets of every target group the listener forwards to.
    func targetHealth(of balancer: AWSApplicationLoadBalancer) async throws -> [AWSInstanceHealth] {
        var states: [AWSInstanceHealth] = []
        for target in balancer.listener?.targets ?? [] {
            do {
                states += try await elbv2.targetHealth(target.targetGroupArn)
            } catch let error as AWSError where error.code == "TargetGroupNotFound" {
                continue
            }
        }
        return states
    }

    /// Target group ARN → the server group it holds, for `balancer`'s groups.
    func targetGroupOwners(of balancer: String) async -> [String: String] {
        var owners: [String: String] = [:]
        let targetGroups = await cache.targetGroups
        for group in await cache.groups.values where Self.loadBalancerNames(of: group).contains(balancer) {
            if let arn = targetGroups[Self.targetGroupName(balancer: balancer, group: group.name)]?.arn { owners[arn] = group.name }
        }
        return owners
    }

    func record(_ balancer: AWSApplicationLoadBalancer) async -> LoadBalancerRecord {
        let (check, draining) = Self.settings(of: balancer)
        var record = LoadBalancerRecord(loadBalancerName: LoadBalancerName(rawValue: balancer.name), listenerPort: balancer.listener?.port ?? 80,
                                        healthCheck: check, algorithm: .roundRobin, drainingTimeout: draining,
                                        trafficWeights: Self.weights(of: balancer, owners: await targetGroupOwners(of: balancer.name)) ?? [:],
                                        createdTime: balancer.createdTime ?? Date(timeIntervalSince1970: 0), type: .application)
        record.dnsName = balancer.dnsName.isEmpty ? nil : balancer.dnsName
        return record
    }

    /// The health check and draining timeout the console keeps in the balancer's tags.
    static func settings(of balancer: AWSApplicationLoadBalancer) -> (HealthCheckSettings, drainingTimeout: Int) {
        let fields = (balancer.tags[healthCheckTag] ?? "").split(separator: " ").map(String.init)
        let defaults = HealthCheckSettings()
        func number(_ index: Int, _ fallback: Int) -> Int { fields.count > index ? Int(fields[index]) ?? fallback : fallback }
        let check = HealthCheckSettings(target: fields.first ?? defaults.target, interval: number(1, defaults.interval), timeout: number(2, defaults.timeout),
                                        healthyThreshold: number(3, defaults.healthyThreshold), unhealthyThreshold: number(4, defaults.unhealthyThreshold))
        return (check, Int(balancer.tags[drainingTag] ?? "") ?? 300)
    }

    /// The listener's weights by server group (`owners`: target group ARN → group); nil when
    /// every target group has weight 1 (no weights: each enabled group gets an equal share).
    static func weights(of balancer: AWSApplicationLoadBalancer, owners: [String: String]) -> [String: Int]? {
        let targets = balancer.listener?.targets ?? []
        guard targets.contains(where: { $0.weight != 1 }) else { return nil }
        var weights: [String: Int] = [:]
        for target in targets { if let group = owners[target.targetGroupArn] { weights[group] = target.weight } }
        return weights
    }

    /// Deployments poll this: the balancer's groups are looked up once.
    func state(of balancer: AWSApplicationLoadBalancer) async -> LoadBalancerState {
        let owners = await targetGroupOwners(of: balancer.name)
        let weights = Self.weights(of: balancer, owners: owners)
        let states = await cache.health[balancer.name] ?? []
        let instances = await cache.instances
        var byGroup: [String: [InstanceTraffic]] = [:]
        for target in balancer.listener?.targets ?? [] { if let group = owners[target.targetGroupArn] { byGroup[group] = [] } }
        for state in states {
            let group = instances[state.instanceId]?.autoScalingGroupName ?? ""
            guard instances[state.instanceId]?.state != "terminated" else { continue }
            let health: TargetHealth = switch state.state {
            case "healthy": .healthy
            case "unhealthy", "unavailable": .unhealthy
            case "draining": .draining
            default: .initial
            }
            byGroup[group, default: []].append(InstanceTraffic(instanceId: InstanceID(rawValue: state.instanceId), port: 0, health: health,
                                                               healthReason: state.description, inFlight: 0, requests: StatusCounts(), latency: LatencySummary()))
        }
        let groups = byGroup.sorted { $0.key < $1.key }.map {
            GroupTraffic(name: $0.key, weight: weights.map { [name = $0.key] in $0[name] ?? 0 }, requests: StatusCounts(), latency: LatencySummary(), instances: $0.value)
        }
        let (check, draining) = Self.settings(of: balancer)
        let routing = LoadBalancerRouting(healthCheck: check, algorithm: .roundRobin, drainingTimeout: draining,
                                          groups: groups.map { RoutedGroup(name: $0.name, weight: $0.weight, instances: $0.instances.map { RoutedInstance(instanceId: $0.instanceId, port: 0) }) })
        let status = switch balancer.state {
        case "active": "running"
        case "provisioning": "starting (AWS is provisioning it)"
        default: balancer.state
        }
        return LoadBalancerState(status: status, traffic: LoadBalancerTraffic(routing: routing, startedAt: balancer.createdTime ?? Date(timeIntervalSince1970: 0),
                                                                             groups: groups, draining: [], unrouted: StatusCounts()))
    }

    /// Requests, 5xx answers and response times of each group's target group from CloudWatch
    /// (namespace AWS/ApplicationELB), summed since the provider started.
    func metricTraffic(of balancer: AWSApplicationLoadBalancer) async throws -> [GroupTraffic] {
        if let read = await cache.metrics[balancer.name], ContinuousClock.now - read.time < freshness { return read.traffic }
        let owners = await targetGroupOwners(of: balancer.name)
        let end = Date().addingTimeInterval(60)
        // CloudWatch answers at most 1,440 datapoints a call.
        let period = max(60, Int((end.timeIntervalSince(metricsOrigin) / 1_440 / 60).rounded(.up)) * 60)
        var traffic: [GroupTraffic] = []
        for (arn, group) in owners.sorted(by: { $0.value < $1.value }) {
            let dimensions = [("LoadBalancer", balancer.metricDimension), ("TargetGroup", AWSTargetGroup.metricDimension(ofArn: arn))]
            func sum(_ metric: String) async throws -> Int {
                let points = try await cloudWatch.statistics(namespace: "AWS/ApplicationELB", metric: metric, dimensions: dimensions,
                                                             start: metricsOrigin, end: end, period: period, statistics: ["Sum"])
                return Int(points.compactMap(\.sum).reduce(0, +).rounded())
            }
            let requests = try await sum("RequestCount")
            let errors = try await sum("HTTPCode_Target_5XX_Count")
            // Each datapoint's mean response time, as often as it was sampled.
            let times = try await cloudWatch.statistics(namespace: "AWS/ApplicationELB", metric: "TargetResponseTime", dimensions: dimensions,
                                                        start: metricsOrigin, end: end, period: period, statistics: ["Average", "SampleCount"])
            var histogram: [UInt64: UInt64] = [:]
            for point in times {
                guard let average = point.average, let count = point.sampleCount, count > 0 else { continue }
                histogram[UInt64((average * 1_000_000).rounded()), default: 0] += UInt64(count)
            }
            let pairs = histogram.sorted { $0.key < $1.key }.map { [$0.key, $0.value] }
            let count = pairs.reduce(0) { $0 + Int($1[1]) }
            func percentile(_ share: Double) -> Double { CanaryGroupFigures.percentile(pairs, share) }
            traffic.append(GroupTraffic(name: group, weight: nil,
                                        requests: StatusCounts(total: requests, status2xx: max(0, requests - errors), status5xx: errors),
                                        latency: LatencySummary(count: count, p50: percentile(0.5), p90: percentile(0.9), p99: percentile(0.99),
                                                                max: Double(pairs.last?[0] ?? 0) / 1000, histogram: pairs), instances: []))
        }
        await cache.put(metrics: balancer.name, traffic)
        return traffic
    }

    // MARK: Changes

    /// The default subnets, read once.
    func network() async throws -> [(subnet: String, zone: String, vpc: String)] {
        if let known = await cache.subnets { return known }
        let subnets = try await ec2.defaultSubnets()
        guard subnets.count >= 2 else {
            throw AWSError(status: 400, code: "NoDefaultSubnets", message: "an application load balancer needs default subnets in two zones; region \(region) has \(subnets.count)")
        }
        await cache.put(subnets: subnets)
        return subnets
    }

    static func tags(of record: LoadBalancerRecord) -> [String: String] {
        let check = record.healthCheck
        return [healthCheckTag: "\(check.target) \(check.interval) \(check.timeout) \(check.healthyThreshold) \(check.unhealthyThreshold)",
                drainingTag: String(record.drainingTimeout)]
    }

    static func classicCheck(_ record: LoadBalancerRecord) -> AWSClassicLoadBalancer.HealthCheck {
        let check = record.healthCheck
        return AWSClassicLoadBalancer.HealthCheck(target: "HTTP:\(record.listenerPort)\(check.target)", interval: check.interval, timeout: check.timeout,
                                                  healthyThreshold: check.healthyThreshold, unhealthyThreshold: check.unhealthyThreshold)
    }

    func createApplication(_ record: LoadBalancerRecord) async throws {
        let name = record.loadBalancerName.rawValue
        let subnets = try await network()
        try await createOnce(elbv2.client, exists: { try await !self.elbv2.loadBalancers(named: [name]).isEmpty }) {
            try await self.elbv2.create(name, subnets: subnets.map(\.subnet), tags: Self.tags(of: record))
        }
        do {
            guard let made = try await elbv2.loadBalancers(named: [name]).first else {
                throw AWSError(status: 500, code: "LoadBalancerNotFound", message: "\(name) was created but AWS does not list it")
            }
            try await createOnce(elbv2.client, exists: { try await !self.elbv2.listeners(of: made.arn).isEmpty }) {
                try await self.elbv2.createListener(of: made.arn, port: record.listenerPort, targets: [])
            }
        } catch {
            // Nothing half-created.
            if let made = try? await elbv2.loadBalancers(named: [name]).first { try? await elbv2.delete(arn: made.arn) }
            throw error
        }
        try await refresh(application: name)
    }

    func updateApplication(_ record: LoadBalancerRecord, previous: LoadBalancerRecord) async throws {
        let name = record.loadBalancerName.rawValue
        var known = await cache.applications[name]
        if known == nil { known = try await refresh(application: name) }
        guard var balancer = known else {
            throw AWSError(status: 400, code: "LoadBalancerNotFound", message: "Load balancer \(name) not found")
        }
        if record.healthCheck != previous.healthCheck || record.drainingTimeout != previous.drainingTimeout {
            try await elbv2.addTags(balancer.arn, Self.tags(of: record))
            balancer.tags.merge(Self.tags(of: record)) { _, new in new }
            await cache.put(application: name, balancer)
            for arn in await targetGroupOwners(of: name).keys {
                try await elbv2.setHealthCheck(arn, Self.classicCheck(record), path: record.healthCheck.target)
                try await elbv2.setDeregistrationDelay(arn, seconds: record.drainingTimeout)
            }
        }
        if record.trafficWeights != previous.trafficWeights {
            try await syncListener(of: name, weights: record.trafficWeights)
        }
    }

    func deleteApplication(_ name: String) async throws {
        if let balancer = try await elbv2.loadBalancers(named: [name]).first {
            try await elbv2.delete(arn: balancer.arn)
        }
        try await refresh(application: name)
    }

    /// The target group of `group` behind `balancer`, made when missing (with the balancer's
    /// health check and draining timeout).
    func ensureTargetGroup(balancer name: String, group: String) async throws -> String {
        let targetGroup = Self.targetGroupName(balancer: name, group: group)
        if let known = await cache.targetGroups[targetGroup] { return known.arn }
        if let found = try await elbv2.targetGroups(named: [targetGroup]).first {
            await cache.put(targetGroup: found)
            return found.arn
        }
        guard let balancer = await cache.applications[name] else {
            throw AWSError(status: 400, code: "LoadBalancerNotFound", message: "Load balancer \(name) not found")
        }
        let settings = await record(balancer)
        let vpc = try await network()[0].vpc
        try await createOnce(elbv2.client, exists: { try await !self.elbv2.targetGroups(named: [targetGroup]).isEmpty }) {
            try await self.elbv2.createTargetGroup(targetGroup, port: settings.listenerPort, vpc: vpc, healthCheck: Self.classicCheck(settings),
                                                   path: settings.healthCheck.target)
        }
        guard let made = try await elbv2.targetGroups(named: [targetGroup]).first else {
            throw AWSError(status: 500, code: "TargetGroupNotFound", message: "\(targetGroup) was created but AWS does not list it")
        }
        await cache.put(targetGroup: made)
        try await elbv2.setDeregistrationDelay(made.arn, seconds: settings.drainingTimeout)
        return made.arn
    }

    /// Deletes the target groups of `group` behind `balancers`.
    func deleteTargetGroups(of group: String, behind balancers: [String]) async throws {
        for balancer in balancers {
            let name = Self.targetGroupName(balancer: balancer, group: group)
            let known = await cache.targetGroups[name]
            let found = known == nil ? try await elbv2.targetGroups(named: [name]).first : known
            if let found {
                do {
                    try await elbv2.deleteTargetGroup(found.arn)
                } catch let error as AWSError where error.code == "TargetGroupNotFound" {
                    // A retry whose first answer was lost: gone, as asked.
                }
            }
            await cache.remove(targetGroup: name)
        }
    }

    /// Makes `balancer`'s listener forward to the target groups of its enabled groups (but
    /// `excluding`): with `weights` when given (empty: none, each weight 1), else with the
    /// weights it has (a group it did not forward to gets 0 while weights are set).
    func syncListener(of name: String, weights: [String: Int]? = nil, excluding: String? = nil) async throws {
        var known = await cache.applications[name]
        if known == nil { known = try await refresh(application: name) }
        guard let balancer = known, let listener = balancer.listener else { return }
        let current = Self.weights(of: balancer, owners: await targetGroupOwners(of: name))
        let wanted = weights.map { $0.isEmpty ? nil : $0 } ?? current
        let targetGroups = await cache.targetGroups
        let members = await cache.groups.values
            .filter { Self.loadBalancerNames(of: $0).contains(name) && Self.isEnabled($0) && $0.name != excluding }
            .sorted { $0.name < $1.name }
        let targets = members.compactMap { group -> AWSListener.Target? in
            guard let arn = targetGroups[Self.targetGroupName(balancer: name, group: group.name)]?.arn else { return nil }
            return AWSListener.Target(targetGroupArn: arn, weight: wanted.map { $0[group.name] ?? 0 } ?? 1)
        }
        guard targets != listener.targets else { return }
        // The answer is the listener as it is now: no need to read the load balancer again.
        guard let changed = try await elbv2.setTargets(listener: listener.arn, targets) else {
            try await refresh(application: name)
            return
        }
        var updated = balancer
        updated.listener = changed
        await cache.put(application: name, updated)
        // Other target groups: other instances whose health the next read asks for.
        if Set(changed.targets.map(\.targetGroupArn)) != Set(listener.targets.map(\.targetGroupArn)) {
            await cache.invalidateHealth(of: [name])
        }
    }
}
