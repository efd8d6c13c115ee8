import AsgardAPI
import AsgardCloud
import AsgardCore
import AsgardEngine
import AsgardStore
import Foundation
import HTTPTypes
import Hummingbird

extension Console {
    /// `/{region}/autoScaling/…`, `/{region}/instance/…` and `/{region}/cluster/…` of the local cloud.
    func addServerGroupRoutes(to table: RouteTable) {
        let regionParameter = EndpointDoc.Parameter.path("region", "A region, e.g. local or us-east-1")

        table.page("/{region}/autoScaling/list", doc: EndpointDoc(
            summary: "List server groups; X-Total-Count gives how many match", tag: "Server group", parameters: [regionParameter] + ListAnswers.parameters,
            answers: [.ok("[ServerGroup]"), .badRequest, .unauthorized, .notFound]
        )) { input in
            let region = try regionName(input)
            let query = try ListAnswers.query(input)
            if input.wantsJSON {
                return try await encodedLists.answer(input, key: "\(region) groups", generation: groups.cloud.cacheStatus?.generation) {
                    let (shown, total) = query.apply(withServedShares(try await serverGroupViews(query)), facts: ListAnswers.facts)
                    return (try APIJSON.encoder().encode(shown), total)
                }
            }
            let (shown, total) = query.apply(withServedShares(try await serverGroupViews(query)), facts: ListAnswers.facts)
            return page(input, title: "Server groups", section: .cluster, region: region,
                        body: ListAnswers.pager("/\(region)/autoScaling/list", query, shown: shown.count, total: total, noun: "server group")
                            + LocalCloudPages.groupList(shown, region: region))
        }

        table.page("/{region}/autoScaling/show/{name}", doc: EndpointDoc(
            summary: "Show a server group with its instances", tag: "Server group",
            parameters: [regionParameter, .path("name", "The server group, e.g. shop-prod-v001")],
            answers: [.ok("ServerGroup"), .unauthorized, .notFound]
        )) { input in
            let region = try regionName(input)
            let shown = try await groups.show(input.path("name"))
            let cluster = try await cluster(named: shown.names?.cluster ?? shown.autoScalingGroupName)
            guard let group = cluster?.autoScalingGroups.first(where: { $0.autoScalingGroupName == shown.autoScalingGroupName }) else {
                throw ConsoleError.notFound("Server group '\(shown.autoScalingGroupName)' not found; see /\(region)/autoScaling/list")
            }
            if input.wantsJSON { return try Responses.json(group) }
            let name = group.autoScalingGroupName
            // The console runs a local group's scaling itself; AWS runs an AWS group's, from the
            // definitions the console writes there.
            let definitions = scalingDefinitions
            let scalingSection = ScalingPages.groupSection(
                group: name, policies: checkedDefinitions(.policy, try await definitions.scalingObjects(.policy, group: name)),
                alarms: checkedDefinitions(.alarm, try await definitions.scalingObjects(.alarm, group: name)),
                schedules: checkedDefinitions(.scheduledAction, try await definitions.scalingObjects(.scheduledAction, group: name)),
                activities: current.isLocal ? try await scalingStore.activities(of: name, limit: 20) : nil,
                datapoints: current.isLocal ? scaling.datapoints(of: name) : [], csrf: Console.csrfField(input), region: region)
            return page(input, title: group.autoScalingGroupName, section: .cluster, region: region,
                        body: LocalCloudPages.groupShow(group, scaling: scalingSection, region: region, csrf: Console.csrfField(input)))
        }

        table.htmlOnly("/{region}/autoScaling/create") { input in
            let region = try regionName(input)
            let images = try await images.cloud.images()
            return page(input, title: "Create server group", section: .cluster, region: region,
                        body: LocalCloudPages.groupForm(region: region, images: images, loadBalancers: try await loadBalancerNames(),
                                                            securityGroups: try await securityGroups?.cloud.securityGroups().map(\.groupName), values: input.fields, errors: [], csrf: Console.csrfField(input)))
        }

        let sizeFields: [EndpointDoc.Parameter] = [
            .field("minSize", "Fewest instances", type: "integer"), .field("desiredCapacity", "Instances to run", type: "integer"),
            .field("maxSize", "Most instances", type: "integer"),
            .field("healthCheckType", "EC2 (the process runs) or ELB (its load balancers' checks pass, after the grace period)"),
            .field("healthCheckGracePeriod", "Seconds after launch before failed checks count", type: "integer"),
            .field("terminationPolicies", "OldestInstance, NewestInstance, OldestLaunchConfiguration or Default", type: "array"),
        ]
        table.post("/{region}/autoScaling/save", doc: EndpointDoc(
            summary: "Create a server group; its name is the cluster's next push version", tag: "Server group",
            parameters: [regionParameter, .field("appName", "The application", required: true), .field("stack", "The stack"),
                         .field("detail", "The detail"), .field("imageId", "The image to run", required: true)]
                + LabeledVariable.allCases.map { .field($0.parameterName, "Labeled variable \($0.key)0…") } + sizeFields
                + [.field("selectedLoadBalancers", "The load balancers that send it requests", type: "array"),
                   .field("selectedSecurityGroups", "AWS: the security groups its instances launch into; the cluster's next groups inherit them", type: "array")],
            answers: [EndpointDoc.Answer(status: 201, description: "Created; X-Task-Id names the task", schema: "ServerGroup"),
                      .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            let region = try regionName(input)
            let app = (input.fields["appName"] ?? "").lowercased()
            input.audit.object("serverGroup", app, application: app)
            try input.require(.read)
            if let appName = try? AppName(validating: app) { try input.require(.deployApplication(appName)) }
            try await authorizeReferences(input, loadBalancers: input.fields.list("selectedLoadBalancers"),
                                          securityGroups: input.fields.list("selectedSecurityGroups"), imageId: input.fields["imageId"])
            do {
                let (group, task) = try await groups.create(input.fields, user: input.userName)
                input.audit.object("serverGroup", group.autoScalingGroupName, application: app)
                input.audit.task(task.id.rawValue)
                let path = "/\(region)/autoScaling/show/\(group.autoScalingGroupName)"
                if input.wantsJSON {
                    return try Responses.json(try await groups.json(group), status: .created, headers: taskHeaders(task.id, location: path + ".json"))
                }
                return Responses.seeOther(path)
            } catch let error as ConsoleError where !input.wantsJSON && error.code == .invalidRequest {
                input.audit.refused(error.message)
                return page(input, title: "Create server group", section: .cluster, region: region,
                            body: LocalCloudPages.groupForm(region: region, images: try await images.cloud.images(),
                                                            loadBalancers: try await loadBalancerNames(),
                                                            securityGroups: try await securityGroups?.cloud.securityGroups().map(\.groupName), values: input.fields,
                                                            errors: error.fieldErrors, csrf: Console.csrfField(input)),
                            status: .badRequest)
            }
        }

        table.post("/{region}/autoScaling/update", doc: EndpointDoc(
            summary: "Resize a server group or change its health check, policies and suspended processes", tag: "Server group",
            parameters: [regionParameter, .field("name", "The server group", required: true)] + sizeFields
                + [.field("selectedLoadBalancers", "The load balancers that send it requests; an empty value removes them all", type: "array"),
                   .field("suspendedProcesses", "The processes to suspend, all others resume: Launch, Terminate, HealthCheck, ReplaceUnhealthy, AddToLoadBalancer", type: "array"),
                   .field("force", "true to take the traffic off the cluster's last enabled group (AddToLoadBalancer suspended, or no load balancer left)", type: "boolean")],
            answers: [.ok("ServerGroup"), .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            let region = try regionName(input)
            try await authorizeGroupChange(input, field: "name")
            try await authorizeReferences(input, loadBalancers: input.fields.list("selectedLoadBalancers"))
            let (group, task) = try await groups.update(input.fields, user: input.userName)
            input.audit.task(task.id.rawValue)
            if input.wantsJSON { return try Responses.json(try await groups.json(group), headers: taskHeaders(task.id, location: nil)) }
            return Responses.seeOther("/\(region)/autoScaling/show/\(group.autoScalingGroupName)")
        }

        table.post("/{region}/autoScaling/delete", doc: EndpointDoc(
            summary: "Delete a server group; refused while it has instances unless force=true", tag: "Server group",
            parameters: [regionParameter, .field("name", "The server group", required: true),
                         .field("force", "true to terminate its instances first", type: "boolean")],
            answers: [.ok("Deleted"), .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            let region = try regionName(input)
            let name = try await authorizeGroupChange(input, field: "name")
            try input.requireConfirmation(of: name, "server group")
            let task = try await groups.delete(name, force: input.fields["force"] == "true" || !input.wantsJSON, user: input.userName)
            input.audit.task(task.id.rawValue)
            if input.wantsJSON { return try Responses.json(DeletedJSON(name: name, taskId: task.id.rawValue), headers: taskHeaders(task.id, location: nil)) }
            return Responses.seeOther("/\(region)/autoScaling/list")
        }

        table.page("/{region}/instance/list", doc: EndpointDoc(
            summary: "List instances; X-Total-Count gives how many match", tag: "Instance",
            parameters: [regionParameter, .query("includeTerminated", "true to list terminated instances too, oldest first", type: "boolean")] + ListAnswers.parameters,
            answers: [.ok("[Instance]"), .badRequest, .unauthorized, .notFound]
        )) { input in
            let region = try regionName(input)
            let query = try ListAnswers.query(input)
            let instances = { @Sendable in
                let all = try await groups.cloud.instances(of: nil, includeTerminated: input.fields["includeTerminated"] == "true")
                let balancers = query.loadBalancer == nil ? [:] : try await groupLoadBalancers()
                return query.apply(all) { ListAnswers.facts($0, loadBalancers: balancers) }
            }
            if input.wantsJSON {
                return try await encodedLists.answer(input, key: "\(region) instances", generation: groups.cloud.cacheStatus?.generation) {
                    let (shown, total) = try await instances()
                    return (try APIJSON.encoder().encode(shown), total)
                }
            }
            let (shown, total) = try await instances()
            return page(input, title: "Instances", section: .instance, region: region,
                        body: ListAnswers.pager("/\(region)/instance/list", query, shown: shown.count, total: total, noun: "instance")
                            + LocalCloudPages.instanceList(shown, region: region))
        }

        table.page("/{region}/instance/list/{app}", doc: EndpointDoc(
            summary: "List an application's instances", tag: "Instance",
            parameters: [regionParameter, .path("app", "The application")], answers: [.ok("[Instance]"), .unauthorized, .notFound]
        )) { input in
            let region = try regionName(input)
            let app = input.path("app").lowercased()
            let all = try await groups.cloud.instances(of: nil, includeTerminated: false)
                .filter { Names(parsing: $0.autoScalingGroupName)?.app == app }
            if input.wantsJSON { return try Responses.json(all) }
            return page(input, title: "Instances of \(app)", section: .instance, region: region, body: LocalCloudPages.instanceList(all, region: region))
        }

        table.page("/{region}/instance/show/{instanceId}", doc: EndpointDoc(
            summary: "Show an instance", tag: "Instance",
            parameters: [regionParameter, .path("instanceId", "The instance, e.g. i-0123456789abcdef0")],
            answers: [.ok("Instance"), .unauthorized, .notFound]
        )) { input in
            let region = try regionName(input)
            let instance = try await instance(input.path("instanceId"))
            if input.wantsJSON { return try Responses.json(instance) }
            // Its health as its group's load balancers see it, when its group still exists.
            var health: InstanceHealthView?
            if let group = try await groups.cloud.serverGroup(named: instance.autoScalingGroupName) {
                health = try await groups.json(group).instanceHealth?.first { $0.instanceId == instance.instanceId }
            }
            return page(input, title: instance.instanceId.rawValue, section: .instance, region: region,
                        body: LocalCloudPages.instanceShow(instance, health: health, console: try await groups.cloud.consoleOutput(instance.instanceId),
                                                           region: region, csrf: Console.csrfField(input)))
        }

        table.get("/{region}/instance/consoleOutput/{instanceId}", doc: EndpointDoc(
            summary: "The last 64 KiB of an instance's standard output and error", tag: "Instance",
            parameters: [regionParameter, .path("instanceId", "The instance")],
            answers: [EndpointDoc.Answer(status: 200, description: "The console output", schema: nil, plainText: true), .unauthorized, .notFound]
        )) { input in
            _ = try regionName(input)
            let instance = try await instance(input.path("instanceId"))
            return Responses.text(try await groups.cloud.consoleOutput(instance.instanceId))
        }

        table.post("/{region}/instance/terminate", doc: EndpointDoc(
            summary: "Terminate an instance; its group replaces it unless shrink=true lowers the desired capacity", tag: "Instance",
            parameters: [regionParameter, .field("instanceId", "The instance", required: true),
                         .field("shrink", "true to also lower the desired capacity by one", type: "boolean")],
            answers: [.ok("Instance"), .badRequest, .unauthorized, .forbidden, .notFound]
        )) { input in
            let region = try regionName(input)
            let record = try await authorizeInstance(input)
            try input.requireConfirmation(of: record.instanceId.rawValue, "instance", action: "termination")
            if input.fields["shrink"] == "true" {
                try await requireIdle(cluster: Names(parsing: record.autoScalingGroupName)?.cluster ?? record.autoScalingGroupName)
                input.audit.task(try await groups.terminateAndShrink(record, user: input.userName).id.rawValue)
            } else {
                try await groups.cloud.terminateInstance(record, reason: "terminated by \(input.userName)")
            }
            let ended = try await groups.cloud.instance(record.instanceId) ?? record
            if input.wantsJSON { return try Responses.json(ended) }
            return Responses.seeOther("/\(region)/autoScaling/show/\(record.autoScalingGroupName)")
        }

        table.post("/{region}/instance/setProtection", doc: EndpointDoc(
            summary: "Protect instances of one group from scale-in (AWS's SetInstanceProtection): a group that shrinks ends others", tag: "Instance",
            parameters: [regionParameter, .field("instanceIds", "The instances, of one group", required: true, type: "array"),
                         .field("protectedFromScaleIn", "true (default) or false", type: "boolean")],
            answers: [.ok("[Instance]"), .badRequest, .unauthorized, .forbidden, .notFound]
        )) { input in
            let region = try regionName(input)
            let ids = input.fields.list("instanceIds").flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
            guard !ids.isEmpty else { throw ConsoleError.invalid("instanceIds", "is required: one or more instances of one group") }
            let flag = input.fields["protectedFromScaleIn"].flatMap { $0.isEmpty ? nil : $0 } ?? "true"
            guard flag == "true" || flag == "false" else {
                throw ConsoleError.invalid("protectedFromScaleIn", "must be true or false")
            }
            try input.require(.read)
            var records: [InstanceRecord] = []
            for id in ids { records.append(try await instance(id)) }
            let groupNames = Set(records.map(\.autoScalingGroupName))
            guard groupNames.count == 1, let groupName = groupNames.first else {
                throw ConsoleError.invalid("instanceIds", "must all be of one group; these are of \(groupNames.sorted().joined(separator: ", "))")
            }
            let app = Names(parsing: groupName)?.app ?? groupName
            input.audit.object("serverGroup", groupName, application: app)
            try input.require(.deployApplication(AppName(rawValue: app)))
            let protect = flag == "true"
            let task = try await groups.cloud.setInstanceProtection(records.map(\.instanceId), protected: protect, task: TaskDraft(
                operation: "\(protect ? "Protect" : "Unprotect") instances of \(groupName)", objectType: .serverGroup, objectId: groupName,
                user: input.userName, region: "local", status: .succeeded,
                log: [TaskLogLine(time: now(), message: "\(protect ? "Protected from" : "No longer protected from") scale-in: \(ids.joined(separator: ", "))")]))
            input.audit.task(task.id.rawValue)
            var updated: [InstanceRecord] = []
            for id in records.map(\.instanceId) { if let record = try await groups.cloud.instance(id) { updated.append(record) } }
            if input.wantsJSON { return try Responses.json(updated, headers: taskHeaders(task.id, location: nil)) }
            return Responses.seeOther("/\(region)/autoScaling/show/\(groupName)")
        }

        table.post("/{region}/instance/reboot", doc: EndpointDoc(
            summary: "Restart an instance's process with the same id and port", tag: "Instance",
            parameters: [regionParameter, .field("instanceId", "The instance", required: true)],
            answers: [.ok("Instance"), .badRequest, .unauthorized, .forbidden, .notFound]
        )) { input in
            let region = try regionName(input)
            let record = try await authorizeInstance(input)
            try await groups.cloud.rebootInstance(record)
            let rebooted = try await groups.cloud.instance(record.instanceId) ?? record
            if input.wantsJSON { return try Responses.json(rebooted) }
            return Responses.seeOther("/\(region)/instance/show/\(record.instanceId)")
        }

        table.page("/{region}/cluster/list", doc: EndpointDoc(
            summary: "List clusters and their server groups; X-Total-Count gives how many match", tag: "Cluster",
            parameters: [regionParameter] + ListAnswers.parameters, answers: [.ok("[Cluster]"), .badRequest, .unauthorized, .notFound]
        )) { input in
            let region = try regionName(input)
            let query = try ListAnswers.query(input)
            if input.wantsJSON {
                return try await encodedLists.answer(input, key: "\(region) clusters", generation: groups.cloud.cacheStatus?.generation) {
                    let (shown, total) = query.apply(try await clusterList(app: query.app), facts: ListAnswers.facts)
                    return (try APIJSON.encoder().encode(shown), total)
                }
            }
            let (shown, total) = query.apply(try await clusterList(app: query.app), facts: ListAnswers.facts)
            return page(input, title: "Clusters", section: .cluster, region: region,
                        body: ListAnswers.pager("/\(region)/cluster/list", query, shown: shown.count, total: total, noun: "cluster")
                            + LocalCloudPages.clusterList(shown, region: region))
        }

        table.page("/{region}/cluster/show/{cluster}", doc: EndpointDoc(
            summary: "Show a cluster: every server group with sizes, image and instances", tag: "Cluster",
            parameters: [regionParameter, .path("cluster", "The cluster, e.g. shop-prod")], answers: [.ok("Cluster"), .unauthorized, .notFound]
        )) { input in
            let region = try regionName(input)
            let name = input.path("cluster")
            guard let cluster = try await cluster(named: name) else {
                throw ConsoleError.notFound("Cluster '\(name)' not found; see /\(region)/cluster/list")
            }
            if input.wantsJSON { return try Responses.json(cluster) }
            return try await clusterPage(input, cluster, region: region)
        }
    }

    /// A cluster's page; `deploy` is a deploy form sent back with what was wrong in it, shown
    /// with the values kept and each error next to its field.
    func clusterPage(_ input: RouteInput, _ cluster: ClusterJSON, region: String,
                     deploy: (values: FormFields, errors: [FieldError])? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        var context = LocalCloudPages.ClusterContext()
        context.deployForm = deploy
        context.busy = try await unfinishedDeployments(cluster: cluster.cluster, region: region).first
        context.images = Dictionary(try await images.cloud.images().map { ($0.imageId, $0) }, uniquingKeysWith: { first, _ in first })
        var ofRegion = DeploymentPages.Filter()
        ofRegion.region = region
        // Newest first: the first deployment seen of an image is its last.
        // A group is tagged by the newest deployment that created it (a name can come back).
        var seen: Set<ImageID> = []
        var seenGroups: Set<String> = []
        for deployment in try await deployments(ofRegion, cluster: cluster.cluster) {
            let failed = [.failed, .rolledBack].contains(deployment.status)
            if seen.insert(deployment.imageId).inserted, failed { context.failedImages[deployment.imageId] = deployment.id }
            if let group = deployment.newGroup, seenGroups.insert(group).inserted, failed { context.failedGroups[group] = deployment }
        }
        let records = try await groups.cloud.serverGroups().filter { $0.names?.cluster == cluster.cluster }
        context.rollback = ClusterTraffic.rollbackTarget(in: records).map { ($0.current.autoScalingGroupName, $0.previous.autoScalingGroupName, $0.previous.imageId) }
        return page(input, title: cluster.cluster, section: .cluster, region: region,
                    body: LocalCloudPages.clusterShow(cluster, context: context, region: region, csrf: Console.csrfField(input), now: now()), status: status)
    }

    /// `/{region}/cluster/deactivate` and `/activate`: Asgard's disable and enable of a group.
    func addTrafficRoutes(to table: RouteTable) {
        let regionParameter = EndpointDoc.Parameter.path("region", "A region, e.g. local or us-east-1")
        table.post("/{region}/cluster/deactivate", doc: EndpointDoc(
            summary: "Disable traffic to a server group: suspend Launch, Terminate and AddToLoadBalancer and drain it from its load balancers; refused for the cluster's last enabled group unless force=true",
            tag: "Cluster",
            parameters: [regionParameter, .field("name", "The server group", required: true),
                         .field("force", "true to disable the last enabled group of the cluster", type: "boolean")],
            answers: [.ok("ServerGroup"), .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            let region = try regionName(input)
            let name = try await authorizeGroupChange(input, field: "name")
            let (group, task) = try await groups.deactivate(name, force: input.fields["force"] == "true", user: input.userName)
            input.audit.task(task.id.rawValue)
            if input.wantsJSON { return try Responses.json(try await groups.json(group), headers: taskHeaders(task.id, location: nil)) }
            return Responses.seeOther("/\(region)/autoScaling/show/\(name)")
        }
        table.post("/{region}/cluster/activate", doc: EndpointDoc(
            summary: "Enable traffic to a server group: resume Launch, Terminate and AddToLoadBalancer, registering it with its load balancers",
            tag: "Cluster", parameters: [regionParameter, .field("name", "The server group", required: true)],
            answers: [.ok("ServerGroup"), .badRequest, .unauthorized, .forbidden, .notFound]
        )) { input in
            let region = try regionName(input)
            let name = try await authorizeGroupChange(input, field: "name")
            let (group, task) = try await groups.activate(name, user: input.userName)
            input.audit.task(task.id.rawValue)
            if input.wantsJSON { return try Responses.json(try await groups.json(group), headers: taskHeaders(task.id, location: nil)) }
            return Responses.seeOther("/\(region)/autoScaling/show/\(name)")
        }
    }

    /// `/{region}/cluster/createNextGroup`, `/resize` and `/delete`: Asgard's primitives.
    func addClusterPrimitiveRoutes(to table: RouteTable) {
        let regionParameter = EndpointDoc.Parameter.path("region", "A region, e.g. local or us-east-1")
        table.post("/{region}/cluster/createNextGroup", doc: EndpointDoc(
            summary: "Create the cluster's next server group, inheriting the newest group's settings unless given", tag: "Cluster",
            parameters: [regionParameter, .field("name", "The cluster, e.g. shop-prod", required: true), .field("imageId", "The image (default: the newest group's)"),
                         .field("minSize", "Fewest instances", type: "integer"), .field("desiredCapacity", "Instances to run", type: "integer"),
                         .field("maxSize", "Most instances", type: "integer"),
                         .field("selectedLoadBalancers", "Its load balancers (default: the newest group's)", type: "array"),
                         .field("trafficAllowed", "false to create it disabled (default true)", type: "boolean"),
                         .field("checkHealth", "true to answer once it is healthy", type: "boolean"),
                         .field("noOptionalDefaults", "true to inherit nothing from the newest group", type: "boolean")],
            answers: [EndpointDoc.Answer(status: 201, description: "Created; X-Task-Id names the task", schema: "ServerGroup"),
                      .badRequest, .unauthorized, .forbidden, .notFound]
        )) { input in
            let region = try regionName(input)
            guard let cluster = input.fields["name"], !cluster.isEmpty else { throw ConsoleError.invalid("name", "is required: the cluster, e.g. shop-prod") }
            let app = Names(parsing: cluster)?.app ?? cluster
            input.audit.object("cluster", cluster, application: app)
            try input.require(.read)
            try input.require(.deployApplication(AppName(rawValue: app)))
            try await authorizeReferences(input, loadBalancers: input.fields.list("selectedLoadBalancers"), imageId: input.fields["imageId"])
            try await requireIdle(cluster: cluster)
            var capacity: DeploymentCapacity?
            var problems: [FieldError] = []
            let sizes = 0...groups.maxCapacity
            if input.fields["desiredCapacity"]?.isEmpty == false {
                let desired = input.fields.wholeNumber("desiredCapacity", 0, in: sizes, problems: &problems)
                let minSize = input.fields.wholeNumber("minSize", desired, in: sizes, problems: &problems)
                let maxSize = input.fields.wholeNumber("maxSize", desired, in: sizes, problems: &problems)
                if problems.isEmpty, !(minSize <= desired && desired <= maxSize) {
                    problems.append(FieldError(field: "desiredCapacity", message: "\(desired) must be between minSize (\(minSize)) and maxSize (\(maxSize))"))
                }
                capacity = DeploymentCapacity(min: minSize, desired: desired, max: maxSize)
            } else {
                for key in ["minSize", "maxSize"] where input.fields[key]?.isEmpty == false {
                    problems.append(FieldError(field: key, message: "needs desiredCapacity too"))
                }
            }
            guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
            let (group, task) = try await groups.operations.createNextGroup(
                cluster: cluster, imageId: input.fields["imageId"].flatMap { $0.isEmpty ? nil : ImageID(rawValue: $0) }, capacity: capacity,
                loadBalancers: input.fields.has("selectedLoadBalancers") ? input.fields.list("selectedLoadBalancers") : nil,
                trafficAllowed: input.fields["trafficAllowed"] != "false", checkHealth: input.fields["checkHealth"] == "true",
                noOptionalDefaults: input.fields["noOptionalDefaults"] == "true", user: input.userName)
            input.audit.task(task.id.rawValue)
            let path = "/\(region)/autoScaling/show/\(group.autoScalingGroupName)"
            if input.wantsJSON { return try Responses.json(try await groups.json(group), status: .created, headers: taskHeaders(task.id, location: path + ".json")) }
            return Responses.seeOther(path)
        }

        table.post("/{region}/cluster/resize", doc: EndpointDoc(
            summary: "Resize a server group, growing in batches that each wait until healthy in the load balancers; a durable task that holds the cluster's lock and resumes after a restart", tag: "Cluster",
            parameters: [regionParameter, .field("name", "The server group", required: true),
                         .field("minSize", "Fewest instances", type: "integer"), .field("desiredCapacity", "Instances to run", type: "integer"),
                         .field("maxSize", "Most instances", type: "integer"), .field("batchSize", "Instances added per batch (default: all at once)", type: "integer")],
            answers: [.ok("ServerGroup"), .badRequest, .unauthorized, .forbidden, .notFound]
        )) { input in
            let region = try regionName(input)
            let name = try await authorizeGroup(input, field: "name")
            let group = try await groups.show(name)
            var problems: [FieldError] = []
            let desired = input.fields.wholeNumber("desiredCapacity", group.desiredCapacity, in: 0...groups.maxCapacity, problems: &problems)
            let minSize = input.fields.wholeNumber("minSize", min(group.minSize, desired), in: 0...groups.maxCapacity, problems: &problems)
            let maxSize = input.fields.wholeNumber("maxSize", max(group.maxSize, desired), in: 0...groups.maxCapacity, problems: &problems)
            let batch = input.fields["batchSize"]?.isEmpty == false ? input.fields.wholeNumber("batchSize", 1, in: 1...groups.maxCapacity, problems: &problems) : nil
            guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
            // A durable task of the engine: it resumes after a restart; the answer waits for its end.
            let task = try await deployments.resize(group, to: DeploymentCapacity(min: minSize, desired: desired, max: maxSize),
                                                    batchSize: batch, user: input.userName)
            input.audit.task(task.id.rawValue)
            let done = try await deployments.waitForEnd(of: task.id, timeout: .seconds(660))
            guard done?.status == .succeeded else {
                throw CloudError(.unavailable, "Resize task \(task.id) \(done?.status.rawValue ?? "did not end"): \(done?.log.last?.message ?? "")")
            }
            let resized = try await groups.show(name)
            if input.wantsJSON { return try Responses.json(try await groups.json(resized), headers: taskHeaders(task.id, location: nil)) }
            return Responses.seeOther("/\(region)/autoScaling/show/\(name)")
        }

        table.post("/{region}/cluster/delete", doc: EndpointDoc(
            summary: "Delete a server group: its instances leave their load balancers (draining) and end first", tag: "Cluster",
            parameters: [regionParameter, .field("name", "The server group", required: true)],
            answers: [.ok("Deleted"), .badRequest, .unauthorized, .forbidden, .notFound]
        )) { input in
            let region = try regionName(input)
            let name = try await authorizeGroupChange(input, field: "name")
            try input.requireConfirmation(of: name, "server group")
            let task = try await groups.operations.delete(name, user: input.userName)
            input.audit.task(task.id.rawValue)
            if input.wantsJSON { return try Responses.json(DeletedJSON(name: name, taskId: task.id.rawValue), headers: taskHeaders(task.id, location: nil)) }
            return Responses.seeOther("/\(region)/cluster/list")
        }
    }

    /// One cluster with its groups and their shares of its requests; nil when it has no group.
    func cluster(named name: String) async throws -> ClusterJSON? {
        let members = withServedShares(try await groups.jsonAll(cluster: name))
        return members.isEmpty ? nil : ClusterJSON(cluster: name, autoScalingGroups: members)
    }

    /// The groups a list with `query` may show: on the local cloud all of them (the shares of
    /// their clusters' requests need every group), elsewhere those its filters admit.
    func serverGroupViews(_ query: ListQuery) async throws -> [ServerGroupJSON] {
        current.isLocal ? try await groups.jsonAll() : try await groups.jsonAll(matching: query)
    }

    /// Each server group's load balancers, by the group's name.
    func groupLoadBalancers() async throws -> [String: [String]] {
        Dictionary(try await groups.jsonAll().map { ($0.autoScalingGroupName, $0.loadBalancerNames) }, uniquingKeysWith: { first, _ in first })
    }

    /// Every cluster of the request's region (of one application when `app` is given), by name.
    func clusterList(app: String? = nil) async throws -> [ClusterJSON] {
        var byCluster: [String: [ServerGroupJSON]] = [:]
        var order: [String] = []
        for json in withServedShares(try await groups.jsonAll(app: app)) {
            if byCluster[json.cluster] == nil { order.append(json.cluster) }
            byCluster[json.cluster, default: []].append(json)
        }
        return order.sorted().map { ClusterJSON(cluster: $0, autoScalingGroups: byCluster[$0] ?? []) }
    }

    /// `groups` with the share of their cluster's requests each served in the last minute, from
    /// the metrics the console collects of local groups (AWS's are CloudWatch's: none here).
    func withServedShares(_ groups: [ServerGroupJSON]) -> [ServerGroupJSON] {
        guard current.isLocal else { return groups }
        let since = now().addingTimeInterval(-60)
        let served = Dictionary(uniqueKeysWithValues: groups.map { group in
            (group.autoScalingGroupName, scaling.datapoints(of: group.autoScalingGroupName).filter { $0.time > since }
                .compactMap { $0.values[.requestCount] }.reduce(0, +))
        })
        let byCluster = Dictionary(grouping: groups, by: \.cluster).mapValues { members in
            members.reduce(0) { $0 + (served[$1.autoScalingGroupName] ?? 0) }
        }
        return groups.map { group in
            var shared = group
            let mine = served[group.autoScalingGroupName] ?? 0, total = byCluster[group.cluster] ?? 0
            var traffic = shared.traffic ?? TrafficShareView()
            traffic.requestsPerSecond = mine / 60
            traffic.servedPercent = total > 0 ? 100 * mine / total : nil
            shared.traffic = traffic
            return shared
        }
    }

    private func instance(_ text: String) async throws -> InstanceRecord {
        guard InstanceID.isWellFormed(text), let record = try await groups.cloud.instance(InstanceID(rawValue: text)) else {
            throw ConsoleError.notFound("Instance '\(text)' not found; see /local/instance/list")
        }
        return record
    }

    private func loadBalancerNames() async throws -> [String] {
        try await loadBalancers.cloud.loadBalancers().map(\.loadBalancerName.rawValue)
    }

    /// Changing a group needs the owner or deployer role on its application.
    @discardableResult
    func authorizeGroup(_ input: RouteInput, field: String) async throws -> String {
        guard let name = input.fields[field], !name.isEmpty else { throw ConsoleError.invalid(field, "is required: the server group") }
        try input.require(.read)
        let group = try await groups.show(name)
        let app = group.names?.app ?? name
        input.audit.object("serverGroup", name, application: app)
        try input.require(.deployApplication(AppName(rawValue: app)))
        return group.autoScalingGroupName
    }

    /// `authorizeGroup`, and 409 while a durable task (a deployment, a resize) holds the group's
    /// cluster: a change made beside it would make the deployment roll back for a wrong reason.
    @discardableResult
    func authorizeGroupChange(_ input: RouteInput, field: String) async throws -> String {
        let name = try await authorizeGroup(input, field: field)
        try await requireIdle(cluster: Names(parsing: name)?.cluster ?? name)
        return name
    }

    /// 409 naming the task when a running or waiting durable task holds `cluster` in this region.
    func requireIdle(cluster: String) async throws {
        for status in [TaskStatus.running, .waiting] {
            let page = try await tasks.tasks(TaskQuery(status: status, objectType: .cluster, objectId: cluster, limit: 20))
            if let task = page.tasks.first(where: { $0.region == current.region.rawValue }) {
                throw ConsoleError(.conflict, "Cluster \(cluster) is busy with task \(task.id) (\(task.operation)); wait for it to end, or cancel it: asgard task cancel \(task.id)")
            }
        }
    }

    private func authorizeInstance(_ input: RouteInput) async throws -> InstanceRecord {
        guard let text = input.fields["instanceId"], !text.isEmpty else { throw ConsoleError.invalid("instanceId", "is required: the instance") }
        try input.require(.read)
        let record = try await instance(text)
        let app = Names(parsing: record.autoScalingGroupName)?.app ?? record.autoScalingGroupName
        input.audit.object("instance", record.instanceId.rawValue, application: app)
        try input.require(.deployApplication(AppName(rawValue: app)))
        return record
    }
}
