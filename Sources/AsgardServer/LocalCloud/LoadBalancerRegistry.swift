import AsgardCloud
import AsgardAPI
import AsgardCore
import AsgardStore
import Foundation
import LocalCloud

/// Creates, changes and deletes local load balancers; the reconciler runs their processes.
struct LoadBalancerRegistry: Sendable {
    let cloud: any CloudProvider
    let region: String
    let applications: any ApplicationStore
    /// The console's own port, which no load balancer may take.
    let consolePort: Int
    let now: @Sendable () -> Date

    func show(_ text: String) async throws -> LoadBalancerRecord {
        guard let name = try? LoadBalancerName(validating: text), let record = try await cloud.loadBalancer(named: name) else {
            throw ConsoleError.notFound("Load balancer '\(text)' not found; see /\(region)/loadBalancer/list")
        }
        return record
    }

    func json(_ record: LoadBalancerRecord) async throws -> LoadBalancerJSON {
        let groups = try await cloud.serverGroups().filter { $0.loadBalancerNames.contains(record.loadBalancerName.rawValue) }
        let state = await cloud.loadBalancerState(named: record.loadBalancerName)
        var traffic = state.traffic
        // An application load balancer's requests are CloudWatch's, counted since the console started.
        if record.type == .application, var shown = traffic {
            let counted = await cloud.groupTraffic(on: record.loadBalancerName)
            for index in shown.groups.indices {
                guard let figures = counted.first(where: { $0.name == shown.groups[index].name }) else { continue }
                shown.groups[index].requests = figures.requests
                shown.groups[index].latency = figures.latency
            }
            traffic = shown
        }
        return LoadBalancerJSON(record, serverGroups: groups.map(\.autoScalingGroupName), status: state.status, traffic: traffic)
    }

    /// The settings in `fields`, over `base`.
    func settings(_ fields: FormFields, over base: LoadBalancerRecord, creating: Bool) async throws -> LoadBalancerRecord {
        var record = base
        var problems: [FieldError] = []
        func number(_ key: String, _ current: Int, range: ClosedRange<Int>) -> Int {
            fields.wholeNumber(key, current, in: range, problems: &problems)
        }
        if creating, (fields["listenerPort"] ?? "").isEmpty {
            problems.append(FieldError(field: "listenerPort", message: record.type == .proxy ? "is required: the port on 127.0.0.1 to serve on, e.g. 7001"
                                           : "is required: the port it listens on, e.g. 80"))
        }
        if let text = fields["type"], !text.isEmpty, text != record.type.rawValue {
            problems.append(FieldError(field: "type", message: creating
                ? "'\(text)' is not a load balancer type of region \(region); choose \(cloud.loadBalancerTypes.map(\.rawValue).joined(separator: " or "))"
                : "a load balancer keeps its type (\(record.type.rawValue)); create a new one of type \(text) instead"))
        }
        record.listenerPort = number("listenerPort", record.listenerPort, range: 1...65535)
        // Only a local load balancer listens on this machine.
        if record.type == .proxy, record.listenerPort != base.listenerPort || creating, problems.isEmpty {
            if record.listenerPort == consolePort {
                problems.append(FieldError(field: "listenerPort", message: "\(record.listenerPort) is the console's own port; choose another"))
            } else if PortProbe.isOpen(record.listenerPort) {
                problems.append(FieldError(field: "listenerPort", message: "\(record.listenerPort) is in use on 127.0.0.1; choose a free port"))
            }
        }
        var check = record.healthCheck
        if let target = fields["target"], !target.isEmpty { check.target = target }
        check.interval = number("interval", check.interval, range: HealthCheckSettings.intervalRange)
        check.timeout = number("timeout", check.timeout, range: HealthCheckSettings.timeoutRange)
        check.healthyThreshold = number("healthyThreshold", check.healthyThreshold, range: HealthCheckSettings.thresholdRange)
        check.unhealthyThreshold = number("unhealthyThreshold", check.unhealthyThreshold, range: HealthCheckSettings.thresholdRange)
        problems += check.problems
        record.healthCheck = check
        if let text = fields["algorithm"], !text.isEmpty {
            if let algorithm = BalancingAlgorithm(rawValue: text) {
                record.algorithm = algorithm
            } else {
                problems.append(FieldError(field: "algorithm", message: "'\(text)' is not round_robin or least_outstanding_requests"))
            }
        }
        record.drainingTimeout = number("drainingTimeout", record.drainingTimeout, range: InputLimits.drainingTimeoutSeconds)
        if fields["idleTimeoutSeconds"]?.isEmpty == false, record.type != .proxy {
            problems.append(FieldError(field: "idleTimeoutSeconds", message: "is set on the console's own load balancers only; AWS keeps its \(LoadBalancerRecord.defaultIdleTimeout) s"))
        }
        record.idleTimeoutSeconds = number("idleTimeoutSeconds", record.idleTimeoutSeconds, range: InputLimits.idleTimeoutSeconds)
        if fields.has("trafficWeights") {
            do {
                record.trafficWeights = try await weights(fields.list("trafficWeights"))
            } catch let error as FieldError {
                problems.append(error)
            } catch let error as ConsoleError {
                problems += error.fieldErrors
            }
        }
        guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
        return record
    }

    /// `group=weight` entries as a map; an empty list clears the weights.
    private func weights(_ entries: [String]) async throws -> [String: Int] {
        var weights: [String: Int] = [:]
        let records = Dictionary(try await cloud.serverGroups().map { ($0.autoScalingGroupName, $0) }, uniquingKeysWith: { first, _ in first })
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let weight = Int(parts[1]), InputLimits.trafficWeight.contains(weight) else {
                throw FieldError(field: "trafficWeights", message: "'\(entry)' must be serverGroup=weight with a weight from 0 to 1000, e.g. shop-v001=95")
            }
            guard let group = records[parts[0]] else {
                throw FieldError(field: "trafficWeights", message: "'\(parts[0])' is not a server group; see /\(region)/autoScaling/list")
            }
            // A disabled group is out of its load balancers: a share given to it would reach nobody.
            if weight > 0, !group.loadBalancerNames.isEmpty, !ClusterTraffic.isEnabled(group) {
                throw FieldError(field: "trafficWeights", message: "'\(parts[0])' is disabled, so no request can reach it; enable it first "
                                 + "(asgard cluster enable \(parts[0])) or give it 0")
            }
            weights[parts[0]] = weight
        }
        if !weights.isEmpty, weights.values.reduce(0, +) == 0 {
            throw FieldError(field: "trafficWeights", message: "at least one weight must be above 0; to remove the weights send an empty list (asgard lb update NAME --no-weights)")
        }
        return weights
    }

    func create(_ fields: FormFields, user: String) async throws -> (LoadBalancerRecord, TaskRecord) {
        let name: LoadBalancerName
        do {
            name = try LoadBalancerName(validating: fields["name"] ?? "")
        } catch let error as FieldError {
            throw ConsoleError(ValidationFailure([error]))
        }
        guard let app = try? AppName(validating: name.appName), try await applications.application(named: app) != nil else {
            throw ConsoleError.invalid("name", "'\(name.appName)' (the part before the first hyphen) is not a registered application; register it first (asgard app create)")
        }
        if try await cloud.loadBalancer(named: name) != nil {
            throw ConsoleError(.conflict, "Load balancer '\(name)' exists already; choose another name or update it")
        }
        let time = now()
        let text = fields["type"] ?? ""
        let type = text.isEmpty ? cloud.loadBalancerTypes[0] : LoadBalancerType(rawValue: text).flatMap { cloud.loadBalancerTypes.contains($0) ? $0 : nil }
        let record = try await settings(fields, over: LoadBalancerRecord(loadBalancerName: name, listenerPort: 0, createdTime: time, type: type ?? cloud.loadBalancerTypes[0]),
                                        creating: true)
        let check = record.healthCheck
        let kind = record.type == .proxy ? "" : " (\(record.type.rawValue))"
        let task = TaskDraft(operation: "Create load balancer \(name)", objectType: .loadBalancer, objectId: name.rawValue, user: user,
                             region: region, status: .succeeded,
                             log: [TaskLogLine(time: time, message: "Creating load balancer \(name)\(kind) on port \(record.listenerPort), \(record.algorithm.rawValue), health check GET \(check.target) every \(check.interval) s"),
                                   TaskLogLine(time: time, message: "Created load balancer \(name)" + (record.type == .proxy ? "; it serves within a second" : ""))])
        let recorded = try await cloud.createLoadBalancer(record, task: task)
        // As the cloud made it: AWS gives it a DNS name.
        return (try await cloud.loadBalancer(named: name) ?? record, recorded)
    }

    func update(_ fields: FormFields, user: String) async throws -> (LoadBalancerRecord, TaskRecord) {
        let existing = try await show(fields["name"] ?? "")
        let record = try await settings(fields, over: existing, creating: false)
        var changes: [String] = []
        if record.listenerPort != existing.listenerPort { changes.append("listener port \(existing.listenerPort) → \(record.listenerPort)") }
        if record.healthCheck != existing.healthCheck {
            let c = record.healthCheck
            changes.append("health check GET \(c.target) every \(c.interval) s, timeout \(c.timeout) s, healthy after \(c.healthyThreshold), unhealthy after \(c.unhealthyThreshold)")
        }
        if record.algorithm != existing.algorithm { changes.append("algorithm \(record.algorithm.rawValue)") }
        if record.drainingTimeout != existing.drainingTimeout { changes.append("draining timeout \(record.drainingTimeout) s") }
        if record.idleTimeoutSeconds != existing.idleTimeoutSeconds { changes.append("idle timeout \(record.idleTimeoutSeconds) s") }
        if record.trafficWeights != existing.trafficWeights {
            changes.append(record.trafficWeights.isEmpty ? "no traffic weights"
                : "traffic weights " + record.trafficWeights.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
        }
        let time = now()
        let task = TaskDraft(operation: "Update load balancer \(record.loadBalancerName)", objectType: .loadBalancer,
                             objectId: record.loadBalancerName.rawValue, user: user, region: region, status: .succeeded,
                             log: [TaskLogLine(time: time, message: "Updating load balancer \(record.loadBalancerName): \(changes.isEmpty ? "nothing changed" : changes.joined(separator: "; "))")])
        return (record, try await cloud.updateLoadBalancer(record, previous: existing, task: task))
    }

    func delete(_ text: String, user: String) async throws -> TaskRecord {
        let record = try await show(text)
        let users = try await cloud.serverGroups().filter { $0.loadBalancerNames.contains(record.loadBalancerName.rawValue) }
        guard users.isEmpty else {
            throw ConsoleError(.conflict, "Load balancer \(record.loadBalancerName) is used by server group\(users.count == 1 ? "" : "s") \(users.map(\.autoScalingGroupName).joined(separator: ", ")); remove it from them (or delete them) first")
        }
        let time = now()
        let task = TaskDraft(operation: "Delete load balancer \(record.loadBalancerName)", objectType: .loadBalancer,
                             objectId: record.loadBalancerName.rawValue, user: user, region: region, status: .succeeded,
                             log: [TaskLogLine(time: time, message: "Stopping load balancer \(record.loadBalancerName) on port \(record.listenerPort)"),
                                   TaskLogLine(time: time, message: "Deleted load balancer \(record.loadBalancerName)")])
        return try await cloud.deleteLoadBalancer(named: record.loadBalancerName, task: task)
    }
}
