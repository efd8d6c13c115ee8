import AsgardCloud
import AsgardCore
import AsgardStore
import AsyncHTTPClient
import Foundation
import Logging
import Synchronization

/// One account's region of AWS behind the `CloudProvider` protocol: server groups are Auto
/// Scaling groups launched from launch templates, load balancers classic ELBs or application
/// load balancers, images the account's AMIs, instances EC2's. Reads come from `AWSRegionCache`; every change goes to AWS,
/// then refreshes what it touched and records its task.
public final class AWSCloudProvider: CloudProvider {
    public let region: String
    /// Whether the region's endpoints answer.
    let reachability: EndpointReachability

    public var unreachable: (since: Date, error: String)? {
        reachability.problem.map { ($0.since, "\(reachability.name) does not answer: \($0.error)") }
    }
    let ec2: AWSEC2
    let autoScaling: AWSAutoScaling
    let elb: AWSClassicELB
    let elbv2: AWSELBv2
    let cloudWatch: AWSCloudWatch
    /// Where CloudWatch sums start: traffic is counted from here.
    let metricsOrigin = Date().addingTimeInterval(-60)
    let tasks: any TaskStore
    let cache = AWSRegionCache()
    /// The whole instance list in launch order, as built at a cache generation (with or without
    /// terminated instances): a page of a 100,000-instance region is then a slice of it, not a
    /// 130 ms build, until the cache changes. It shares its strings with the cache.
    private let ordered = Mutex<(generation: UInt64, includeTerminated: Bool, records: [InstanceRecord])?>(nil)
    /// How old a single group or load balancer may be before a read of it asks AWS again.
    let freshness: Duration
    /// The instance type of new launch templates.
    public let instanceType = "t3.micro"
    let logger: Logger

    /// Creates the provider of `region` at `endpoint` (AWS's own endpoints when nil).
    public init(region: String, endpoint: URL?, credentials: AWSCredentials, limiter: RequestRateLimiter? = nil, tasks: any TaskStore,
                freshness: Duration = .seconds(1), instancePageSize: Int = 1000, logger: Logger) {
        let reachability = EndpointReachability(name: endpoint?.absoluteString ?? "AWS \(region)")
        func client(_ service: String, _ host: String, _ version: String) -> AWSQueryClient {
            let url = endpoint ?? URL(string: "https://\(host).\(region).amazonaws.com/")!
            return AWSQueryClient(endpoint: url, service: service, version: version, region: region, credentials: credentials, limiter: limiter,
                                  reachability: reachability)
        }
        self.reachability = reachability
        self.region = region
        ec2 = AWSEC2(client: client("ec2", "ec2", "2016-11-15"), instancePageSize: instancePageSize)
        autoScaling = AWSAutoScaling(client: client("autoscaling", "autoscaling", "2011-01-01"))
        elb = AWSClassicELB(client: client("elasticloadbalancing", "elasticloadbalancing", "2012-06-01"))
        elbv2 = AWSELBv2(client: client("elasticloadbalancing", "elasticloadbalancing", "2015-12-01"))
        cloudWatch = AWSCloudWatch(client: client("monitoring", "monitoring", "2010-08-01"))
        self.tasks = tasks
        self.freshness = freshness
        self.logger = logger
    }

    public var capabilities: CloudCapabilities { [.weightsTraffic] }
    public var loadBalancerTypes: [LoadBalancerType] { [.classic, .application] }

    // MARK: The cache

    /// Reads the whole region into the cache.
    public func refreshAll() async throws {
        try await cache.fill { [self] in try await readRegion() }
        try await refreshSecurityGroups()
    }

    /// Reads the whole region into the cache and answers the read as JSON, for the other
    /// consoles on a shared database to take in with `takeShared` instead of reading it too.
    public func refreshAllToShare() async throws -> Data {
        try await cache.fill { [self] in try await readRegion() }
        _ = try await refreshSecurityGroups()
        return try JSONEncoder().encode(await cache.snapshot())
    }

    /// Takes in a whole-region read another console shared, which began `age` ago; what this
    /// console read or changed since then keeps its newer state.
    public func takeShared(_ data: Data, age: Duration) async throws {
        await cache.take(try JSONDecoder().decode(RegionSnapshot.self, from: data), age: age)
    }

    public func refreshCache() async throws { try await refreshAll() }

    public func followChange(of objectType: TaskObjectType, id: String) async throws {
        guard await cache.lastFullRead != nil else { return }
        switch objectType {
        case .serverGroup:
            _ = try await aws { try await refresh(group: id) }
        case .loadBalancer:
            // New ones are read both ways: the task does not say which kind it is.
            var classic: AWSClassicLoadBalancer?
            if await !isApplication(id) { classic = try await aws { try await refresh(loadBalancer: id) } }
            if classic == nil { _ = try await aws { try await refresh(application: id) } }
        case .instance:
            var group = await cache.instances[id]?.autoScalingGroupName
            if group == nil {
                // An instance the cache has not seen yet (launched since the last read): AWS says
                // which group it is in, or that it does not exist.
                do {
                    group = try await aws { try await ec2.instances(ids: [id]) }.first?.autoScalingGroupName
                } catch let error as CloudError where error.code == .notFound {
                    return
                }
            }
            if let group { _ = try await aws { try await refresh(group: group) } }
        default:
            try await refreshAll()
        }
    }

    /// Refreshes the whole region every `interval` until cancelled; a failed read is logged and
    /// tried again at the next turn.
    public func runAgent(every interval: Duration) async {
        while !Task.isCancelled {
            do {
                try await refreshAll()
            } catch {
                logger.warning("Cannot read AWS region \(region): \(error)")
            }
            try? await Task.sleep(for: interval)
        }
    }

    private func readRegion() async throws -> RegionSnapshot {
        async let groups = autoScaling.groups()
        async let instances = ec2.instances()
        async let balancers = elb.loadBalancers()
        async let applications = elbv2.loadBalancers()
        async let targetGroups = elbv2.targetGroups()
        async let images = ec2.images()
        async let configurations = autoScaling.launchConfigurationImages()
        let (readGroups, readBalancers, readApplications) = try await (groups, balancers, applications)
        // What AWS answers per object, many calls at a time (the request budget paces them).
        let elb = elb
        let classic = try await concurrently(readBalancers) { balancer in
            (balancer.name, try await elb.instanceHealth(balancer.name), try await elb.drainingTimeout(balancer.name))
        }
        var health = Dictionary(classic.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
        let draining = Dictionary(classic.map { ($0.0, $0.2) }, uniquingKeysWith: { first, _ in first })
        for (name, states) in try await concurrently(readApplications, { [self] balancer in (balancer.name, try await targetHealth(of: balancer)) }) {
            health[name] = states
        }
        // Each launch template version once: the first read of a region learns them all.
        var unknown: [String: AWSAutoScalingGroup] = [:]
        let known = await cache.templateImages
        for group in readGroups {
            if let key = group.launchTemplateKey, unknown[key] == nil, known[key] == nil { unknown[key] = group }
        }
        if unknown.count > 10, let latest = try await ec2.latestLaunchTemplateImages() {
            for (key, group) in unknown {
                guard let name = group.launchTemplateName, let found = latest[name],
                      group.launchTemplateVersion == "$Latest" || group.launchTemplateVersion == found.version else { continue }
                await cache.put(templateImage: key, found.image)
                unknown[key] = nil
            }
        }
        _ = try await concurrently(Array(unknown.values)) { [self] group in try await learnTemplateImage(of: group) }
        return RegionSnapshot(groups: readGroups, instances: try await instances, loadBalancers: readBalancers, applications: readApplications,
                              targetGroups: try await targetGroups, health: health, draining: draining,
                              images: try await images, configurationImages: try await configurations)
    }

    /// Makes sure the region was read once. A first read that takes longer than
    /// `firstReadWait` goes on in the background while the caller gets a 503 saying so.
    func filled() async throws {
        if try await cache.ensureFilled(waitingAtMost: firstReadWait, { [self] in try await readRegion() }) { return }
        let since = cache.status.current.readingSince.map { " (for \(Int(Date().timeIntervalSince($0))) s)" } ?? ""
        throw CloudError(.unavailable, "Region \(region) is being read from AWS for the first time\(since); "
                         + "its lists answer once that read ends. Try again in a few seconds; /healthcheck?detail=true shows the progress")
    }

    /// How long a call waits for the region's first whole read before answering 503.
    var firstReadWait: Duration { .seconds(20) }

    public var cacheStatus: CacheStatus? { cache.status.current }

    /// Reads one group and its instances again.
    @discardableResult
    func refresh(group name: String) async throws -> AWSAutoScalingGroup? {
        let group = try await autoScaling.groups(named: [name]).first
        let ids = group?.instances.map(\.instanceId) ?? []
        let instances = ids.isEmpty ? [] : try await ec2.instances(ids: ids)
        if let group { try await learnTemplateImage(of: group) }
        // Whatever changed the group may have changed who its load balancers (old and new) route to.
        let before = await cache.groups[name].map(Self.loadBalancerNames) ?? []
        await cache.put(group: name, group, instances: instances)
        await cache.invalidateHealth(of: before + (group.map(Self.loadBalancerNames) ?? []))
        return group
    }

    /// Reads the AMI of the launch template version `group` launches from, once: a version
    /// never changes.
    private func learnTemplateImage(of group: AWSAutoScalingGroup) async throws {
        guard let key = group.launchTemplateKey, let name = group.launchTemplateName, let version = group.launchTemplateVersion,
              await cache.templateImages[key] == nil,
              let image = try await ec2.launchTemplateImage(name: name, version: version) else { return }
        await cache.put(templateImage: key, image)
    }

    private func freshGroup(_ name: String) async throws -> AWSAutoScalingGroup? {
        try await filled()
        if await cache.isFresh(group: name, within: freshness) { return await cache.groups[name] }
        return try await refresh(group: name)
    }

    @discardableResult
    func refresh(loadBalancer name: String) async throws -> AWSClassicLoadBalancer? {
        let balancer = try await elb.loadBalancers(named: [name]).first
        await cache.put(loadBalancer: name, balancer, draining: balancer == nil ? nil : try await elb.drainingTimeout(name))
        if balancer != nil { await cache.put(health: name, try await elb.instanceHealth(name)) }
        return balancer
    }

    // MARK: Mapping

    private func imageId(of group: AWSAutoScalingGroup) async -> ImageID {
        if let key = group.launchTemplateKey, let image = await cache.templateImages[key] { return ImageID(rawValue: image) }
        if let configuration = group.launchConfigurationName, let image = await cache.configurationImages[configuration] { return ImageID(rawValue: image) }
        return ImageID(rawValue: "unknown")
    }

    private func record(_ group: AWSAutoScalingGroup) async -> ServerGroupRecord {
        var record = ServerGroupRecord(
            autoScalingGroupName: group.name, imageId: await imageId(of: group), minSize: group.minSize, desiredCapacity: group.desiredCapacity,
            maxSize: group.maxSize, healthCheckType: HealthCheckType(rawValue: group.healthCheckType ?? "EC2") ?? .ec2,
            healthCheckGracePeriod: group.healthCheckGracePeriod,
            terminationPolicies: group.terminationPolicies.compactMap(TerminationPolicy.init(rawValue:)).nonEmpty ?? [.default],
            suspendedProcesses: group.suspendedProcesses.compactMap(ScalingProcess.init(rawValue:)),
            loadBalancerNames: Self.loadBalancerNames(of: group), createdTime: group.createdTime ?? Date(timeIntervalSince1970: 0))
        record.securityGroups = (group.tags[Self.securityGroupsTag] ?? "").split(separator: ",").map(String.init)
        return record
    }

    /// The tag that names the security groups a group's launch template launches into.
    static let securityGroupsTag = "asgard:securityGroups"

    /// The tag that names a group's load balancers while it is disabled (detached from them).
    static let loadBalancersTag = "asgard:loadBalancers"

    /// A group's load balancers: those attached, and those it was detached from when disabled.
    static func loadBalancerNames(of group: AWSAutoScalingGroup) -> [String] {
        let tagged = (group.tags[loadBalancersTag] ?? "").split(separator: ",").map(String.init)
        return tagged + group.loadBalancerNames.filter { !tagged.contains($0) }
    }

    private func record(_ member: AWSAutoScalingGroup.Instance, of group: AWSAutoScalingGroup, ec2 instance: AWSInstance?) -> InstanceRecord {
        let lifecycle: LifecycleState = switch (member.lifecycleState, instance?.state) {
        case (_, "terminated"?): .terminated
        case (_, "shutting-down"?): .terminating
        case ("InService", _): .inService
        case (let state, _) where state.hasPrefix("Terminat"): .terminating
        default: .pending
        }
        var record = InstanceRecord(instanceId: InstanceID(rawValue: member.instanceId), autoScalingGroupName: group.name,
                              imageId: ImageID(rawValue: instance?.imageId ?? ""), lifecycleState: lifecycle,
                              healthStatus: member.healthStatus == "Unhealthy" ? .unhealthy : .healthy,
                              launchTime: instance?.launchTime ?? Date(timeIntervalSince1970: 0), port: 0, pid: nil, startTicks: nil,
                              statusReason: instance?.stateReason, protectedFromScaleIn: member.protectedFromScaleIn)
        record.privateAddress = instance?.privateIpAddress
        return record
    }

    private func record(_ instance: AWSInstance) -> InstanceRecord {
        let lifecycle: LifecycleState = switch instance.state {
        case "running": .inService
        case "pending": .pending
        case "terminated": .terminated
        default: .terminating
        }
        var record = InstanceRecord(instanceId: InstanceID(rawValue: instance.instanceId), autoScalingGroupName: instance.autoScalingGroupName ?? "",
                                    imageId: ImageID(rawValue: instance.imageId), lifecycleState: lifecycle, healthStatus: .healthy,
                                    launchTime: instance.launchTime ?? Date(timeIntervalSince1970: 0), port: 0, pid: nil, startTicks: nil,
                                    statusReason: instance.stateReason)
        record.privateAddress = instance.privateIpAddress
        return record
    }

    private func record(_ image: AWSImage) -> ImageRecord {
        // Asgard's convention: the tag appversion is `app-version-build…`; else the AMI's name.
        let label = image.tags["appversion"] ?? image.name
        let parts = label.split(separator: "-", maxSplits: 1).map(String.init)
        return ImageRecord(imageId: ImageID(rawValue: image.imageId), name: (parts.first ?? label).lowercased(),
                           version: parts.count > 1 ? parts[1] : image.state, command: [], env: image.tags,
                           workingDirectory: nil, createTime: image.creationDate ?? Date(timeIntervalSince1970: 0))
    }

    private func record(_ balancer: AWSClassicLoadBalancer, draining: Int) -> LoadBalancerRecord {
        let check = balancer.healthCheck
        // HTTP:7001/health → /health; TCP:7001 → /
        let target = check.map { text -> String in
            guard let slash = text.target.firstIndex(of: "/") else { return "/" }
            return String(text.target[slash...])
        } ?? "/"
        var record = LoadBalancerRecord(
            loadBalancerName: LoadBalancerName(rawValue: balancer.name), listenerPort: balancer.listeners.first?.loadBalancerPort ?? 80,
            healthCheck: HealthCheckSettings(target: target, interval: check?.interval ?? 30, timeout: check?.timeout ?? 5,
                                             healthyThreshold: check?.healthyThreshold ?? 10, unhealthyThreshold: check?.unhealthyThreshold ?? 2),
            algorithm: .roundRobin, drainingTimeout: draining, trafficWeights: [:], createdTime: balancer.createdTime ?? Date(timeIntervalSince1970: 0),
            type: .classic)
        record.dnsName = balancer.dnsName.isEmpty ? nil : balancer.dnsName
        return record
    }

    /// Runs an AWS call, its errors as `CloudError` with AWS's code in the message.
    func aws<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as AWSError {
            throw Self.cloudError(error)
        }
    }

    static func cloudError(_ error: AWSError) -> CloudError {
        let code: CloudError.Code
        if error.code == AWSError.unreachableCode {
            return CloudError(.unreachable, "AWS cannot be reached: \(error.message)", cause: error)
        } else if error.isAuthentication || ["AccessDenied", "UnauthorizedOperation", "AccessDeniedException"].contains(error.code) {
            code = .permissionDenied
        } else if ["Throttling", "ThrottlingException", "RequestLimitExceeded"].contains(error.code) {
            code = .throttled
        } else if error.status >= 500 {
            code = .unavailable
        } else if error.code.contains("NotFound") {
            code = .notFound
        } else if error.code.contains("AlreadyExists") || error.code.contains("Duplicate") || error.code == "ResourceInUse" || error.code == "DependencyViolation" {
            code = .conflict
        } else {
            code = .invalidRequest
        }
        return CloudError(code, "AWS answered \(error)", cause: error)
    }

    func recordTask(_ task: TaskDraft) async throws -> TaskRecord {
        var draft = task
        draft.region = region
        return try await tasks.createTask(draft)
    }

    // MARK: Images

    public func images() async throws -> [ImageRecord] {
        try await aws { try await filled() }
        return await cache.images.values.map(record).sorted { ($0.name, $0.createTime) < ($1.name, $1.createTime) }
    }

    public func image(_ id: ImageID) async throws -> ImageRecord? {
        try await aws { try await filled() }
        if let image = await cache.images[id.rawValue] { return record(image) }
        guard id.rawValue.hasPrefix("ami-") else { return nil }
        let found = try? await ec2.images(ids: [id.rawValue]).first
        if let found { await cache.put(image: found) }
        return found.map(record)
    }

    public func registerImage(_ image: ImageRecord, task: TaskDraft) async throws -> TaskRecord {
        throw CloudError(.invalidRequest, "AMIs are baked and registered outside the console (e.g. with Packer or aws ec2 register-image); they appear here once registered")
    }

    public func deregisterImage(_ id: ImageID, task: TaskDraft) async throws -> TaskRecord {
        try await aws { try await ec2.deregisterImage(id.rawValue) }
        await cache.remove(image: id.rawValue)
        return try await recordTask(task)
    }

    // MARK: Server groups and instances

    public func serverGroups() async throws -> [ServerGroupRecord] {
        try await aws { try await filled() }
        var records: [ServerGroupRecord] = []
        for group in await cache.groups.values { records.append(await record(group)) }
        return records.sorted { ($0.createdTime, $0.autoScalingGroupName) < ($1.createdTime, $1.autoScalingGroupName) }
    }

    public func serverGroup(named name: String) async throws -> ServerGroupRecord? {
        guard let group = try await aws({ try await freshGroup(name) }) else { return nil }
        return await record(group)
    }

    public func createServerGroup(_ group: ServerGroupRecord, task: TaskDraft) async throws -> TaskRecord {
        let name = group.autoScalingGroupName
        try await aws {
            // The cache may not know a group made outside the console moments ago; AWS does.
            if try await autoScaling.groups(named: [name]).first != nil {
                try await refresh(group: name)
                throw AWSError(status: 409, code: "AlreadyExists", message: "AutoScalingGroup \(name) exists already; create the cluster's next group instead")
            }
            let zones = try await ec2.availabilityZones()
            let applications = try await applicationNames(in: group.loadBalancerNames)
            let securityGroupIds = try await securityGroupIds(group.securityGroups)
            try await createOnce(ec2.client, exists: { try await self.ec2.launchTemplateImage(name: name, version: "1") != nil }) {
                _ = try await self.ec2.createLaunchTemplate(name, imageId: group.imageId.rawValue, instanceType: self.instanceType,
                                                            securityGroupIds: securityGroupIds, clientToken: "asgard-\(name)")
            }
            do {
                var targetGroups: [String] = []
                for balancer in applications { targetGroups.append(try await ensureTargetGroup(balancer: balancer, group: name)) }
                try await createOnce(autoScaling.client, exists: { try await self.autoScaling.groups(named: [name]).first != nil }) {
                    try await self.createGroup(group, zones: zones, classic: group.loadBalancerNames.filter { !applications.contains($0) },
                                               targetGroups: targetGroups)
                }
                if !group.suspendedProcesses.isEmpty {
                    try await autoScaling.setProcesses(name, group.suspendedProcesses.map(\.rawValue), suspended: true)
                }
            } catch {
                // Nothing half-created: a group that could not be made takes its template along.
                if (try? await autoScaling.groups(named: [name]).first) == nil {
                    try? await ec2.deleteLaunchTemplate(name)
                    try? await deleteTargetGroups(of: name, behind: applications)
                }
                throw error
            }
            try await refresh(group: name)
            for balancer in applications { try await syncListener(of: balancer) }
        }
        return try await recordTask(task)
    }

    /// Runs a create that AWS does not make idempotent: after a failure worth another try (a
    /// throttle, a 5xx, a lost answer) it first asks whether the try went through, so nothing is
    /// created twice; a create refused as existing after such a try counts as done.
    func createOnce(_ client: AWSQueryClient, exists: () async throws -> Bool, create: () async throws -> Void) async throws {
        var attempt = 1
        var uncertain = false
        while true {
            do {
                if uncertain, try await exists() { return }
                try await create()
                return
            } catch let error as AWSError where error.isRetryable && attempt < client.attempts {
                attempt += 1
                uncertain = true
                try await client.backoff(before: attempt)
            } catch let error as AWSError where uncertain && (error.code.contains("AlreadyExists") || error.code.contains("Duplicate")) {
                return
            }
        }
    }

    /// The classic load balancers among `names`.
    func classicNames(in names: [String]) async throws -> [String] {
        let applications = try await applicationNames(in: names)
        return names.filter { !applications.contains($0) }
    }

    /// The application load balancers among `names` (the rest are classic).
    func applicationNames(in names: [String]) async throws -> [String] {
        try await filled()
        var found: [String] = []
        for name in names where await isApplication(name) { found.append(name) }
        return found
    }

    /// Creates the Auto Scaling group of `group`, attached to its `classic` load balancers when it
    /// takes traffic and to its application load balancers' `targetGroups` always.
    private func createGroup(_ group: ServerGroupRecord, zones: [String], classic: [String], targetGroups: [String]) async throws {
        let name = group.autoScalingGroupName
        var tags = ["asgard:imageId": group.imageId.rawValue]
        if let names = group.names { tags["asgard:cluster"] = names.cluster }
        if !group.loadBalancerNames.isEmpty { tags[Self.loadBalancersTag] = group.loadBalancerNames.joined(separator: ",") }
        if !group.securityGroups.isEmpty { tags[Self.securityGroupsTag] = group.securityGroups.joined(separator: ",") }
        // A group created without traffic is not attached to classic load balancers: its instances
        // never take a request. Behind an application load balancer its target group always holds
        // its instances; the listener forwards to it while it is enabled.
        let attached = ClusterTraffic.isEnabled(group) ? classic : []
        try await autoScaling.createGroup(name, launchTemplate: name, version: "$Latest", minSize: group.minSize, maxSize: group.maxSize,
                                          desiredCapacity: group.desiredCapacity, zones: zones, loadBalancerNames: attached, targetGroupARNs: targetGroups,
                                          healthCheckType: group.healthCheckType.rawValue, healthCheckGracePeriod: group.healthCheckGracePeriod,
                                          terminationPolicies: group.terminationPolicies.map(\.rawValue), tags: tags)
    }

    public func updateServerGroup(_ group: ServerGroupRecord, task: TaskDraft) async throws -> TaskRecord {
        let name = group.autoScalingGroupName
        try await aws {
            guard let current = try await refresh(group: name) else {
                throw AWSError(status: 400, code: "ValidationError", message: "AutoScalingGroup name not found - \(name)")
            }
            let suspend = group.suspendedProcesses.map(\.rawValue).filter { !current.suspendedProcesses.contains($0) }
            let resume = current.suspendedProcesses.filter { text in !group.suspendedProcesses.contains { $0.rawValue == text } }
            // A new image (a rolling push): a new version of the group's launch template, which
            // its next instances launch from.
            if group.imageId.rawValue != "unknown", group.imageId != (await imageId(of: current)) {
                guard let template = current.launchTemplateName else {
                    throw AWSError(status: 400, code: "ValidationError", message: "\(name) launches from a launch configuration, whose image cannot change; deploy a new group instead")
                }
                let version = try await ec2.createLaunchTemplateVersion(template, imageId: group.imageId.rawValue, instanceType: instanceType,
                                                                        securityGroupIds: try await securityGroupIds(group.securityGroups))
                try await autoScaling.updateGroup(name, launchTemplate: (template, String(version)))
            }
            // Suspend first, so that a shrink that follows is not fought by a process being resumed.
            if !suspend.isEmpty { try await autoScaling.setProcesses(name, suspend, suspended: true) }
            if (group.minSize, group.desiredCapacity, group.maxSize) != (current.minSize, current.desiredCapacity, current.maxSize) {
                try await autoScaling.updateGroup(name, minSize: group.minSize, maxSize: group.maxSize, desiredCapacity: group.desiredCapacity)
            }
            if group.healthCheckType.rawValue != current.healthCheckType || group.healthCheckGracePeriod != current.healthCheckGracePeriod
                || group.terminationPolicies.map(\.rawValue) != (current.terminationPolicies.isEmpty ? ["Default"] : current.terminationPolicies) {
                try await autoScaling.updateSettings(name, healthCheckType: group.healthCheckType.rawValue, healthCheckGracePeriod: group.healthCheckGracePeriod,
                                                     terminationPolicies: group.terminationPolicies.map(\.rawValue))
            }
            // Asgard disables a group by taking its instances out of its load balancers; here the
            // group is detached from them (AWS deregisters its instances, with connection
            // draining) and a tag remembers them for the enable that attaches it again.
            let tagged = group.loadBalancerNames.isEmpty ? nil : group.loadBalancerNames.joined(separator: ",")
            if current.tags[Self.loadBalancersTag] != tagged {
                try await autoScaling.setTag(name, Self.loadBalancersTag, tagged)
            }
            let after = try await applicationNames(in: group.loadBalancerNames)
            let wanted = ClusterTraffic.isEnabled(group) ? group.loadBalancerNames.filter { !after.contains($0) } : []
            try await autoScaling.setLoadBalancers(name, wanted.filter { !current.loadBalancerNames.contains($0) }, attached: true)
            try await autoScaling.setLoadBalancers(name, current.loadBalancerNames.filter { !wanted.contains($0) }, attached: false)
            // Application load balancers: the group's target groups stay attached; the listeners
            // forward to them while it is enabled.
            let before = try await applicationNames(in: Self.loadBalancerNames(of: current))
            var attach: [String] = []
            for balancer in after { attach.append(try await ensureTargetGroup(balancer: balancer, group: name)) }
            try await autoScaling.setTargetGroups(name, attach.filter { !current.targetGroupARNs.contains($0) }, attached: true)
            let targetGroups = await cache.targetGroups
            let leaving = before.filter { !after.contains($0) }.compactMap { targetGroups[Self.targetGroupName(balancer: $0, group: name)]?.arn }
            try await autoScaling.setTargetGroups(name, leaving.filter { current.targetGroupARNs.contains($0) }, attached: false)
            if !resume.isEmpty { try await autoScaling.setProcesses(name, resume, suspended: false) }
            try await refresh(group: name)
            for balancer in Set(before + after).sorted() { try await syncListener(of: balancer) }
        }
        return try await recordTask(task)
    }

    public func deleteServerGroup(named name: String, task: TaskDraft) async throws -> TaskRecord {
        try await aws {
            let current = try await autoScaling.groups(named: [name]).first
            // A retry after the group went: the cache still knows its load balancers.
            let known = current == nil ? await cache.groups[name] : current
            let applications = try await applicationNames(in: known.map(Self.loadBalancerNames) ?? [])
            // Out of the listeners first: AWS refuses to delete a target group a listener uses.
            for balancer in applications { try await syncListener(of: balancer, excluding: name) }
            if current != nil {
                do {
                    try await autoScaling.deleteGroup(name, force: true)
                } catch let error as AWSError where error.code == "ValidationError" && error.message.contains("not found") {
                    // A retry of a delete whose first answer was lost: it is gone, as asked.
                }
            }
            try await ec2.deleteLaunchTemplate(name)
            try await deleteTargetGroups(of: name, behind: applications)
            try await refresh(group: name)
        }
        return try await recordTask(task)
    }

    /// Attachment follows the group's settings at each update; this waits until a disabled
    /// group's instances have left its load balancers (AWS drains them first), up to the longest
    /// draining timeout.
    public func syncLoadBalancers(of group: ServerGroupRecord) async throws {
        // An application load balancer's listener stops forwarding to a disabled group at once.
        let classic = try await aws { try await classicNames(in: group.loadBalancerNames) }
        guard !ClusterTraffic.isEnabled(group), !classic.isEmpty else { return }
        let draining = await cache.draining
        let limit = Duration.seconds(classic.map { draining[$0] ?? 300 }.max() ?? 300) + .seconds(5)
        let deadline = ContinuousClock.now + limit
        try await aws {
            let members = Set((try await refresh(group: group.autoScalingGroupName))?.instances.map(\.instanceId) ?? [])
            for name in classic {
                while true {
                    let states = try await elb.instanceHealth(name)
                    if !states.contains(where: { members.contains($0.instanceId) }) {
                        await cache.put(health: name, states)
                        break
                    }
                    guard ContinuousClock.now < deadline else {
                        throw AWSError(status: 504, code: "DrainTimeout", message: "instances of \(group.autoScalingGroupName) are still in \(name) after \(limit)")
                    }
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
        }
    }

    public func instances(of group: String?, includeTerminated: Bool) async throws -> [InstanceRecord] {
        if let group {
            guard let found = try await aws({ try await freshGroup(group) }) else { return [] }
            var records: [InstanceRecord] = []
            for member in found.instances {
                records.append(record(member, of: found, ec2: await cache.instances[member.instanceId]))
            }
            return records.filter { includeTerminated || $0.lifecycleState != .terminated }
        }
        try await aws { try await filled() }
        // Read before the cache: a change while the list is built moves the generation on, and
        // the next call builds again.
        let generation = cache.status.current.generation
        if let kept = ordered.withLock({ $0 }), kept.generation == generation, kept.includeTerminated == includeTerminated {
            return kept.records
        }
        let groups = await cache.groups, instances = await cache.instances
        var records: [InstanceRecord] = []
        records.reserveCapacity(instances.count)
        // Group by group: the members that EC2 lists as launched by their group, then the rest
        // (a member's id looked up once, not searched for among its group's members).
        var grouped = Set<String>(minimumCapacity: instances.count)
        for group in groups.values {
            for member in group.instances {
                guard let instance = instances[member.instanceId], instance.autoScalingGroupName == group.name,
                      includeTerminated || instance.state != "terminated", grouped.insert(member.instanceId).inserted else { continue }
                records.append(record(member, of: group, ec2: instance))
            }
        }
        for (id, instance) in instances where (includeTerminated || instance.state != "terminated") && !grouped.contains(id) {
            records.append(record(instance))
        }
        let sorted = Self.inLaunchOrder(records)
        ordered.withLock { $0 = (generation, includeTerminated, sorted) }
        return sorted
    }

    /// `records` in the order instance lists come in: oldest launch first, then by id. The
    /// order is worked out on small keys and the records moved once: sorting 100,000 records
    /// themselves spent most of a list's build moving them.
    private static func inLaunchOrder(_ records: [InstanceRecord]) -> [InstanceRecord] {
        let order = records.indices.sorted { a, b in
            (records[a].launchTime, records[a].instanceId) < (records[b].launchTime, records[b].instanceId)
        }
        return order.map { records[$0] }
    }

    /// From the cache alone, as the whole list is (no group is read again).
    public func instances(ofGroups names: Set<String>) async throws -> [InstanceRecord] {
        try await aws { try await filled() }
        let groups = await cache.groups, instances = await cache.instances
        var records: [InstanceRecord] = []
        for name in names {
            guard let group = groups[name] else { continue }
            for member in group.instances {
                let record = record(member, of: group, ec2: instances[member.instanceId])
                if record.lifecycleState != .terminated { records.append(record) }
            }
        }
        return Self.inLaunchOrder(records)
    }

    public func instance(_ id: InstanceID) async throws -> InstanceRecord? {
        try await aws { try await filled() }
        var found = await cache.instances[id.rawValue]
        if found == nil {
            do {
                found = try await ec2.instances(ids: [id.rawValue]).first
            } catch let error as AWSError where error.code.hasPrefix("InvalidInstanceID") {
                return nil
            } catch let error as AWSError {
                throw Self.cloudError(error)
            }
            if let found { await cache.put(instance: found) }
        }
        guard let found else { return nil }
        if let name = found.autoScalingGroupName, let group = try await aws({ try await freshGroup(name) }),
           let member = group.instances.first(where: { $0.instanceId == id.rawValue }) {
            return record(member, of: group, ec2: await cache.instances[id.rawValue] ?? found)
        }
        return record(found)
    }

    public func terminateInstance(_ instance: InstanceRecord, reason: String) async throws {
        try await aws {
            if instance.autoScalingGroupName.isEmpty {
                try await ec2.terminate([instance.instanceId.rawValue])
            } else {
                // As the local cloud: the group launches a replacement while below its capacity.
                try await autoScaling.terminateInstance(instance.instanceId.rawValue, decrement: false)
                try await refresh(group: instance.autoScalingGroupName)
            }
        }
        logger.info("Terminated \(instance.instanceId): \(reason)")
    }

    public func terminateAndShrink(_ instance: InstanceRecord, group: ServerGroupRecord, task: TaskDraft) async throws -> TaskRecord {
        let name = group.autoScalingGroupName
        try await aws {
            // AWS refuses to go below the minimum: lower it first when the shrink needs it.
            if let current = try await refresh(group: name), group.minSize < current.minSize {
                try await autoScaling.updateGroup(name, minSize: group.minSize)
            }
            try await autoScaling.terminateInstance(instance.instanceId.rawValue, decrement: true)
            try await refresh(group: name)
        }
        return try await recordTask(task)
    }

    public func rebootInstance(_ instance: InstanceRecord) async throws {
        try await aws { try await ec2.reboot([instance.instanceId.rawValue]) }
    }

    public func setInstanceProtection(_ ids: [InstanceID], protected: Bool, task: TaskDraft) async throws -> TaskRecord {
        guard let first = ids.first, let group = try await instance(first)?.autoScalingGroupName, !group.isEmpty else {
            throw CloudError(.invalidRequest, "instanceIds: give instances of one server group")
        }
        try await aws {
            try await autoScaling.setProtection(group, ids.map(\.rawValue), protected: protected)
            try await refresh(group: group)
        }
        return try await recordTask(task)
    }

    public func consoleOutput(_ id: InstanceID) async throws -> String {
        let text = try await aws { try await ec2.consoleOutput(id.rawValue) }
        return String(text.suffix(64 * 1024))
    }

    /// CPU and memory of AWS instances come from CloudWatch, which the analysis reads elsewhere.
    public func instanceUsage(of group: String) async throws -> [InstanceUsage] { [] }

    // MARK: Load balancers

    public func loadBalancers() async throws -> [LoadBalancerRecord] {
        try await aws { try await filled() }
        let draining = await cache.draining
        var records = await cache.loadBalancers.values.map { record($0, draining: draining[$0.name] ?? 0) }
        for balancer in await cache.applications.values { records.append(await record(balancer)) }
        return records.sorted { $0.loadBalancerName < $1.loadBalancerName }
    }

    public func loadBalancer(named name: LoadBalancerName) async throws -> LoadBalancerRecord? {
        try await aws { try await filled() }
        if let balancer = await cache.applications[name.rawValue] { return await record(balancer) }
        guard let balancer = await cache.loadBalancers[name.rawValue] else { return nil }
        return record(balancer, draining: await cache.draining[name.rawValue] ?? 0)
    }

    public func loadBalancerState(named name: LoadBalancerName) async -> LoadBalancerState {
        await loadBalancerState(named: name, refreshing: true)
    }

    public func cachedLoadBalancerState(named name: LoadBalancerName) async -> LoadBalancerState {
        await loadBalancerState(named: name, refreshing: false)
    }

    /// The state from the cache, its health read again first when `refreshing` and older than
    /// `freshness`.
    private func loadBalancerState(named name: LoadBalancerName, refreshing: Bool) async -> LoadBalancerState {
        do {
            try await filled()
            if let balancer = await cache.applications[name.rawValue] {
                // As for a classic one, only the health is read again: the console's own listener
                // changes are in the cache already, others come with the next whole read.
                if refreshing, !(await cache.isFresh(health: name.rawValue, within: freshness)) {
                    await cache.put(health: name.rawValue, try await targetHealth(of: balancer))
                }
                return await state(of: await cache.applications[name.rawValue] ?? balancer)
            }
            // Deployments poll this: only the health is read again, not the description.
            if refreshing, !(await cache.isFresh(health: name.rawValue, within: freshness)) {
                await cache.put(health: name.rawValue, try await elb.instanceHealth(name.rawValue))
            }
        } catch let error as AWSError where error.code == "LoadBalancerNotFound" {
            return LoadBalancerState(status: "not found in AWS", traffic: nil)
        } catch {
            return LoadBalancerState(status: "cannot read it from AWS: \(error)", traffic: nil)
        }
        let states = await cache.health[name.rawValue] ?? []
        let instances = await cache.instances
        var byGroup: [String: [InstanceTraffic]] = [:]
        for state in states {
            let group = instances[state.instanceId]?.autoScalingGroupName ?? ""
            let health: TargetHealth = state.state == "InService" ? .healthy : state.state == "OutOfService" ? .unhealthy : .initial
            byGroup[group, default: []].append(InstanceTraffic(instanceId: InstanceID(rawValue: state.instanceId), port: 0, health: health,
                                                               healthReason: state.description, inFlight: 0, requests: StatusCounts(),
                                                               latency: LatencySummary()))
        }
        let groups = byGroup.sorted { $0.key < $1.key }.map {
            GroupTraffic(name: $0.key, weight: nil, requests: StatusCounts(), latency: LatencySummary(), instances: $0.value)
        }
        return LoadBalancerState(status: "running", traffic: LoadBalancerTraffic(routing: nil, startedAt: Date(timeIntervalSince1970: 0), groups: groups,
                                                                                 draining: [], unrouted: StatusCounts()))
    }

    public func groupTraffic(on name: LoadBalancerName) async -> [GroupTraffic] {
        do {
            try await filled()
            guard let balancer = await cache.applications[name.rawValue] else { return await loadBalancerState(named: name).traffic?.groups ?? [] }
            return try await metricTraffic(of: balancer)
        } catch {
            logger.warning("Cannot read the CloudWatch metrics of \(name): \(error)")
            return []
        }
    }

    public func createLoadBalancer(_ balancer: LoadBalancerRecord, task: TaskDraft) async throws -> TaskRecord {
        let name = balancer.loadBalancerName.rawValue
        if balancer.type == .application {
            try await aws { try await createApplication(balancer) }
            return try await recordTask(task)
        }
        try await aws {
            let zones = try await ec2.availabilityZones()
            try await createOnce(elb.client, exists: { try await !self.elb.loadBalancers(named: [name]).isEmpty }) {
                try await self.elb.create(name, port: balancer.listenerPort, instancePort: balancer.listenerPort, zones: zones)
            }
            do {
                try await configure(balancer)
            } catch {
                // Nothing half-created.
                try? await elb.delete(name)
                throw error
            }
            try await refresh(loadBalancer: name)
        }
        return try await recordTask(task)
    }

    private func configure(_ balancer: LoadBalancerRecord) async throws {
        try await elb.configureHealthCheck(balancer.loadBalancerName.rawValue, Self.classicCheck(balancer))
        try await elb.setDraining(balancer.loadBalancerName.rawValue, timeout: balancer.drainingTimeout)
    }

    public func updateLoadBalancer(_ balancer: LoadBalancerRecord, previous: LoadBalancerRecord, task: TaskDraft) async throws -> TaskRecord {
        guard balancer.listenerPort == previous.listenerPort else {
            throw CloudError(.invalidRequest, "listenerPort: an AWS load balancer's listener is changed by creating a new load balancer; keep \(previous.listenerPort)")
        }
        if previous.type == .application {
            try await aws { try await updateApplication(balancer, previous: previous) }
            return try await recordTask(task)
        }
        guard balancer.trafficWeights.isEmpty else {
            throw CloudError(.invalidRequest, "trafficWeights: a classic load balancer sends every instance an equal share; weights need an application load balancer (type application)")
        }
        try await aws {
            try await configure(balancer)
            try await refresh(loadBalancer: balancer.loadBalancerName.rawValue)
        }
        return try await recordTask(task)
    }

    public func deleteLoadBalancer(named name: LoadBalancerName, task: TaskDraft) async throws -> TaskRecord {
        let users = try await serverGroups().filter { $0.loadBalancerNames.contains(name.rawValue) }
        guard users.isEmpty else {
            throw CloudError(.conflict, "Load balancer \(name) is used by server group\(users.count == 1 ? "" : "s") \(users.map(\.autoScalingGroupName).joined(separator: ", ")); remove it from them (or delete them) first")
        }
        try await aws {
            if await isApplication(name.rawValue) {
                try await deleteApplication(name.rawValue)
            } else {
                try await elb.delete(name.rawValue)
                try await refresh(loadBalancer: name.rawValue)
            }
        }
        return try await recordTask(task)
    }
}

extension Array {
    /// Nil when empty.
    var nonEmpty: Self? { isEmpty ? nil : self }
}

/// AMI tags (a local image's environment is fixed when it is registered).
extension AWSCloudProvider: ImageTagging {
    public func setImageTags(_ id: ImageID, set tags: [String: String], remove: [String], task: TaskDraft) async throws -> TaskRecord {
        try await aws {
            try await ec2.setTags(id.rawValue, set: tags, remove: remove)
            if let image = try await ec2.images(ids: [id.rawValue]).first { await cache.put(image: image) }
        }
        return try await recordTask(task)
    }
}
