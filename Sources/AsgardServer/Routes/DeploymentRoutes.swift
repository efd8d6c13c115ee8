import AsgardAPI
import AsgardCore
import AsgardEngine
import AsgardStore
import Foundation
import HTTPTypes
import Hummingbird

extension Console {
    /// `/{region}/deployment/start` and `/deployment/list|show`: deployments as durable tasks.
    func addDeploymentRoutes(to table: RouteTable) {
        table.post("/{region}/deployment/start", doc: EndpointDoc(
            summary: "Start a deployment: JSON {cluster, imageId, strategy (redBlack, highlander, rolling or custom), capacity {min, desired, max}, loadBalancers?, keepDisabledGroups?, steps? (custom), notification?, and for rolling relaunchCount?, concurrentRelaunches?, newestFirst?, afterBootWait?}; one per cluster at a time; a failure rolls it back",
            tag: "Deployment",
            parameters: [.path("region", "A region, e.g. local or us-east-1"),
                         .field("cluster", "The cluster, e.g. shop-prod", required: true),
                         .field("imageId", "The image to deploy", required: true),
                         .field("strategy", "redBlack, highlander, rolling or custom", required: true),
                         .field("capacity", "{min, desired, max} of the new group (or the fields min, desired, max)", type: "object"),
                         .field("min", "Fewest instances (default: desired)", type: "integer"),
                         .field("desired", "Instances to run", type: "integer"),
                         .field("max", "Most instances (default: desired)", type: "integer"),
                         .field("loadBalancers", "The new group's load balancers (default: the newest group's)", type: "array"),
                         .field("startupTimeoutSeconds", "How long a new group may take to become healthy before the deployment rolls back (default 600)", type: "integer"),
                         .field("keepDisabledGroups", "Disabled previous groups red/black keeps for a rollback (default 1)", type: "integer"),
                         .field("relaunchCount", "Rolling: how many instances to replace (default: all)", type: "integer"),
                         .field("concurrentRelaunches", "Rolling: how many at a time (default 1)", type: "integer"),
                         .field("newestFirst", "Rolling: replace the newest first", type: "boolean"),
                         .field("afterBootWait", "Rolling: seconds to wait after each replacement is healthy", type: "integer"),
                         .field("watchSeconds", "Rolling: seconds the sequential judge watches each batch's new instances against the old ones (default 0: not watched); a regression stops the push and rolls back what was replaced", type: "integer"),
                         .field("notification", "{webhookUrl}: gets a JSON POST on started, judgmentNeeded, succeeded, failed, canceled and rolledBack", type: "object"),
                         .field("canary", "canary: {steps: [{setWeight}, {analyze: {durationSeconds, intervalSeconds, minimumSeconds}}, {pause: {durationSeconds?}}], analysis?: {judge: fixed|sequential, alpha, confidence, tolerance, pass, marginal, minimumRequests, groupWeights, metrics}, baseline?: existing|fresh}", type: "object"),
                         .field("canaryWeights", "canary, short form: weights such as 5,25,50,100, each but 100 analyzed for analysisSeconds"),
                         .field("analysisSeconds", "canary, short form: how long each weight is analyzed (default 60)", type: "integer"),
                         .field("intervalSeconds", "canary, short form: how often it is judged (default 10)", type: "integer"),
                         .field("minimumSeconds", "canary (short form, sequential judge) and watched rolling push: a step or batch passes early, once the canary is shown within its tolerance, only after this (default 30)", type: "integer"),
                         .field("baseline", "canary, short form: existing (default) or fresh"),
                         .field("judge", "canary, short form: fixed (default: the window judged every interval) or sequential (anytime-valid tests every second)"),
                         .field("alpha", "canary (short form) and watched rolling push: the sequential judge's false-alarm probability (default 0.01)", type: "number"),
                         .field("prometheusMetric", "canary, short form: name=PromQL with {{serverGroup}}, judged instead of the console's metrics (critical; repeatable); needs prometheus.url in the configuration", type: "array"),
                         .field("steps", "custom: the steps in order, each {type: createGroup|resize|wait|judgment|enableGroup|disableGroup|deleteGroup, target?: new|previous, capacity?, percent?, seconds?, minutes?, trafficAllowed?}", type: "array"),
                         .field("webhookUrl", "The same as a form field")],
            answers: [EndpointDoc.Answer(status: 202, description: "Started; follow taskUrl", schema: "TaskAccepted"),
                      .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            let region = try regionName(input)
            do {
                let request = try deploymentRequest(input)
                let app = Names(parsing: request.cluster)?.app ?? request.cluster
                input.audit.object("cluster", request.cluster, application: app)
                try input.require(.read)
                try input.require(.deployApplication(AppName(rawValue: app)))
                try await authorizeReferences(input, loadBalancers: request.loadBalancers ?? [], imageId: request.imageId.rawValue)
                guard try await applications.store.application(named: AppName(rawValue: app)) != nil else {
                    throw ConsoleError.invalid("cluster", "'\(app)' is not a registered application; register it first (asgard app create)")
                }
                let task = try await deployments.start(request, user: input.userName)
                return try accepted(task, input)
            } catch {
                // The browser's deploy form comes back with its values and what was wrong.
                guard !input.wantsJSON, let error = ConsoleError.mapping(error), [.invalidRequest, .conflict].contains(error.code),
                      let name = input.fields["cluster"], let cluster = try await cluster(named: name) else { throw error }
                input.audit.refused(error.message)
                let errors = error.fieldErrors.isEmpty ? [FieldError(field: "", message: error.plainMessage)] : error.fieldErrors
                return try await clusterPage(input, cluster, region: region, deploy: (input.fields, errors), status: error.code.status)
            }
        }

        table.post("/{region}/cluster/rollback", doc: EndpointDoc(
            summary: "Put traffic back on the cluster's previous (disabled) group: enable it, wait until it is healthy, disable the newer one",
            tag: "Cluster",
            parameters: [.path("region", "A region, e.g. local or us-east-1"), .field("name", "The cluster, e.g. shop-prod", required: true)],
            answers: [.ok("Task"), .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            let region = try regionName(input)
            guard let cluster = input.fields["name"], !cluster.isEmpty else { throw ConsoleError.invalid("name", "is required: the cluster, e.g. shop-prod") }
            let app = Names(parsing: cluster)?.app ?? cluster
            input.audit.object("cluster", cluster, application: app)
            try input.require(.read)
            try input.require(.deployApplication(AppName(rawValue: app)))
            let task = try await deployments.rollback(cluster: cluster, user: input.userName)
            input.audit.task(task.id.rawValue)
            if input.wantsJSON { return try Responses.json(TaskJSON(task, includeLog: true), headers: taskHeaders(task.id, location: nil)) }
            return Responses.seeOther("/\(region)/cluster/show/\(cluster)")
        }

        table.post("/task/cancel", doc: EndpointDoc(
            summary: "Cancel a running deployment: at its next safe point it rolls back (the previous group serves again) and ends as canceled", tag: "Task",
            parameters: [.field("id", "The task's number", required: true)],
            answers: [.ok("Task"), .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            guard let text = input.fields["id"], let id = TaskID(text) else { throw ConsoleError.invalid("id", "is required: a task number") }
            try input.require(.read)
            guard let task = try await tasks.task(id) else { throw ConsoleError.notFound("Task \(text) not found; see /task/list") }
            let app = Names(parsing: task.objectId)?.app ?? task.objectId
            input.audit.object("task", text, application: app)
            try input.require(.deployApplication(AppName(rawValue: app)))
            let canceled = try await inRegionOf(task: id) { try await deployments.cancel(id, user: input.userName) }
            input.audit.task(canceled.id.rawValue)
            if input.wantsJSON { return try Responses.json(TaskJSON(canceled, includeLog: true)) }
            return Responses.seeOther("/task/show/\(id)")
        }

        for (path, signal, summary) in [("/deployment/proceed", TaskSignal.proceed, "Answer a deployment's judgment: go on with the next step"),
                                        ("/deployment/rollback", TaskSignal.rollback, "Roll a running deployment back (also the answer 'no' to a judgment): the previous group serves again, the new one is disabled and kept")] {
            table.post(path, doc: EndpointDoc(
                summary: summary, tag: "Deployment", parameters: [.field("id", "The deployment's task number", required: true)],
                answers: [.ok("Deployment"), .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
            )) { input in
                guard let text = input.fields["id"], let id = TaskID(text) else { throw ConsoleError.invalid("id", "is required: a deployment's task number") }
                try input.require(.read)
                guard let task = try await tasks.task(id) else { throw ConsoleError.notFound("Deployment \(text) not found; see /deployment/list") }
                let app = Names(parsing: task.objectId)?.app ?? task.objectId
                input.audit.object("task", text, application: app)
                try input.require(.deployApplication(AppName(rawValue: app)))
                let answered = try await inRegionOf(task: id) { try await deployments.decide(signal, id, user: input.userName) }
                input.audit.task(answered.id.rawValue)
                if input.wantsJSON, let deployment = DeploymentJSON(answered, includeLog: true) { return try Responses.json(deployment) }
                return Responses.seeOther("/task/show/\(id)")
            }
        }

        table.post("/{region}/push/startRolling", doc: EndpointDoc(
            summary: "Asgard's rolling push: the group launches from the new image and its instances are replaced a few at a time, each drained first",
            tag: "Deployment",
            parameters: [.path("region", "A region, e.g. local or us-east-1"), .field("name", "The server group", required: true),
                         .field("imageId", "The image to push", required: true),
                         .field("relaunchCount", "How many instances to replace (default: all)", type: "integer"),
                         .field("concurrentRelaunches", "How many at a time (default 1)", type: "integer"),
                         .field("newestFirst", "true to replace the newest first", type: "boolean"),
                         .field("rudeShutdown", "Accepted; instances are drained either way", type: "boolean"),
                         .field("checkHealth", "Accepted; every replacement is waited for until healthy", type: "boolean"),
                         .field("afterBootWait", "Seconds to wait after each replacement is healthy", type: "integer")],
            answers: [EndpointDoc.Answer(status: 202, description: "Started; follow taskUrl", schema: "TaskAccepted"),
                      .badRequest, .unauthorized, .forbidden, .notFound, .conflict]
        )) { input in
            _ = try regionName(input)
            let name = try await authorizeGroup(input, field: "name")
            let image = try imageId(input)
            try await authorizeReferences(input, imageId: image)
            let group = try await groups.show(name)
            let request = DeploymentRequest(cluster: group.names?.cluster ?? name, imageId: ImageID(rawValue: image), strategy: .rolling,
                                            capacity: DeploymentCapacity(min: group.minSize, desired: group.desiredCapacity, max: group.maxSize),
                                            rolling: try rollingOptions(input))
            var targeted = request
            targeted.serverGroup = name
            let task = try await deployments.start(targeted, user: input.userName)
            return try accepted(task, input)
        }

        table.page("/deployment/list", doc: EndpointDoc(
            summary: "List deployments, newest first, of an application, region, status or strategy", tag: "Deployment",
            parameters: [.query("application", "Only this application's"), .query("region", "Only this region's"),
                         .query("status", "running, waiting, succeeded, failed, canceled or rolledBack"),
                         .query("strategy", "redBlack, highlander, rolling, custom or canary")],
            answers: [.ok("[Deployment]"), .badRequest, .unauthorized]
        )) { input in
            let filter = try deploymentFilter(input.fields)
            let all = try await deployments(filter)
            if input.wantsJSON { return try Responses.json(all) }
            return page(input, title: "Deployments", section: .deployment,
                        body: DeploymentPages.list(all, filter: filter, regions: accounts.flatMap { $0.regions.map(\.rawValue) }, now: now()))
        }

        table.page("/deployment/show/{id}", doc: EndpointDoc(
            summary: "Show a deployment: its steps, groups and log", tag: "Deployment",
            parameters: [.path("id", "The deployment's task id")],
            answers: [.ok("Deployment"), .unauthorized, .notFound]
        )) { input in
            let text = input.path("id")
            guard let id = Int64(text), let task = try await tasks.task(TaskID(id)), let deployment = DeploymentJSON(task, includeLog: true) else {
                throw ConsoleError.notFound("Deployment '\(text)' not found; see /deployment/list")
            }
            if input.wantsJSON { return try Responses.json(deployment) }
            return page(input, title: "Deployment \(deployment.id)", section: .deployment, body: DeploymentPages.show(deployment))
        }
    }

    /// `/deployment/analysis/{id}`: the canary analysis section alone, for the task page to
    /// refresh while the canary runs.
    func addCanaryFragmentRoute(to table: RouteTable) {
        table.htmlOnly("/deployment/analysis/{id}", access: .read) { input in
            let text = input.path("id")
            guard let id = Int64(text), let task = try await tasks.task(TaskID(id)), let deployment = DeploymentJSON(task, includeLog: false) else {
                throw ConsoleError.notFound("Deployment '\(text)' not found; see /deployment/list")
            }
            return Responses.html(CanaryCharts.section(deployment))
        }
    }

    /// The deployments `filter` admits, newest first (of the latest 200 with its status).
    func deployments(_ filter: DeploymentPages.Filter, cluster: String? = nil, limit: Int = 200) async throws -> [DeploymentJSON] {
        let found = try await tasks.tasks(TaskQuery(status: filter.status, objectType: .cluster, objectId: cluster, limit: limit))
        return found.tasks.compactMap { DeploymentJSON($0, includeLog: false) }.filter(filter.admits)
    }

    /// The deployments that run or wait now, of every region or of one cluster, newest first.
    func unfinishedDeployments(cluster: String? = nil, region: String? = nil) async throws -> [DeploymentJSON] {
        var found: [DeploymentJSON] = []
        for status in [TaskStatus.running, .waiting] {
            var filter = DeploymentPages.Filter()
            filter.status = status
            filter.region = region
            found += try await deployments(filter, cluster: cluster, limit: 100)
        }
        return found.sorted { $0.id.rawValue > $1.id.rawValue }
    }

    /// The deployments list's filters from a request's fields, each checked.
    func deploymentFilter(_ fields: FormFields) throws -> DeploymentPages.Filter {
        var filter = DeploymentPages.Filter()
        var problems: [FieldError] = []
        if let app = fields["application"], !app.isEmpty { filter.application = app.trimmingCharacters(in: .whitespaces).lowercased() }
        if let region = fields["region"], !region.isEmpty {
            if accounts.contains(where: { $0.regions.contains(Region(region)) }) { filter.region = region } else {
                problems.append(FieldError(field: "region", message: "'\(InputLimits.echoed(region))' is not a region of this console"))
            }
        }
        if let text = fields["status"], !text.isEmpty {
            if let status = TaskStatus(rawValue: text) { filter.status = status } else {
                problems.append(FieldError(field: "status", message: "'\(InputLimits.echoed(text))' is not one of \(TaskStatus.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        if let text = fields["strategy"], !text.isEmpty {
            if let strategy = DeploymentStrategy(rawValue: text) { filter.strategy = strategy } else {
                problems.append(FieldError(field: "strategy", message: "'\(InputLimits.echoed(text))' is not one of \(DeploymentStrategy.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
        return filter
    }

    /// The answer to a started deployment: 202 with the task for JSON clients, its page for browsers.
    private func accepted(_ task: TaskRecord, _ input: RouteInput) throws -> Response {
        input.audit.task(task.id.rawValue)
        if input.wantsJSON {
            return try Responses.json(TaskAccepted(taskId: task.id), status: .accepted,
                                      headers: taskHeaders(task.id, location: "/deployment/show/\(task.id).json"))
        }
        return Responses.seeOther("/deployment/show/\(task.id)")
    }

    /// A deployment request from a JSON body (with `capacity` as an object) or form fields.
    private func deploymentRequest(_ input: RouteInput) throws -> DeploymentRequest {
        var given: [String: Any] = [:]
        var webhook = input.fields["webhookUrl"].flatMap { $0.isEmpty ? nil : $0 }
        var steps: [PlannedStep]?
        var canary: CanarySettings?
        // The deploy form always sends its steps box; only a custom deployment reads it.
        if input.fields["strategy"] == DeploymentStrategy.custom.rawValue, let text = input.fields["steps"], !text.isEmpty {
            steps = try Self.plannedSteps(Data(text.utf8))
        }
        if input.request.headers[.contentType]?.hasPrefix("application/json") == true,
           let object = try? JSONSerialization.jsonObject(with: input.body) as? [String: Any] {
            if let sent = object["canary"] {
                guard let dictionary = sent as? [String: Any], let data = try? JSONSerialization.data(withJSONObject: dictionary) else {
                    throw ConsoleError.invalid("canary", "must be an object such as {\"steps\": [{\"setWeight\": 10}, {\"analyze\": {\"durationSeconds\": 60}}, {\"setWeight\": 100}]}")
                }
                do {
                    canary = try JSONDecoder().decode(CanarySettings.self, from: data)
                } catch {
                    throw ConsoleError.invalid("canary", "is not valid: \(Self.decodingProblem(error)); e.g. {\"steps\": [{\"setWeight\": 10}, {\"analyze\": {\"durationSeconds\": 60, \"intervalSeconds\": 10}}, {\"setWeight\": 100}], \"baseline\": \"existing\"}")
                }
            }
            if let sent = object["steps"] {
                guard JSONSerialization.isValidJSONObject([sent]), let data = try? JSONSerialization.data(withJSONObject: sent) else {
                    throw ConsoleError.invalid("steps", "must be a list of steps")
                }
                steps = try Self.plannedSteps(data)
            }
            if let sent = object["notification"] {
                guard let dictionary = sent as? [String: Any], let url = dictionary["webhookUrl"] as? String else {
                    throw ConsoleError.invalid("notification", "must be an object such as {\"webhookUrl\": \"https://hooks.example.com/deploys\"}")
                }
                webhook = url
            }
            if let sent = object["capacity"] {
                guard let dictionary = sent as? [String: Any] else {
                    throw ConsoleError.invalid("capacity", "must be an object such as {\"min\": 1, \"desired\": 2, \"max\": 3}")
                }
                given = dictionary
            }
        }
        func number(_ key: String) throws -> Int? {
            let value: Any? = given[key] ?? input.fields[key]
            guard let value else { return nil }
            guard let text = FormFields.text(value) else { throw ConsoleError.invalid(key, "must be a whole number") }
            if text.isEmpty { return nil }
            guard let number = Int(text) else { throw ConsoleError.invalid(key, "'\(text.prefix(40))' is not a whole number") }
            return number
        }
        guard let cluster = input.fields["cluster"], !cluster.isEmpty else { throw ConsoleError.invalid("cluster", "is required, e.g. shop-prod") }
        let image = try imageId(input)
        guard let strategyText = input.fields["strategy"], let strategy = DeploymentStrategy(rawValue: strategyText) else {
            throw ConsoleError.invalid("strategy", "'\(input.fields["strategy"] ?? "")' is not one of \(DeploymentStrategy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let keep = try number("keepDisabledGroups")
        let capacity: DeploymentCapacity
        if let desired = try number("desired") {
            capacity = DeploymentCapacity(min: try number("min") ?? desired, desired: desired, max: try number("max") ?? desired)
        } else if strategy == .rolling {
            // A rolling push keeps the group's sizes.
            capacity = DeploymentCapacity(min: 0, desired: 0, max: 0)
        } else {
            throw ConsoleError.invalid("capacity", "desired is required: how many instances to run")
        }
        var request = DeploymentRequest(cluster: cluster.lowercased(), imageId: ImageID(rawValue: image), strategy: strategy, capacity: capacity,
                                        loadBalancers: input.fields.has("loadBalancers") ? input.fields.list("loadBalancers") : nil,
                                        keepDisabledGroups: keep, rolling: strategy == .rolling ? try rollingOptions(input) : nil)
        request.notification = webhook.map(DeploymentNotification.init(webhookUrl:))
        request.steps = steps
        if strategy == .canary, canary == nil, let text = input.fields["canaryWeights"], !text.isEmpty {
            // The short form of the CLI and the deploy form: weights, each analyzed for a while.
            let weights = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let parsed = weights.compactMap { Int($0) }
            guard parsed.count == weights.count else {
                throw ConsoleError.invalid("canaryWeights", "'\(text)' must be percentages separated by commas, e.g. 5,25,50,100")
            }
            let seconds = try number("analysisSeconds") ?? 60
            // 0 leaves the analysis out (weights only); anything else is an analysis's length.
            guard seconds == 0 || InputLimits.analysisSeconds.contains(seconds) else {
                throw ConsoleError.invalid("analysisSeconds", "\(seconds) must be 0 (no analysis) or from 1 to \(InputLimits.analysisSeconds.upperBound)")
            }
            let every = try number("intervalSeconds")
            if let every, !InputLimits.analysisIntervalSeconds.contains(every) {
                throw ConsoleError.invalid("intervalSeconds", "\(every) must be from 1 to \(InputLimits.analysisIntervalSeconds.upperBound)")
            }
            let minimum = try number("minimumSeconds")
            if let minimum, !InputLimits.judgeSeconds.contains(minimum) {
                throw ConsoleError.invalid("minimumSeconds", "\(minimum) must be from 0 to \(InputLimits.judgeSeconds.upperBound): the sequential judge passes a step early only after it (analysisSeconds or more: never early)")
            }
            var settings = CanarySettings(steps: CanarySettings.steps(weights: parsed, analysisSeconds: seconds, intervalSeconds: every, minimumSeconds: minimum))
            if let baseline = input.fields["baseline"], !baseline.isEmpty {
                guard let parsedBaseline = CanaryBaseline(rawValue: baseline) else { throw ConsoleError.invalid("baseline", "'\(baseline)' is not existing or fresh") }
                settings.baseline = parsedBaseline
            }
            if let judge = input.fields["judge"], !judge.isEmpty {
                guard let parsedJudge = CanaryJudgeKind(rawValue: judge) else { throw ConsoleError.invalid("judge", "'\(judge)' is not fixed or sequential") }
                settings.analysis.judge = parsedJudge
            }
            if let text = input.fields["alpha"], !text.isEmpty {
                guard let alpha = Self.alpha(text) else { throw ConsoleError(ValidationFailure([Self.alphaProblem(text)])) }
                settings.analysis.alpha = alpha
            }
            let queries = input.fields.all("prometheusMetric").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if !queries.isEmpty { settings.analysis.metrics = try queries.map(Self.prometheusMetric) }
            canary = settings
        }
        request.canary = canary
        request.startupTimeoutSeconds = try number("startupTimeoutSeconds")
        return request
    }

    /// A metric of the short form's `prometheusMetric`, `name=PromQL`: judged as a critical
    /// distribution, so a worse canary fails at once.
    static func prometheusMetric(_ entry: String) throws -> CanaryMetric {
        let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        let nameCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_-"))
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64, parts[0].unicodeScalars.allSatisfy(nameCharacters.contains), !parts[1].isEmpty else {
            throw ConsoleError.invalid("prometheusMetric", "'\(InputLimits.echoed(entry))' must be name=PromQL, e.g. "
                                       + "errorRatio=sum(rate(http_requests_total{server_group=\"{{serverGroup}}\",code=~\"5..\"}[1m])) "
                                       + "/ sum(rate(http_requests_total{server_group=\"{{serverGroup}}\"}[1m]))")
        }
        return CanaryMetric(name: parts[0], kind: .distribution, group: parts[0], critical: true, mustHaveData: true, source: .prometheus, query: parts[1])
    }

    /// The request's image id: missing and malformed are told apart.
    func imageId(_ input: RouteInput) throws -> String {
        guard let image = input.fields["imageId"]?.trimmingCharacters(in: .whitespaces), !image.isEmpty else {
            throw ConsoleError.invalid("imageId", "is required: an image id such as img-1a2b3c4d; see /\(current.region.rawValue)/image/list")
        }
        guard ImageID.isWellFormed(image) else {
            throw ConsoleError.invalid("imageId", "'\(image)' is not an image id (img- and 8 lower-case hexadecimal digits, or an ami-); see /\(current.region.rawValue)/image/list")
        }
        return image
    }

    /// What a decoding error says, in words.
    static func decodingProblem(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "\(key.stringValue) is missing" + (context.codingPath.isEmpty ? "" : " in \(context.codingPath.map(\.stringValue).joined(separator: "."))")
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context), DecodingError.dataCorrupted(let context):
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    /// A custom deployment's steps from JSON, with a message that says which step is wrong.
    static func plannedSteps(_ data: Data) throws -> [PlannedStep] {
        guard let list = try? JSONSerialization.jsonObject(with: data) as? [Any] else {
            throw ConsoleError.invalid("steps", "must be a JSON list such as [{\"type\": \"createGroup\"}, {\"type\": \"judgment\", \"minutes\": 30}, {\"type\": \"disableGroup\"}]")
        }
        let decoder = JSONDecoder()
        return try list.enumerated().map { index, item in
            guard let object = item as? [String: Any], let data = try? JSONSerialization.data(withJSONObject: object) else {
                throw ConsoleError.invalid("steps", "step \(index + 1) must be an object with a type")
            }
            guard let type = object["type"] as? String, DeploymentStep(rawValue: type) != nil else {
                throw ConsoleError.invalid("steps", "step \(index + 1): type '\(object["type"].map { "\($0)" } ?? "")' is not one of \(PlannedStep.customTypes.map(\.rawValue).joined(separator: ", "))")
            }
            do {
                return try decoder.decode(PlannedStep.self, from: data)
            } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
                let field = context.codingPath.last?.stringValue ?? "a field"
                throw ConsoleError.invalid("steps", "step \(index + 1) (\(type)): \(field) has the wrong type: \(context.debugDescription)")
            } catch {
                throw ConsoleError.invalid("steps", "step \(index + 1) (\(type)) is not valid: \(error)")
            }
        }
    }

    /// Asgard's rolling push options from `relaunchCount`, `concurrentRelaunches`, `newestFirst`,
    /// `rudeShutdown` and `afterBootWait`.
    /// The sequential judge's α from a form field or short form, nil when it is not a number in range.
    static func alpha(_ text: String) -> Double? { Double(text).flatMap { InputLimits.isAlpha($0) ? $0 : nil } }

    /// What is wrong with an α that `alpha` refused.
    static func alphaProblem(_ text: String) -> FieldError {
        FieldError(field: "alpha", message: "'\(text.prefix(40))' must be a number above 0 and at most 0.2, e.g. 0.01")
    }

    private func rollingOptions(_ input: RouteInput) throws -> RollingOptions {
        var problems: [FieldError] = []
        let fields = input.fields
        let count = fields.has("relaunchCount") ? fields.wholeNumber("relaunchCount", 0, in: 0...groups.maxCapacity, problems: &problems) : nil
        let seconds = InputLimits.judgeSeconds
        var alpha: Double?
        if let text = fields["alpha"], !text.isEmpty {
            alpha = Self.alpha(text)
            if alpha == nil { problems.append(Self.alphaProblem(text)) }
        }
        let options = RollingOptions(relaunchCount: count,
                                     concurrentRelaunches: fields.wholeNumber("concurrentRelaunches", 1, in: 1...groups.maxCapacity, problems: &problems),
                                     newestFirst: fields["newestFirst"] == "true", rudeShutdown: fields["rudeShutdown"] == "true",
                                     afterBootWait: fields.wholeNumber("afterBootWait", 0, in: 0...3600, problems: &problems),
                                     watchSeconds: fields.has("watchSeconds") ? fields.wholeNumber("watchSeconds", 0, in: seconds, problems: &problems) : nil,
                                     alpha: alpha,
                                     minimumSeconds: fields.has("minimumSeconds") ? fields.wholeNumber("minimumSeconds", 30, in: seconds, problems: &problems) : nil)
        guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
        return options
    }
}
