import AsgardAPI
import AsgardCloud
import AsgardCore
import AsgardEngine
import AsgardStore
import Foundation
import HTTPTypes
import Hummingbird

extension Console {
    /// `/{region}/scalingPolicy/…`, `/{region}/alarm/…`, `/{region}/scheduledAction/…` and
    /// `/{region}/autoScaling/activities/{name}`: expanding and contracting groups on their own.
    func addScalingRoutes(to table: RouteTable) {
        let region = EndpointDoc.Parameter.path("region", "A region, e.g. local or us-east-1")
        let kinds: [(ScalingObjectKind, String, String, [EndpointDoc.Parameter])] = [
            (.policy, "scalingPolicy", "policyName", [
                .field("policyName", "The policy's name, unique in its group", required: true),
                .field("autoScalingGroupName", "The server group", required: true),
                .field("policyType", "SimpleScaling (default), StepScaling or TargetTrackingScaling"),
                .field("adjustmentType", "ChangeInCapacity, ExactCapacity or PercentChangeInCapacity"),
                .field("scalingAdjustment", "SimpleScaling: the change", type: "integer"),
                .field("minAdjustmentMagnitude", "PercentChangeInCapacity: the least change", type: "integer"),
                .field("cooldown", "SimpleScaling: seconds before it may act again (default 300)", type: "integer"),
                .field("stepAdjustments", "StepScaling: [{metricIntervalLowerBound, metricIntervalUpperBound, scalingAdjustment}] (or lower:upper:adjustment entries)", type: "array"),
                .field("estimatedInstanceWarmup", "StepScaling and TargetTracking: seconds before it may act again (default 300)", type: "integer"),
                .field("targetTrackingConfiguration", "{predefinedMetricSpecification: {predefinedMetricType: ASGAverageCPUUtilization | ALBRequestCountPerTarget} or customizedMetricSpecification: {metricName, statistic}, targetValue, disableScaleIn}", type: "object"),
                .field("predefinedMetricType", "The same as a form field"), .field("targetValue", "The same as a form field", type: "number"),
                .field("disableScaleIn", "The same as a form field", type: "boolean"),
            ]),
            (.alarm, "alarm", "alarmName", [
                .field("alarmName", "The alarm's name", required: true), .field("autoScalingGroupName", "The server group whose metric it watches", required: true),
                .field("metricName", "\(ScalingMetric.allCases.map(\.rawValue).joined(separator: ", "))", required: true),
                .field("statistic", "Average (default), Sum, Minimum, Maximum or SampleCount"),
                .field("period", "Seconds per period, a multiple of the collection interval (default 60)", type: "integer"),
                .field("evaluationPeriods", "Periods looked at (default 1)", type: "integer"),
                .field("datapointsToAlarm", "Breaching periods among them that set it off (default: all)", type: "integer"),
                .field("threshold", "The threshold", required: true, type: "number"),
                .field("comparisonOperator", "\(ComparisonOperator.allCases.map(\.rawValue).joined(separator: ", "))", required: true),
                .field("treatMissingData", "missing (default), notBreaching, breaching or ignore"),
                .field("alarmActions", "Scaling policy names of the group, or http(s) webhook URLs", type: "array"),
                .field("okActions", "Webhook URLs told when it returns to OK", type: "array"),
            ]),
            (.scheduledAction, "scheduledAction", "scheduledActionName", [
                .field("scheduledActionName", "The action's name, unique in its group", required: true),
                .field("autoScalingGroupName", "The server group", required: true),
                .field("startTime", "ISO 8601; a one-time action runs then"), .field("endTime", "ISO 8601; a recurrence stops after it"),
                .field("recurrence", "cron: minute hour day-of-month month day-of-week, e.g. 0 9 * * 1-5"),
                .field("timeZone", "IANA zone of the recurrence (default UTC)"),
                .field("minSize", "", type: "integer"), .field("maxSize", "", type: "integer"), .field("desiredCapacity", "", type: "integer"),
            ]),
        ]
        for (kind, path, nameField, parameters) in kinds {
            table.page("/{region}/\(path)/list", doc: EndpointDoc(
                summary: "List \(path)s, of one group with ?autoScalingGroupName=", tag: "Scaling", parameters: [region],
                answers: [.ok("[Object]"), .unauthorized]
            )) { input in
                let regionName = try regionName(input)
                let group = input.fields["autoScalingGroupName"].flatMap { $0.isEmpty ? nil : $0 }
                let all = checkedDefinitions(kind, try await scalingDefinitions.scalingObjects(kind, group: group))
                if input.wantsJSON { return Responses.jsonText("[" + all.joined(separator: ",") + "]") }
                return page(input, title: ScalingPages.plural(kind), section: .cluster, body: ScalingPages.list(kind, all, region: regionName))
            }

            table.page("/{region}/\(path)/show/{name}", doc: EndpointDoc(
                summary: "Show a \(path) (?autoScalingGroupName= when the name is used in several groups)", tag: "Scaling",
                parameters: [region, .path("name", "Its name")], answers: [.ok("Object"), .unauthorized, .notFound]
            )) { input in
                let regionName = try regionName(input)
                let (json, group) = try await scalingObject(kind, input.path("name"), group: input.fields["autoScalingGroupName"], nameField: nameField)
                if input.wantsJSON { return Responses.jsonText(json) }
                // The console collects metrics of local groups; AWS's are CloudWatch's.
                let datapoints = current.isLocal ? scaling.datapoints(of: group) : []
                return page(input, title: input.path("name"), section: .cluster,
                            body: ScalingPages.show(kind, json, datapoints: datapoints, csrf: Console.csrfField(input), region: regionName))
            }

            table.post("/{region}/\(path)/save", doc: EndpointDoc(
                summary: "Create or replace a \(path), with AWS's field names", tag: "Scaling", parameters: [region] + parameters,
                answers: [.ok("Object"), .badRequest, .unauthorized, .forbidden, .notFound]
            )) { input in
                let regionName = try regionName(input)
                let groupName = try await authorizeGroup(input, field: "autoScalingGroupName")
                let (name, json) = try await scalingDefinition(kind, input, group: groupName)
                let task = try await scalingDefinitions.saveScalingObject(kind, group: groupName, name: name, json: json, task: TaskDraft(
                    operation: "Save \(path) \(name) of \(groupName)", objectType: .serverGroup, objectId: groupName, user: input.userName, region: regionName,
                    status: .succeeded, log: [TaskLogLine(time: now(), message: "Saved \(path) \(name) of \(groupName): \(json)")]))
                input.audit.task(task.id.rawValue)
                if input.wantsJSON { return Responses.jsonText(json, headers: taskHeaders(task.id, location: nil)) }
                return Responses.seeOther("/\(regionName)/\(path)/show/\(HTML.pathSegment(name))?autoScalingGroupName=\(HTML.pathSegment(groupName))")
            }

            table.post("/{region}/\(path)/delete", doc: EndpointDoc(
                summary: "Delete a \(path)", tag: "Scaling",
                parameters: [region, .field(nameField, "Its name", required: true), .field("autoScalingGroupName", "The server group", required: true)],
                answers: [.ok("Deleted"), .badRequest, .unauthorized, .forbidden, .notFound]
            )) { input in
                let regionName = try regionName(input)
                let groupName = try await authorizeGroup(input, field: "autoScalingGroupName")
                guard let name = input.fields[nameField], !name.isEmpty else { throw ConsoleError.invalid(nameField, "is required") }
                try input.requireConfirmation(of: name, ScalingPages.title(kind).lowercased())
                let task: TaskRecord
                do {
                    task = try await scalingDefinitions.deleteScalingObject(kind, group: groupName, name: name, task: TaskDraft(
                        operation: "Delete \(path) \(name) of \(groupName)", objectType: .serverGroup, objectId: groupName, user: input.userName,
                        region: regionName, status: .succeeded, log: [TaskLogLine(time: now(), message: "Deleted \(path) \(name) of \(groupName)")]))
                } catch let error as StoreError where error.code == .notFound {
                    throw ConsoleError.notFound("\(ScalingPages.title(kind)) '\(name)' of \(groupName) not found; see /\(regionName)/\(path)/list")
                }
                input.audit.task(task.id.rawValue)
                if input.wantsJSON { return try Responses.json(DeletedJSON(name: name, taskId: task.id.rawValue), headers: taskHeaders(task.id, location: nil)) }
                return Responses.seeOther("/\(regionName)/autoScaling/show/\(HTML.pathSegment(groupName))")
            }
        }

        table.htmlOnly("/static/auto-refresh.js", access: .open) { _ in
            Responses.text(ScalingPages.autoRefreshScript, contentType: "text/javascript; charset=utf-8")
        }

        table.get("/{region}/autoScaling/metrics/{name}", doc: EndpointDoc(
            summary: "A server group's metrics: the datapoints in memory (every collection, 3 h) and the one-minute aggregates kept for a week",
            tag: "Scaling", parameters: [region, .path("name", "The server group"), .query("hours", "Hours of one-minute aggregates (default 24, at most 168)")],
            answers: [.ok("Object"), .unauthorized, .notFound]
        )) { input in
            _ = try localRegion(input, for: "Scaling policies, alarms and scheduled actions managed by the console")
            let name = input.path("name").replacingOccurrences(of: ".json", with: "")
            _ = try await groups.show(name)
            var problems: [FieldError] = []
            let hours = input.fields.wholeNumber("hours", 24, in: 1...168, problems: &problems)
            guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
            let minutes = try await scalingStore.metricMinutes(of: name, since: now().addingTimeInterval(-Double(hours) * 3600)).map { time, json in
                ["time": time.formatted(.iso8601), "values": (try? JSONSerialization.jsonObject(with: Data(json.utf8))) ?? [:]] as [String: Any]
            }
            let points = scaling.datapoints(of: name).map { point in
                ["time": point.time.formatted(.iso8601), "seconds": point.seconds,
                 "values": Dictionary(uniqueKeysWithValues: point.values.map { ($0.key.rawValue, $0.value) })] as [String: Any]
            }
            let document: [String: Any] = ["autoScalingGroupName": name, "intervalSeconds": scaling.intervalSeconds, "datapoints": points, "minutes": minutes]
            let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
            return Responses.jsonText(String(decoding: data, as: UTF8.self))
        }

        table.page("/{region}/autoScaling/activities/{name}", doc: EndpointDoc(
            summary: "A server group's activity history, newest first: every launch, termination and change of capacity with its cause",
            tag: "Scaling", parameters: [region, .path("name", "The server group")], answers: [.ok("[Object]"), .unauthorized, .notFound]
        )) { input in
            _ = try localRegion(input, for: "Scaling policies, alarms and scheduled actions managed by the console")
            let name = input.path("name")
            var problems: [FieldError] = []
            let limit = input.fields.wholeNumber("limit", 100, in: 1...1000, problems: &problems)
            guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
            let activities = try await scalingStore.activities(of: name, limit: limit)
            if activities.isEmpty { _ = try await groups.show(name) }
            if input.wantsJSON { return try Responses.json(activities) }
            return page(input, title: "Activities of \(name)", section: .cluster, body: "<h1>Activities of \(HTML.escape(name))</h1>" + ScalingPages.activities(activities))
        }
    }

    /// Where the request's region keeps its scaling definitions: the console's store for a local
    /// region, AWS for an AWS one.
    var scalingDefinitions: any ScalingDefinitionStore {
        current.isLocal ? scalingStore : (current.cloud as? any ScalingDefinitionStore) ?? scalingStore
    }

    /// The definitions with an `invalid` member added to each that breaks the rules, so that it
    /// can be seen and deleted; the scaling service skips those. AWS's own are left as AWS has them.
    func checkedDefinitions(_ kind: ScalingObjectKind, _ jsons: [String]) -> [String] {
        guard current.isLocal else { return jsons }
        return jsons.map { json in
            let problems = ScalingJSON.problems(kind, json: json, interval: scaling.intervalSeconds)
            guard !problems.isEmpty else { return json }
            var object = (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]) ?? [:]
            object["invalid"] = ValidationFailure(problems).message
            guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return json }
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// One definition's JSON and its group, by name.
    private func scalingObject(_ kind: ScalingObjectKind, _ name: String, group: String?, nameField: String) async throws -> (String, String) {
        let candidates = checkedDefinitions(kind, try await scalingDefinitions.scalingObjects(kind, group: group.flatMap { $0.isEmpty ? nil : $0 })).compactMap { json -> (String, String)? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], object[nameField] as? String == name,
                  let group = object["autoScalingGroupName"] as? String else { return nil }
            return (json, group)
        }
        guard let found = candidates.first else {
            throw ConsoleError.notFound("\(ScalingPages.title(kind)) '\(name)' not found; see /\(current.region.rawValue)/\(kind == .policy ? "scalingPolicy" : kind.rawValue)/list")
        }
        return found
    }

    /// The rules' problems of fields whose value was not told to be unreadable already: a
    /// target of `nan` is one problem, not also "0 is out of range".
    static func unlessTold(_ rules: [FieldError], _ told: [FieldError]) -> [FieldError] {
        rules.filter { rule in !told.contains { $0.field == rule.field } }
    }

    /// A definition from the request: its name and JSON, checked.
    private func scalingDefinition(_ kind: ScalingObjectKind, _ input: RouteInput, group: String) async throws -> (String, String) {
        let body = (input.request.headers[.contentType]?.hasPrefix("application/json") == true
            ? (try? JSONSerialization.jsonObject(with: input.body) as? [String: Any]) : nil) ?? [:]
        let f = input.fields
        var problems: [FieldError] = []
        func int(_ key: String) -> Int? {
            guard let text = f[key], !text.isEmpty else { return nil }
            guard let value = Int(text) else { problems.append(FieldError(field: key, message: "'\(text)' is not a whole number")); return nil }
            return value
        }
        func double(_ key: String) -> Double? {
            guard let text = f[key], !text.isEmpty else { return nil }
            guard let value = Double(text), value.isFinite else { problems.append(FieldError(field: key, message: "'\(text)' is not a number")); return nil }
            return value
        }
        func named<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type, default value: T? = nil) -> T? where T.RawValue == String {
            guard let text = f[key], !text.isEmpty else { return value }
            guard let parsed = T(rawValue: text) else {
                problems.append(FieldError(field: key, message: "'\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))"))
                return value
            }
            return parsed
        }
        func date(_ key: String) -> Date? {
            guard let text = f[key], !text.isEmpty else { return nil }
            guard let parsed = ISO8601DateFormatter().date(from: text) else {
                problems.append(FieldError(field: key, message: "'\(text)' is not an ISO 8601 time such as 2026-12-01T09:00:00Z")); return nil
            }
            return parsed
        }
        let encoder = ScalingJSON.encoder
        switch kind {
        case .policy:
            var policy = ScalingPolicyRecord(policyName: f["policyName"] ?? "", autoScalingGroupName: group,
                                             policyType: named("policyType", ScalingPolicyType.self, default: .simpleScaling) ?? .simpleScaling,
                                             adjustmentType: named("adjustmentType", AdjustmentType.self), scalingAdjustment: int("scalingAdjustment"),
                                             minAdjustmentMagnitude: int("minAdjustmentMagnitude"), cooldown: int("cooldown"),
                                             estimatedInstanceWarmup: int("estimatedInstanceWarmup"))
            if let steps = body["stepAdjustments"] as? [[String: Any]] {
                guard let data = try? JSONSerialization.data(withJSONObject: steps), let decoded = try? JSONDecoder().decode([StepAdjustment].self, from: data) else {
                    throw ConsoleError.invalid("stepAdjustments", "must be a list of {metricIntervalLowerBound, metricIntervalUpperBound, scalingAdjustment}")
                }
                policy.stepAdjustments = decoded
            } else if f.has("stepAdjustments") {
                policy.stepAdjustments = try f.list("stepAdjustments").flatMap { $0.split(separator: ",") }.map { entry in
                    let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                    func bound(_ text: String) -> Double?? { text.isEmpty ? .some(nil) : Double(text).map { .some($0) } }
                    guard parts.count == 3, let adjustment = Int(parts[2]), let lower = bound(parts[0]), let upper = bound(parts[1]) else {
                        throw ConsoleError.invalid("stepAdjustments", "'\(entry.prefix(100))' must be lower:upper:adjustment, e.g. 0:10:1 or 10::3")
                    }
                    return StepAdjustment(metricIntervalLowerBound: lower, metricIntervalUpperBound: upper, scalingAdjustment: adjustment)
                }
            }
            if let config = body["targetTrackingConfiguration"] {
                guard let data = try? JSONSerialization.data(withJSONObject: config),
                      let decoded = try? JSONDecoder().decode(TargetTrackingConfiguration.self, from: data) else {
                    throw ConsoleError.invalid("targetTrackingConfiguration", "must be {predefinedMetricSpecification: {predefinedMetricType: ASGAverageCPUUtilization}, targetValue: 50}")
                }
                policy.targetTrackingConfiguration = decoded
                policy.policyType = .targetTrackingScaling
            } else if f.has("targetValue") || f.has("predefinedMetricType") {
                let custom = named("customizedMetricName", ScalingMetric.self).map {
                    TargetTrackingConfiguration.CustomizedMetricSpecification(metricName: $0, statistic: named("statistic", AlarmStatistic.self, default: .average) ?? .average)
                }
                policy.targetTrackingConfiguration = TargetTrackingConfiguration(
                    predefined: custom == nil ? named("predefinedMetricType", PredefinedMetricType.self, default: .asgAverageCPUUtilization) : nil,
                    customized: custom, targetValue: double("targetValue") ?? 0, disableScaleIn: f["disableScaleIn"] == "true")
                policy.policyType = .targetTrackingScaling
            }
            problems += Self.unlessTold(policy.problems, problems)
            guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
            return (policy.policyName, String(decoding: try encoder.encode(policy), as: UTF8.self))
        case .alarm:
            guard let metric = named("metricName", ScalingMetric.self) else {
                throw ConsoleError.invalid("metricName", "is required: one of \(ScalingMetric.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let comparison = named("comparisonOperator", ComparisonOperator.self) else {
                throw ConsoleError.invalid("comparisonOperator", "is required: one of \(ComparisonOperator.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let actions = f.list("alarmActions").flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
            var alarm = AlarmRecord(alarmName: f["alarmName"] ?? "", autoScalingGroupName: group, metricName: metric,
                                    statistic: named("statistic", AlarmStatistic.self, default: .average) ?? .average, period: int("period") ?? 60,
                                    evaluationPeriods: int("evaluationPeriods") ?? 1, datapointsToAlarm: int("datapointsToAlarm"),
                                    threshold: double("threshold") ?? .nan, comparisonOperator: comparison,
                                    treatMissingData: named("treatMissingData", MissingDataTreatment.self, default: .missing) ?? .missing,
                                    alarmActions: actions, okActions: f.list("okActions").filter { !$0.isEmpty }, now: now())
            // AWS's periods are whole minutes; the console's collection interval paces local ones.
            problems += Self.unlessTold(alarm.problems(interval: current.isLocal ? scaling.intervalSeconds : 60), problems)
            let policies = Set(try await scalingDefinitions.scalingObjects(.policy, group: group).compactMap {
                (try? JSONDecoder().decode(ScalingPolicyRecord.self, from: Data($0.utf8)))?.policyName
            })
            for action in alarm.alarmActions + alarm.okActions {
                if action.hasPrefix("http") {
                    if !DeploymentNotification(webhookUrl: action).isWellFormed { problems.append(FieldError(field: "alarmActions", message: "'\(action)' is not an http(s) URL")) }
                } else if !policies.contains(action) {
                    problems.append(FieldError(field: "alarmActions", message: "'\(action)' is not a scaling policy of \(group)" + (current.isLocal ? " nor a webhook URL" : "")))
                }
            }
            // Saving an alarm again keeps its state.
            if let existing = try? await scalingObject(.alarm, alarm.alarmName, group: group, nameField: "alarmName"),
               let old = try? ScalingJSON.decoder.decode(AlarmRecord.self, from: Data(existing.0.utf8)) {
                alarm.stateValue = old.stateValue
                alarm.stateReason = old.stateReason
                alarm.stateUpdatedTimestamp = old.stateUpdatedTimestamp
            }
            guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
            return (alarm.alarmName, String(decoding: try encoder.encode(alarm), as: UTF8.self))
        case .scheduledAction:
            let action = ScheduledActionRecord(scheduledActionName: f["scheduledActionName"] ?? "", autoScalingGroupName: group, startTime: date("startTime"),
                                               endTime: date("endTime"), recurrence: f["recurrence"].flatMap { $0.isEmpty ? nil : $0 },
                                               timeZone: f["timeZone"].flatMap { $0.isEmpty ? nil : $0 }, minSize: int("minSize"), maxSize: int("maxSize"),
                                               desiredCapacity: int("desiredCapacity"))
            problems += Self.unlessTold(action.problems, problems)
            guard problems.isEmpty else { throw ConsoleError(ValidationFailure(problems)) }
            return (action.scheduledActionName, String(decoding: try encoder.encode(action), as: UTF8.self))
        }
    }
}
