import AsgardCloud
import AsgardCore
import Foundation

/// What the console knows of one account's region: the last answers of AWS, kept so that pages
/// read memory instead of AWS (Asgard's cache). A background agent reads the whole region every
/// so often; each change refreshes the objects it touched at once; a single object older than
/// `freshness` is read again when asked for.
actor AWSRegionCache {
    private(set) var groups: [String: AWSAutoScalingGroup] = [:] { didSet { status.changed() } }
    private(set) var instances: [String: AWSInstance] = [:] { didSet { status.changed() } }
    private(set) var loadBalancers: [String: AWSClassicLoadBalancer] = [:] { didSet { status.changed() } }
    private(set) var applications: [String: AWSApplicationLoadBalancer] = [:] { didSet { status.changed() } }
    /// Target groups by name.
    private(set) var targetGroups: [String: AWSTargetGroup] = [:] { didSet { status.changed() } }
    /// The CloudWatch figures of each application load balancer's groups, as last read.
    private(set) var metrics: [String: (time: ContinuousClock.Instant, traffic: [GroupTraffic])] = [:]
    /// Security groups as last read, all at once.
    private(set) var securityGroups: [SecurityGroupRecord]? { didSet { status.changed() } }
    /// The default subnet of each zone, read once.
    private(set) var subnets: [(subnet: String, zone: String, vpc: String)]?
    private(set) var health: [String: [AWSInstanceHealth]] = [:] { didSet { status.changed() } }
    private(set) var draining: [String: Int] = [:] { didSet { status.changed() } }
    private(set) var images: [String: AWSImage] = [:] { didSet { status.changed() } }
    /// Launch template `name:version` (numbered versions only, which never change) → AMI.
    private(set) var templateImages: [String: String] = [:] { didSet { status.changed() } }
    /// Launch configuration name → AMI.
    private(set) var configurationImages: [String: String] = [:] { didSet { status.changed() } }
    private var groupReadAt: [String: ContinuousClock.Instant] = [:]
    private var healthReadAt: [String: ContinuousClock.Instant] = [:]
    private var targetGroupChangedAt: [String: ContinuousClock.Instant] = [:]
    /// When a load balancer was last stored as changed or read by itself.
    private var balancerChangedAt: [String: ContinuousClock.Instant] = [:]
    private(set) var lastFullRead: Date?
    private var filling: Task<Void, any Error>?
    /// Its generation (which every change to what it holds moves on) and how its whole-region
    /// reads went, for the list answers, the pages and the health check to read without waiting.
    nonisolated let status = CacheStatusCell()
    /// The clock the ages of what it holds are measured by; tests drive their own.
    let now: @Sendable () -> ContinuousClock.Instant

    /// Creates an empty cache.
    init(now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.now = now
    }

    // MARK: Whole region

    /// Reads the whole region unless it was read already; concurrent callers share one read.
    /// Answers false when the first read is still running after `limit` (it goes on; a caller
    /// that cannot wait answers 503 instead of hanging).
    func ensureFilled(waitingAtMost limit: Duration, _ read: @escaping @Sendable () async throws -> RegionSnapshot) async throws -> Bool {
        if lastFullRead != nil { return true }
        let reading = startFill(read)
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { _ = try await reading.value; return true }
            group.addTask { try await Task.sleep(for: limit); return false }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
    }

    /// Reads the whole region now (one read at a time; a caller during a read waits for it).
    func fill(_ read: @escaping @Sendable () async throws -> RegionSnapshot) async throws {
        try await startFill(read).value
    }

    /// What it holds, as one read of the whole region: for the other consoles on a shared
    /// database to take in.
    func snapshot() -> RegionSnapshot {
        RegionSnapshot(groups: Array(groups.values), instances: Array(instances.values), loadBalancers: Array(loadBalancers.values),
                       applications: Array(applications.values), targetGroups: Array(targetGroups.values), health: health,
                       draining: draining, images: Array(images.values), configurationImages: configurationImages,
                       templateImages: templateImages, securityGroups: securityGroups)
    }

    /// The whole-region read running now, or a new one. Reads keep answering from what the last
    /// read left while it runs (stale while revalidating); its status says how it went.
    private func startFill(_ read: @escaping @Sendable () async throws -> RegionSnapshot) -> Task<Void, any Error> {
        if let filling { return filling }
        let status = status
        // The task runs on this actor, which is busy until `filling` is set below.
        let task = Task { [self] in
            let started = now()
            let startedAt = Date()
            status.reading(since: startedAt)
            do {
                try await self.readAndApply(read, since: started)
                status.read(at: Date(), seconds: Date().timeIntervalSince(startedAt))
                // Parsing a region's answers (megabytes of XML per page) leaves the heap's free
                // space with the process; hand it back, so the resident size is what is kept.
                // The read itself is gone by now: a task's result lives as long as the task, so
                // the task answers nothing (holding the read there kept 25 MB at 100,000 instances).
                ProcessMemory.releaseFreeMemory()
                self.filling = nil
            } catch {
                status.failed(String(describing: error), at: Date())
                self.filling = nil
                throw error
            }
        }
        filling = task
        return task
    }

    /// Reads the whole region and takes the read in; the read is let go on return.
    private func readAndApply(_ read: @Sendable () async throws -> RegionSnapshot, since started: ContinuousClock.Instant) async throws {
        apply(try await read(), readSince: started)
    }

    /// Takes in a whole-region read that began at `started`, except what was read one by one
    /// since then (a change made during a long read is newer than the read): those keep their
    /// newer state. What the read brought counts as read when the read began.
    private func apply(_ snapshot: RegionSnapshot, readSince started: ContinuousClock.Instant) {
        let newerGroups = Set(groupReadAt.filter { $0.value > started }.keys)
        var readGroups = Dictionary(snapshot.groups.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for name in newerGroups { readGroups[name] = groups[name] }
        var readInstances: [String: AWSInstance] = [:]
        readInstances.reserveCapacity(snapshot.instances.count)
        for var instance in snapshot.instances where readInstances[instance.instanceId] == nil {
            instance.instanceId = Self.kept(instance.instanceId, in: instances)
            readInstances[instance.instanceId] = instance
        }
        for (id, instance) in instances where newerGroups.contains(instance.autoScalingGroupName ?? "") { readInstances[id] = instance }
        readGroups = readGroups.mapValues { Self.sharingIds($0, with: readInstances) }
        let newerBalancers = Set(healthReadAt.filter { $0.value > started }.keys).union(balancerChangedAt.filter { $0.value > started }.keys)
        var readBalancers = Dictionary(snapshot.loadBalancers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var readApplications = Dictionary(snapshot.applications.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var readHealth = snapshot.health.mapValues { Self.sharingIds($0, with: readInstances) }
        for name in newerBalancers {
            readBalancers[name] = loadBalancers[name]
            readApplications[name] = applications[name]
            readHealth[name] = health[name]
        }
        // Only what changed is stored: a read that finds the region as it was keeps the
        // generation, and with it the list answers and their ETags.
        if groups != readGroups { groups = readGroups }
        if instances != readInstances { instances = readInstances }
        if loadBalancers != readBalancers { loadBalancers = readBalancers }
        if applications != readApplications { applications = readApplications }
        // Target groups made or deleted during the read keep what the change left.
        var readTargetGroups = Dictionary(snapshot.targetGroups.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (name, time) in targetGroupChangedAt where time > started { readTargetGroups[name] = targetGroups[name] }
        if targetGroups != readTargetGroups { targetGroups = readTargetGroups }
        if health != readHealth { health = readHealth }
        let readDraining = draining.merging(snapshot.draining) { _, new in new }
        if draining != readDraining { draining = readDraining }
        let readImages = Dictionary(snapshot.images.map { ($0.imageId, $0) }, uniquingKeysWith: { a, _ in a })
        if images != readImages { images = readImages }
        if configurationImages != snapshot.configurationImages { configurationImages = snapshot.configurationImages }
        for name in groups.keys where !newerGroups.contains(name) { groupReadAt[name] = started }
        for name in Array(loadBalancers.keys) + Array(applications.keys) where !newerBalancers.contains(name) { healthReadAt[name] = started }
        lastFullRead = Date()
    }

    /// `id` as the string `instances` keeps for it (or `id` itself): an id read again from AWS,
    /// or from a group's members or a load balancer's health, is one more copy of the same
    /// 19 bytes, which at 100,000 instances cost over 100 bytes per instance.
    private static func kept(_ id: String, in instances: [String: AWSInstance]) -> String {
        instances.index(forKey: id).map { instances.keys[$0] } ?? id
    }

    /// `group` with its members' ids shared with `instances`.
    private static func sharingIds(_ group: AWSAutoScalingGroup, with instances: [String: AWSInstance]) -> AWSAutoScalingGroup {
        var group = group
        for index in group.instances.indices { group.instances[index].instanceId = kept(group.instances[index].instanceId, in: instances) }
        return group
    }

    /// `states` with their ids shared with `instances`.
    private static func sharingIds(_ states: [AWSInstanceHealth], with instances: [String: AWSInstance]) -> [AWSInstanceHealth] {
        states.map { var state = $0; state.instanceId = kept(state.instanceId, in: instances); return state }
    }

    /// Takes in a whole-region read another console made, which began `age` ago.
    func take(_ snapshot: RegionSnapshot, age: Duration) {
        apply(snapshot, readSince: now() - age)
        status.read(at: Date().addingTimeInterval(-Double(age.components.seconds)), seconds: 0)
        let readTemplates = templateImages.merging(snapshot.templateImages ?? [:]) { _, read in read }
        if templateImages != readTemplates { templateImages = readTemplates }
        if let groups = snapshot.securityGroups, securityGroups != groups { securityGroups = groups }
    }

    // MARK: One object

    /// Whether `group` was read within `freshness`.
    func isFresh(group name: String, within freshness: Duration) -> Bool {
        groupReadAt[name].map { now() - $0 < freshness } ?? false
    }

    /// Whether `balancer`'s health was read within `freshness`.
    func isFresh(health name: String, within freshness: Duration) -> Bool {
        healthReadAt[name].map { now() - $0 < freshness } ?? false
    }

    /// Stores a group as just read, with its instances; nil removes it.
    func put(group name: String, _ group: AWSAutoScalingGroup?, instances read: [AWSInstance]) {
        // Only what differs is stored, so that reading an unchanged object again keeps the
        // generation (and the list answers encoded for it).
        for var instance in read where instances[instance.instanceId] != instance {
            instance.instanceId = Self.kept(instance.instanceId, in: instances)
            instances[instance.instanceId] = instance
        }
        let group = group.map { Self.sharingIds($0, with: instances) }
        if groups[name] != group { groups[name] = group }
        groupReadAt[name] = now()
        // Instances of the group that AWS no longer lists in it have left it.
        let members = Set(group?.instances.map(\.instanceId) ?? [])
        for (id, instance) in instances where instance.autoScalingGroupName == name && !members.contains(id) && instance.state != "terminated"
            && instance.state != "shutting-down" {
            instances[id]?.state = "shutting-down"
        }
    }

    func put(instance: AWSInstance) {
        guard instances[instance.instanceId] != instance else { return }
        var instance = instance
        instance.instanceId = Self.kept(instance.instanceId, in: instances)
        instances[instance.instanceId] = instance
    }

    func put(loadBalancer name: String, _ balancer: AWSClassicLoadBalancer?, draining timeout: Int?) {
        if loadBalancers[name] != balancer { loadBalancers[name] = balancer }
        balancerChangedAt[name] = now()
        if let timeout, draining[name] != timeout { draining[name] = timeout }
        if balancer == nil, health[name] != nil { health[name] = nil }
    }

    func put(application name: String, _ balancer: AWSApplicationLoadBalancer?) {
        if applications[name] != balancer { applications[name] = balancer }
        balancerChangedAt[name] = now()
        if balancer == nil, health[name] != nil { health[name] = nil }
    }

    func put(targetGroup: AWSTargetGroup) {
        targetGroups[targetGroup.name] = targetGroup
        targetGroupChangedAt[targetGroup.name] = now()
    }

    func remove(targetGroup name: String) {
        targetGroups[name] = nil
        targetGroupChangedAt[name] = now()
    }

    func put(metrics name: String, _ traffic: [GroupTraffic]) { metrics[name] = (now(), traffic) }

    func put(securityGroups: [SecurityGroupRecord]) {
        if self.securityGroups != securityGroups { self.securityGroups = securityGroups }
    }

    func put(subnets: [(subnet: String, zone: String, vpc: String)]) { self.subnets = subnets }

    /// Makes the next read of these load balancers' health ask AWS: a change to a group behind
    /// them changes who is registered.
    func invalidateHealth(of names: [String]) {
        for name in names { healthReadAt[name] = nil }
    }

    func put(health name: String, _ states: [AWSInstanceHealth]) {
        if health[name] != states { health[name] = Self.sharingIds(states, with: instances) }
        healthReadAt[name] = now()
    }

    func put(image: AWSImage) { images[image.imageId] = image }

    func remove(image id: String) { images[id] = nil }

    func put(templateImage key: String, _ image: String) {
        if templateImages[key] != image { templateImages[key] = image }
    }
}

/// One read of a whole region; on a shared database, what the console that reads the region
/// hands the others (as JSON).
struct RegionSnapshot: Sendable, Codable {
    var groups: [AWSAutoScalingGroup]
    var instances: [AWSInstance]
    var loadBalancers: [AWSClassicLoadBalancer]
    var applications: [AWSApplicationLoadBalancer]
    var targetGroups: [AWSTargetGroup]
    var health: [String: [AWSInstanceHealth]]
    var draining: [String: Int]
    var images: [AWSImage]
    var configurationImages: [String: String]
    /// Launch template `name:version` → AMI, as the reader learned them.
    var templateImages: [String: String]?
    /// The region's security groups, as the reader read them.
    var securityGroups: [SecurityGroupRecord]?
}
