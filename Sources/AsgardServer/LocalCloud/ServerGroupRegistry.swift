import AsgardEngine
import AsgardCloud
import AsgardAPI
import AsgardCore
import AsgardStore
import Foundation
import LocalCloud

/// Creates, changes and deletes local server groups; the reconciler does the rest.
struct ServerGroupRegistry: Sendable {
    let cloud: any CloudProvider
    let applications: any ApplicationStore
    let operations: ClusterOperations
    let now: @Sendable () -> Date
    var region: String { operations.region }

    /// The most instances one group may have: 50 processes on this machine for the local cloud.
    let maxCapacity: Int
    static let localMaxCapacity = 50

    func show(_ name: String) async throws -> ServerGroupRecord {
        guard let group = try await cloud.serverGroup(named: name) else {
            throw ConsoleError.notFound("Server group '\(name)' not found; see /\(region)/autoScaling/list")
        }
        return group
    }

    func json(_ group: ServerGroupRecord) async throws -> ServerGroupJSON {
        try await views([(group, try await cloud.instances(of: group.autoScalingGroupName, includeTerminated: false))], fresh: true)[0]
    }

    /// The groups `query`'s filters admit (all but the traffic state, which needs the views),
    /// with their instances: a filtered list builds the views of what it shows, not the region's.
    func jsonAll(matching query: ListQuery) async throws -> [ServerGroupJSON] {
        guard query.filters else { return try await jsonAll() }
        let all = try await cloud.serverGroups()
        var loose = query
        loose.state = nil
        let names = try await imageNames()
        let kept = all.filter { loose.admits(ListAnswers.facts($0, imageName: names[$0.imageId])) }
        guard !kept.isEmpty else { return [] }
        let instances = Dictionary(grouping: try await cloud.instances(ofGroups: Set(kept.map(\.autoScalingGroupName))), by: \.autoScalingGroupName)
        return try await views(kept.map { ($0, instances[$0.autoScalingGroupName] ?? []) }, fresh: false, imageNames: names)
    }

    /// Every group with its instances (of one cluster or application when given), from one read
    /// of all instances: a list page reads what the cloud holds once, not each group again.
    func jsonAll(cluster: String? = nil, app: String? = nil) async throws -> [ServerGroupJSON] {
        let groups = try await cloud.serverGroups().filter {
            (cluster == nil || ($0.names?.cluster ?? $0.autoScalingGroupName) == cluster) && (app == nil || $0.names?.app == app)
        }
        guard !groups.isEmpty else { return [] }
        let read = cluster == nil && app == nil ? try await cloud.instances(of: nil, includeTerminated: false)
            : try await cloud.instances(ofGroups: Set(groups.map(\.autoScalingGroupName)))
        let instances = Dictionary(grouping: read, by: \.autoScalingGroupName)
        // One cluster's page shows its load balancers' health as they report it now; a list of
        // the region's (or an application's) groups shows it as the cache holds it.
        return try await views(groups.map { ($0, instances[$0.autoScalingGroupName] ?? []) }, fresh: cluster != nil)
    }

    /// The API views of `groups`, each instance's health as its load balancers report it (each
    /// load balancer asked once; anew when `fresh`, else as the provider holds it) and each
    /// group's weight.
    private func views(_ groups: [(ServerGroupRecord, [InstanceRecord])], fresh: Bool,
                       imageNames known: [ImageID: String]? = nil) async throws -> [ServerGroupJSON] {
        let names = Set(groups.flatMap { $0.0.loadBalancerNames })
        var reports: [String: LoadBalancerTraffic?] = [:]
        for name in names {
            let balancer = LoadBalancerName(rawValue: name)
            reports[name] = fresh ? await cloud.loadBalancerState(named: balancer).traffic : await cloud.cachedLoadBalancerState(named: balancer).traffic
        }
        let balancers = names.isEmpty ? [] : try await cloud.loadBalancers().filter { names.contains($0.loadBalancerName.rawValue) }
        let images: [ImageID: String]
        if let known { images = known } else { images = try await imageNames() }
        let index = TrafficIndex(reports)
        return groups.map { group, instances in
            let mine = balancers.filter { group.loadBalancerNames.contains($0.loadBalancerName.rawValue) }
            return ServerGroupJSON(group, instances: instances, index: index,
                                   traffic: TrafficShareView(weightPercent: TrafficShareView.weightPercent(of: group.autoScalingGroupName, on: mine)),
                                   imageName: images[group.imageId])
        }
    }

    /// Each image's "name version", by id (an image without a name has none).
    private func imageNames() async throws -> [ImageID: String] {
        let images = Dictionary(try await cloud.images().map { ($0.imageId, $0) }, uniquingKeysWith: { first, _ in first })
        return images.compactMapValues { $0.name.isEmpty ? nil : "\($0.name) \($0.version)" }
    }

    /// The sizes, grace period and policies in `fields`, over `base`.
    static func settings(_ fields: FormFields, over base: ServerGroupRecord, loadBalancers known: Set<String>, region: String,
                         maxCapacity: Int) throws -> ServerGroupRecord {
        var group = base
        var problems: [FieldError] = []
        func number(_ key: String, _ current: Int, range: ClosedRange<Int>) -> Int {
            fields.wholeNumber(key, current, in: range, problems: &problems)
        }
        group.minSize = number("minSize", group.minSize, range: 0...maxCapacity)
        group.maxSize = number("maxSize", group.maxSize, range: 0...maxCapacity)
        group.desiredCapacity = number("desiredCapacity", group.desiredCapacity, range: 0...maxCapacity)
        group.healthCheckGracePeriod = number("healthCheckGracePeriod", group.healthCheckGracePeriod, range: 0...86_400)
        if let text = fields["healthCheckType"], !text.isEmpty {
            if let type = HealthCheckType(rawValue: text) {
                group.healthCheckType = type
            } else {
                problems.append(FieldError(field: "healthCheckType", message: "'\(text)' is not EC2 or ELB"))
            }
        }
        if fields.has("terminationPolicies") {
            do {
                let policies = try fields.list("terminationPolicies", of: TerminationPolicy.self)
                group.terminationPolicies = policies.isEmpty ? [.default] : policies
            } catch let error as ConsoleError { problems += error.fieldErrors }
        }
        if fields.has("suspendedProcesses") {
            do {
                group.suspendedProcesses = try fields.list("suspendedProcesses", of: ScalingProcess.self)
            } catch let error as ConsoleError { problems += error.fieldErrors }
        }
        if fields.has("selectedLoadBalancers") {
            var names: [String] = []
            for text in fields.list("selectedLoadBalancers") {
                guard let name = try? LoadBalancerName(validating: text), known.contains(name.rawValue) else {
                    problems.append(FieldError(field: "selectedLoadBalancers", message: "'\(text)' is not a load balancer; see /\(region)/loadBalancer/list"))
                    continue
                }
                if !names.contains(name.rawValue) { names.append(name.rawValue) }
            }
            group.loadBalancerNames = names
        }
        if group.healthCheckType == .elb, group.loadBalancerNames.isEmpty {
            problems.append(FieldError(field: "healthCheckType", message: "ELB needs at least one load balancer in selectedLoadBalancers; use EC2 or add one"))
        }
        if problems.isEmpty, !(group.minSize <= group.desiredCapacity && group.desiredCapacity <= group.maxSize) {
            problems.append(FieldError(field: "desiredCapacity", message: "must be between minSize (\(group.minSize)) and maxSize (\(group.maxSize))"))
        }
        guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
        return group
    }

    /// The security groups named, each checked to exist; the local cloud has none.
    private func securityGroups(_ names: [String]) async throws -> [String] {
        guard !names.isEmpty else { return [] }
        guard let provider = cloud as? any SecurityGroupProvider else {
            throw ConsoleError.invalid("selectedSecurityGroups", "region \(region) is the local cloud's, which has no security groups; leave them out")
        }
        let known = Set(try await provider.securityGroups().map(\.groupName))
        var chosen: [String] = []
        for name in names {
            guard known.contains(name) else {
                throw ConsoleError.invalid("selectedSecurityGroups", "'\(name)' is not a security group of \(region); see /\(region)/security/list")
            }
            if !chosen.contains(name) { chosen.append(name) }
        }
        return chosen
    }

    private func loadBalancerNames() async throws -> Set<String> {
        Set(try await cloud.loadBalancers().map(\.loadBalancerName.rawValue))
    }

    func create(_ fields: FormFields, user: String) async throws -> (ServerGroupRecord, TaskRecord) {
        var labeled: [LabeledVariable: String] = [:]
        for variable in LabeledVariable.allCases {
            if let value = fields[variable.parameterName], !value.isEmpty { labeled[variable] = value }
        }
        let cluster: String
        do {
            cluster = try GroupNameBuilder(appName: (fields["appName"] ?? "").lowercased(), stack: fields["stack"], detail: fields["detail"],
                                           labeledVariables: labeled).build()
        } catch {
            throw ConsoleError(error)
        }
        // As in Asgard, a server group belongs to a registered application.
        let appName = try AppName(validating: fields["appName"] ?? "")
        guard try await applications.application(named: appName) != nil else {
            throw ConsoleError.invalid("appName", "'\(appName)' is not a registered application; register it first (asgard app create)")
        }
        guard let imageText = fields["imageId"], !imageText.isEmpty else { throw ConsoleError.invalid("imageId", "is required: the image to run") }
        guard ImageID.isWellFormed(imageText), try await cloud.image(ImageID(rawValue: imageText)) != nil else {
            throw ConsoleError.invalid("imageId", "'\(imageText)' is not a registered image; see /\(region)/image/list")
        }
        let existing = try await cloud.serverGroups().filter { Names(parsing: $0.autoScalingGroupName)?.cluster == cluster }
        let name = GroupNaming.nextGroupName(cluster: cluster, previousGroup: existing.last?.autoScalingGroupName)
        let base = ServerGroupRecord(autoScalingGroupName: name, imageId: ImageID(rawValue: imageText), minSize: 1, desiredCapacity: 1,
                                     maxSize: 1, healthCheckType: .ec2, healthCheckGracePeriod: 0, terminationPolicies: [.default],
                                     suspendedProcesses: [], loadBalancerNames: [], createdTime: now())
        var group = try ServerGroupRegistry.settings(fields, over: base, loadBalancers: try await loadBalancerNames(), region: region, maxCapacity: maxCapacity)
        if fields["maxSize"] == nil || fields["maxSize"] == "" { group.maxSize = max(group.maxSize, group.desiredCapacity) }
        if fields["minSize"] == nil || fields["minSize"] == "" { group.minSize = min(group.minSize, group.desiredCapacity) }
        group.securityGroups = try await securityGroups(fields.list("selectedSecurityGroups"))
        let time = now()
        let task = TaskDraft(operation: "Create server group \(name)", objectType: .serverGroup, objectId: name, user: user, region: region,
                             status: .succeeded,
                             log: [TaskLogLine(time: time, message: "Creating server group \(name) from image \(group.imageId): min \(group.minSize), desired \(group.desiredCapacity), max \(group.maxSize)"),
                                   TaskLogLine(time: time, message: "Created server group \(name); instances launch within a second")])
        let record = try await cloud.createServerGroup(group, task: task)
        return (group, record)
    }

    func update(_ fields: FormFields, user: String) async throws -> (ServerGroupRecord, TaskRecord) {
        guard let name = fields["name"], !name.isEmpty else { throw ConsoleError.invalid("name", "is required: the server group") }
        let existing = try await show(name)
        let group = try ServerGroupRegistry.settings(fields, over: existing, loadBalancers: try await loadBalancerNames(), region: region, maxCapacity: maxCapacity)
        // Taking the traffic off a group this way is a disable, with the same guard.
        let leavesBalancers = !existing.loadBalancerNames.isEmpty && group.loadBalancerNames.isEmpty
        if fields["force"] != "true", ClusterTraffic.isEnabled(existing), !ClusterTraffic.isEnabled(group) || leavesBalancers {
            let cluster = try await cloud.serverGroups().filter { $0.names?.cluster == existing.names?.cluster }
            if let problem = ClusterTraffic.guardProblem(disabling: existing, cluster: cluster) {
                throw ConsoleError(.conflict, problem.replacingOccurrences(of: "asgard cluster disable --force", with: "asgard asg update --force"))
            }
        }
        let time = now()
        var changes: [String] = []
        if (group.minSize, group.desiredCapacity, group.maxSize) != (existing.minSize, existing.desiredCapacity, existing.maxSize) {
            changes.append("size \(existing.minSize)/\(existing.desiredCapacity)/\(existing.maxSize) → \(group.minSize)/\(group.desiredCapacity)/\(group.maxSize) (min/desired/max)")
        }
        if group.suspendedProcesses != existing.suspendedProcesses {
            changes.append("suspended processes [\(group.suspendedProcesses.map(\.rawValue).joined(separator: ", "))]")
        }
        if group.terminationPolicies != existing.terminationPolicies {
            changes.append("termination policies [\(group.terminationPolicies.map(\.rawValue).joined(separator: ", "))]")
        }
        if group.healthCheckGracePeriod != existing.healthCheckGracePeriod { changes.append("grace period \(group.healthCheckGracePeriod) s") }
        if group.healthCheckType != existing.healthCheckType { changes.append("health check type \(group.healthCheckType.rawValue)") }
        if group.loadBalancerNames != existing.loadBalancerNames {
            changes.append("load balancers [\(group.loadBalancerNames.joined(separator: ", "))]")
        }
        let task = TaskDraft(operation: "Update server group \(name)", objectType: .serverGroup, objectId: name, user: user, region: region,
                             status: .succeeded,
                             log: [TaskLogLine(time: time, message: "Updating server group \(name): \(changes.isEmpty ? "nothing changed" : changes.joined(separator: "; "))")])
        let record = try await cloud.updateServerGroup(group, task: task)
        return (group, record)
    }

    /// Ends `instance` and lowers its group's desired capacity (and minimum, when needed) by one.
    func terminateAndShrink(_ instance: InstanceRecord, user: String) async throws -> TaskRecord {
        var group = try await show(instance.autoScalingGroupName)
        let before = (group.minSize, group.desiredCapacity, group.maxSize)
        group.desiredCapacity = max(0, group.desiredCapacity - 1)
        group.minSize = min(group.minSize, group.desiredCapacity)
        let name = group.autoScalingGroupName
        let task = TaskDraft(operation: "Update server group \(name)", objectType: .serverGroup, objectId: name, user: user, region: region,
                             status: .succeeded,
                             log: [TaskLogLine(time: now(), message: "Terminating \(instance.instanceId) and shrinking \(name): size \(before.0)/\(before.1)/\(before.2) → \(group.minSize)/\(group.desiredCapacity)/\(group.maxSize) (min/desired/max)")])
        return try await cloud.terminateAndShrink(instance, group: group, task: task)
    }

    func delete(_ name: String, force: Bool, user: String) async throws -> TaskRecord {
        _ = try await show(name)
        let instances = try await cloud.instances(of: name, includeTerminated: false)
        if !instances.isEmpty && !force {
            throw ConsoleError(.conflict, "Server group \(name) still has \(instances.count) instance\(instances.count == 1 ? "" : "s"); resize it to 0 first or add force=true")
        }
        return try await operations.delete(name, user: user)
    }

    /// Asgard's disable of a group; see `ClusterOperations.disable`.
    func deactivate(_ name: String, force: Bool, user: String) async throws -> (ServerGroupRecord, TaskRecord) {
        try await operations.disable(try await show(name), force: force, user: user)
    }

    /// Asgard's enable of a group; see `ClusterOperations.enable`.
    func activate(_ name: String, user: String) async throws -> (ServerGroupRecord, TaskRecord) {
        try await operations.enable(try await show(name), user: user)
    }
}
