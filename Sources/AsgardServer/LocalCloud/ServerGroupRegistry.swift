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
    let tasks: any TaskStore
    let now: @Sendable () -> Date

    /// The most instances one local group may have.
    static let maxCapacity = 50

    func show(_ name: String) async throws -> ServerGroupRecord {
        guard let group = try await cloud.serverGroup(named: name) else {
            throw ConsoleError.notFound("Server group '\(name)' not found; see /local/autoScaling/list")
        }
        return group
    }

    func json(_ group: ServerGroupRecord) async throws -> ServerGroupJSON {
        ServerGroupJSON(group, instances: try await cloud.instances(of: group.autoScalingGroupName, includeTerminated: false))
    }

    /// The sizes, grace period and policies in `fields`, over `base`.
    static func settings(_ fields: FormFields, over base: ServerGroupRecord, loadBalancers known: Set<String>) throws -> ServerGroupRecord {
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
                    problems.append(FieldError(field: "selectedLoadBalancers", message: "'\(text)' is not a load balancer; see /local/loadBalancer/list"))
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
            throw ConsoleError.invalid("imageId", "'\(imageText)' is not a registered image; see /local/image/list")
        }
        let existing = try await cloud.serverGroups().filter { Names(parsing: $0.autoScalingGroupName)?.cluster == cluster }
        let name = GroupNaming.nextGroupName(cluster: cluster, previousGroup: existing.last?.autoScalingGroupName)
        let base = ServerGroupRecord(autoScalingGroupName: name, imageId: ImageID(rawValue: imageText), minSize: 1, desiredCapacity: 1,
                                     maxSize: 1, healthCheckType: .ec2, healthCheckGracePeriod: 0, terminationPolicies: [.default],
                                     suspendedProcesses: [], loadBalancerNames: [], createdTime: now())
        var group = try ServerGroupRegistry.settings(fields, over: base, loadBalancers: try await loadBalancerNames())
        if fields["maxSize"] == nil || fields["maxSize"] == "" { group.maxSize = max(group.maxSize, group.desiredCapacity) }
        if fields["minSize"] == nil || fields["minSize"] == "" { group.minSize = min(group.minSize, group.desiredCapacity) }
        let time = now()
        let task = TaskDraft(operation: "Create server group \(name)", objectType: .serverGroup, objectId: name, user: user, region: "local",
                             status: .succeeded,
                             log: [TaskLogLine(time: time, message: "Creating server group \(name) from image \(group.imageId): min \(group.minSize), desired \(group.desiredCapacity), max \(group.maxSize)"),
                                   TaskLogLine(time: time, message: "Created server group \(name); instances launch within a second")])
        let record = try await cloud.createServerGroup(group, task: task)
        return (group, record)
    }

    func update(_ fields: FormFields, user: String) async throws -> (ServerGroupRecord, TaskRecord) {
        guard let name = fields["name"], !name.isEmpty else { throw ConsoleError.invalid("name", "is required: the server group") }
        let existing = try await show(name)
        let group = try ServerGroupRegistry.settings(fields, over: existing, loadBalancers: try await loadBalancerNames())
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
        let task = TaskDraft(operation: "Update server group \(name)", objectType: .serverGroup, objectId: name, user: user, region: "local",
                             status: .succeeded,
                             log: [TaskLogLine(time: time, message: "Updating server group \(name): \(changes.isEmpty ? "nothing changed" : changes.joined(separator: "; "))")])
        let record = try await cloud.updateServerGroup(group, task: task)
        return (group, record)
    }

    func delete(_ name: String, force: Bool, user: String) async throws -> TaskRecord {
        var group = try await show(name)
        let instances = try await cloud.instances(of: name, includeTerminated: false)
        if !instances.isEmpty && !force {
            throw ConsoleError(.conflict, "Server group \(name) still has \(instances.count) instance\(instances.count == 1 ? "" : "s"); resize it to 0 first or add force=true")
        }
        let time = now()
        if !instances.isEmpty {
            group.minSize = 0
            group.desiredCapacity = 0
            _ = try await cloud.updateServerGroup(group, task: TaskDraft(
                operation: "Delete server group \(name)", objectType: .serverGroup, objectId: name, user: user, region: "local",
                status: .running, log: [TaskLogLine(time: time, message: "Terminating \(instances.count) instances before deleting \(name)")]))
            for instance in instances {
                try await cloud.terminateInstance(instance, reason: "its server group \(name) is being deleted")
            }
        }
        let task = TaskDraft(operation: "Delete server group \(name)", objectType: .serverGroup, objectId: name, user: user, region: "local",
                             status: .succeeded, log: [TaskLogLine(time: now(), message: "Deleted server group \(name)")])
        return try await cloud.deleteServerGroup(named: name, task: task)
    }

    /// Asgard's disable: suspends Launch, Terminate and AddToLoadBalancer, which takes the group out
    /// of its load balancers, and waits until its requests in flight finish. Refused for the last
    /// enabled group of its cluster (the traffic guard) unless `force`.
    func deactivate(_ name: String, force: Bool, user: String) async throws -> (ServerGroupRecord, TaskRecord) {
        var group = try await show(name)
        let cluster = try await cloud.serverGroups().filter { $0.names?.cluster == group.names?.cluster }
        if !force, let problem = ClusterTraffic.guardProblem(disabling: group, cluster: cluster) {
            throw ConsoleError(.conflict, problem)
        }
        let added = ClusterTraffic.disableProcesses.filter { !group.isSuspended($0) }
        group.suspendedProcesses += added
        return try await changeTraffic(group, operation: "Disable traffic to \(name)", user: user,
                                       first: "Suspending \(added.isEmpty ? "nothing (all were suspended)" : added.map(\.rawValue).joined(separator: ", "))"
                                           + (force ? "; forced past the traffic guard" : "")) { instances, elapsed in
            group.loadBalancerNames.isEmpty ? "\(name) has no load balancer; nothing to deregister"
                : "Deregistered \(instances) instance\(instances == 1 ? "" : "s") from \(group.loadBalancerNames.joined(separator: ", ")); requests in flight finished after \(elapsed) ms"
        }
    }

    /// Asgard's enable: resumes Launch, Terminate and AddToLoadBalancer, which puts the group back
    /// into its load balancers.
    func activate(_ name: String, user: String) async throws -> (ServerGroupRecord, TaskRecord) {
        var group = try await show(name)
        let resumed = group.suspendedProcesses.filter { ClusterTraffic.disableProcesses.contains($0) }
        group.suspendedProcesses.removeAll { ClusterTraffic.disableProcesses.contains($0) }
        return try await changeTraffic(group, operation: "Enable traffic to \(name)", user: user,
                                       first: "Resuming \(resumed.isEmpty ? "nothing (none was suspended)" : resumed.map(\.rawValue).joined(separator: ", "))") { instances, _ in
            group.loadBalancerNames.isEmpty ? "\(name) has no load balancer; nothing to register"
                : "Registered \(instances) instance\(instances == 1 ? "" : "s") with \(group.loadBalancerNames.joined(separator: ", ")); each takes requests once it passes the health check"
        }
    }

    /// Saves `group` with a running task, brings its load balancers in line, logs how that went
    /// and marks the task succeeded.
    private func changeTraffic(_ group: ServerGroupRecord, operation: String, user: String, first: String,
                               done: (Int, Int) -> String) async throws -> (ServerGroupRecord, TaskRecord) {
        let started = ContinuousClock.now
        let task = try await cloud.updateServerGroup(group, task: TaskDraft(
            operation: operation, objectType: .serverGroup, objectId: group.autoScalingGroupName, user: user, region: "local",
            status: .running, log: [TaskLogLine(time: now(), message: first)]))
        try await cloud.syncLoadBalancers(of: group)
        let instances = try await cloud.instances(of: group.autoScalingGroupName, includeTerminated: false).count
        let elapsed = ContinuousClock.now - started
        let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        try await tasks.appendLog(to: task.id, TaskLogLine(time: now(), message: done(instances, milliseconds)))
        try await tasks.updateTask(task.id, status: .succeeded, checkpoint: nil, at: now())
        return (group, try await tasks.task(task.id) ?? task)
    }
}
