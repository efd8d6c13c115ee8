import ArgumentParser
import AsgardAPI
import AsgardCore
import Foundation

/// The list, show and delete that policies, alarms and schedules share.
enum ScalingCLI {
    static func list(_ global: GlobalOptions, path: String, nameField: String, group: String?, describe: ([String: Any]) -> String) async throws {
        let reply = try await global.client().get("/\(pathSegment(global.region))/\(path)/list.json", query: group.map { [("autoScalingGroupName", $0)] } ?? [])
        if global.output == .json { return print(TableOutput.raw(reply.body)) }
        let all = (try JSONSerialization.jsonObject(with: reply.body) as? [[String: Any]]) ?? []
        if all.isEmpty { return print("None.") }
        print(TableOutput.render(headers: ["NAME", "SERVER GROUP", "WHAT"], rows: all.map {
            [$0[nameField] as? String ?? "", $0["autoScalingGroupName"] as? String ?? "", describe($0)]
        }))
    }

    static func show(_ global: GlobalOptions, path: String, name: String, group: String?) async throws {
        let reply = try await global.client().get("/\(pathSegment(global.region))/\(path)/show/\(pathSegment(name)).json",
                                                  query: group.map { [("autoScalingGroupName", $0)] } ?? [])
        if global.output == .json { return print(TableOutput.raw(reply.body)) }
        // As the pages show it: one setting a line.
        guard let object = try? JSONSerialization.jsonObject(with: reply.body) as? [String: Any] else { return print(TableOutput.raw(reply.body)) }
        print(TableOutput.properties(object.keys.sorted().map { key in
            let value = object[key].flatMap { value -> String? in
                if let text = value as? String { return text }
                if JSONSerialization.isValidJSONObject(value), let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) {
                    return String(decoding: data, as: UTF8.self)
                }
                return "\(value)"
            } ?? ""
            return (key, value)
        }))
    }

    static func save(_ global: GlobalOptions, path: String, document: [String: Any], what: String) async throws {
        let reply = try await global.client().post("/\(pathSegment(global.region))/\(path)/save", document: document)
        if global.output == .json { return print(TableOutput.raw(reply.body)) }
        print("Saved \(what) (task \(reply.headers.first(name: "X-Task-Id") ?? "?"))")
    }

    static func delete(_ global: GlobalOptions, path: String, nameField: String, name: String, group: String) async throws {
        let reply = try await global.client().post("/\(pathSegment(global.region))/\(path)/delete", fields: [nameField: name, "autoScalingGroupName": group])
        if global.output == .json { return print(TableOutput.raw(reply.body)) }
        print("Deleted \(name) of \(group)")
    }
}

/// `asgard policy …`: scaling policies.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Save, list, show and delete scaling policies (target tracking, step, simple).",
        subcommands: [Save.self, List.self, Show.self, Delete.self])

    struct Save: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or replace a scaling policy.", discussion: """
            Examples:
              asgard policy save keep-requests --group shop-prod-v001 --metric ALBRequestCountPerTarget --target-value 600 --warmup 30
              asgard policy save add-two --group shop-prod-v001 --adjustment-type ChangeInCapacity --adjustment 2 --cooldown 120
              asgard policy save steps --group shop-prod-v001 --adjustment-type ChangeInCapacity --step 0:20:1 --step 20::3
            """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The policy's name.") var name: String
        @Option(help: "The server group.") var group: String
        @Option(help: "Target tracking: ASGAverageCPUUtilization or ALBRequestCountPerTarget.") var metric: String?
        @Option(help: "Target tracking: a metric of ours to track instead (e.g. TargetResponseTimeP99).") var customMetric: String?
        @Option(help: "Target tracking: the value to keep the metric at.") var targetValue: Double?
        @Flag(help: "Target tracking: never shrink the group.") var disableScaleIn = false
        @Option(help: "Step and simple: ChangeInCapacity, ExactCapacity or PercentChangeInCapacity.") var adjustmentType: String?
        @Option(help: "Simple: the change.") var adjustment: Int?
        @Option(help: "Step: lower:upper:adjustment of the breach (repeatable; an empty bound is infinite).") var step: [String] = []
        @Option(help: "Simple: seconds before it may act again (default 300).") var cooldown: Int?
        @Option(help: "Step and target tracking: seconds before it may act again (default 300).") var warmup: Int?
        @Option(help: "PercentChangeInCapacity: the least change.") var minAdjustmentMagnitude: Int?

        func run() async throws {
            try await runReporting {
                var document: [String: Any] = ["policyName": name, "autoScalingGroupName": group]
                if metric != nil || targetValue != nil || customMetric != nil {
                    document["policyType"] = "TargetTrackingScaling"
                    if let customMetric { document["customizedMetricName"] = customMetric } else { document["predefinedMetricType"] = metric ?? "ASGAverageCPUUtilization" }
                    if let targetValue { document["targetValue"] = String(targetValue) }
                    if disableScaleIn { document["disableScaleIn"] = "true" }
                } else {
                    document["policyType"] = step.isEmpty ? "SimpleScaling" : "StepScaling"
                    if let adjustmentType { document["adjustmentType"] = adjustmentType }
                    if let adjustment { document["scalingAdjustment"] = String(adjustment) }
                    if !step.isEmpty { document["stepAdjustments"] = step }
                }
                if let cooldown { document["cooldown"] = String(cooldown) }
                if let warmup { document["estimatedInstanceWarmup"] = String(warmup) }
                if let minAdjustmentMagnitude { document["minAdjustmentMagnitude"] = String(minAdjustmentMagnitude) }
                try await ScalingCLI.save(global, path: "scalingPolicy", document: document, what: "scaling policy \(name) of \(group)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List scaling policies.", discussion: "Example:\n  asgard policy list --group shop-prod-v001")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this server group's.") var group: String?
        func run() async throws {
            try await runReporting {
                try await ScalingCLI.list(global, path: "scalingPolicy", nameField: "policyName", group: group) {
                    ($0["policyType"] as? String ?? "") + (($0["targetTrackingConfiguration"] as? [String: Any])?["targetValue"].map { " target \($0)" } ?? "")
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a scaling policy as JSON.", discussion: "Example:\n  asgard policy show keep-requests --group shop-prod-v001")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The policy's name.") var name: String
        @Option(help: "The server group.") var group: String?
        func run() async throws { try await runReporting { try await ScalingCLI.show(global, path: "scalingPolicy", name: name, group: group) } }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a scaling policy.", discussion: "Example:\n  asgard policy delete keep-requests --group shop-prod-v001")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The policy's name.") var name: String
        @Option(help: "The server group.") var group: String
        func run() async throws {
            try await runReporting { try await ScalingCLI.delete(global, path: "scalingPolicy", nameField: "policyName", name: name, group: group) }
        }
    }
}

/// `asgard alarm …`: metric alarms.
struct AlarmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alarm", abstract: "Save, list, show and delete metric alarms.", subcommands: [Save.self, List.self, Show.self, Delete.self])

    struct Save: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or replace an alarm.", discussion: """
            Example:
              asgard alarm save shop-busy --group shop-prod-v001 --metric RequestCountPerTarget --threshold 1000 \\
                --comparison GreaterThanThreshold --period 10 --evaluation-periods 3 --action add-two
            """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The alarm's name.") var name: String
        @Option(help: "The server group whose metric it watches.") var group: String
        @Option(help: "The metric, e.g. CPUUtilization, RequestCountPerTarget, TargetResponseTimeP99.") var metric: String
        @Option(help: "Average (default), Sum, Minimum, Maximum or SampleCount.") var statistic: String?
        @Option(help: "Seconds per period (default 60).") var period: Int?
        @Option(help: "Periods looked at (default 1).") var evaluationPeriods: Int?
        @Option(help: "Breaching periods that set it off (default: all).") var datapoints: Int?
        @Option(help: "The threshold.") var threshold: Double
        @Option(help: "GreaterThanThreshold, GreaterThanOrEqualToThreshold, LessThanThreshold or LessThanOrEqualToThreshold.") var comparison: String
        @Option(help: "A scaling policy of the group or a webhook URL, run in ALARM (repeatable).") var action: [String] = []
        func run() async throws {
            try await runReporting {
                var document: [String: Any] = ["alarmName": name, "autoScalingGroupName": group, "metricName": metric, "threshold": String(threshold),
                                               "comparisonOperator": comparison, "alarmActions": action]
                if let statistic { document["statistic"] = statistic }
                if let period { document["period"] = String(period) }
                if let evaluationPeriods { document["evaluationPeriods"] = String(evaluationPeriods) }
                if let datapoints { document["datapointsToAlarm"] = String(datapoints) }
                try await ScalingCLI.save(global, path: "alarm", document: document, what: "alarm \(name) on \(group)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List alarms with their state.", discussion: "Example:\n  asgard alarm list")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this server group's.") var group: String?
        func run() async throws {
            try await runReporting {
                try await ScalingCLI.list(global, path: "alarm", nameField: "alarmName", group: group) {
                    "\($0["stateValue"] ?? ""): \($0["metricName"] ?? "") \($0["comparisonOperator"] ?? "") \($0["threshold"] ?? "")"
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an alarm as JSON.", discussion: "Example:\n  asgard alarm show shop-busy")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The alarm's name.") var name: String
        @Option(help: "The server group.") var group: String?
        func run() async throws { try await runReporting { try await ScalingCLI.show(global, path: "alarm", name: name, group: group) } }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an alarm.", discussion: "Example:\n  asgard alarm delete shop-busy --group shop-prod-v001")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The alarm's name.") var name: String
        @Option(help: "The server group.") var group: String
        func run() async throws { try await runReporting { try await ScalingCLI.delete(global, path: "alarm", nameField: "alarmName", name: name, group: group) } }
    }
}

/// `asgard schedule …`: scheduled actions.
struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule", abstract: "Save, list, show and delete scheduled actions.", subcommands: [Save.self, List.self, Show.self, Delete.self])

    struct Save: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create or replace a scheduled action.", discussion: """
            Examples:
              asgard schedule save mornings --group shop-prod-v001 --recurrence "0 8 * * 1-5" --time-zone Europe/Paris --desired 4
              asgard schedule save once --group shop-prod-v001 --start-time 2026-12-24T18:00:00Z --min 0 --desired 0
            """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The action's name.") var name: String
        @Option(help: "The server group.") var group: String
        @Option(help: "cron: minute hour day-of-month month day-of-week.") var recurrence: String?
        @Option(help: "The recurrence's time zone (default UTC).") var timeZone: String?
        @Option(help: "ISO 8601: when a one-time action runs, or when a recurrence starts.") var startTime: String?
        @Option(help: "ISO 8601: when a recurrence stops.") var endTime: String?
        @Option(help: "New minimum.") var min: Int?
        @Option(help: "New maximum.") var max: Int?
        @Option(help: "New desired capacity.") var desired: Int?
        func run() async throws {
            try await runReporting {
                var document: [String: Any] = ["scheduledActionName": name, "autoScalingGroupName": group]
                if let recurrence { document["recurrence"] = recurrence }
                if let timeZone { document["timeZone"] = timeZone }
                if let startTime { document["startTime"] = startTime }
                if let endTime { document["endTime"] = endTime }
                if let min { document["minSize"] = String(min) }
                if let max { document["maxSize"] = String(max) }
                if let desired { document["desiredCapacity"] = String(desired) }
                try await ScalingCLI.save(global, path: "scheduledAction", document: document, what: "scheduled action \(name) of \(group)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List scheduled actions.", discussion: "Example:\n  asgard schedule list --group shop-prod-v001")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this server group's.") var group: String?
        func run() async throws {
            try await runReporting {
                try await ScalingCLI.list(global, path: "scheduledAction", nameField: "scheduledActionName", group: group) {
                    ($0["recurrence"] as? String ?? "once at \($0["startTime"] ?? "?")") + " → desired \($0["desiredCapacity"] ?? "-")"
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a scheduled action as JSON.", discussion: "Example:\n  asgard schedule show mornings")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The action's name.") var name: String
        @Option(help: "The server group.") var group: String?
        func run() async throws { try await runReporting { try await ScalingCLI.show(global, path: "scheduledAction", name: name, group: group) } }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a scheduled action.", discussion: "Example:\n  asgard schedule delete mornings --group shop-prod-v001")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The action's name.") var name: String
        @Option(help: "The server group.") var group: String
        func run() async throws {
            try await runReporting { try await ScalingCLI.delete(global, path: "scheduledAction", nameField: "scheduledActionName", name: name, group: group) }
        }
    }
}

/// `asgard asg activities NAME`.
struct ActivitiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "activities", abstract: "Show a server group's activity history with the cause of each change.",
                                                    discussion: "Example:\n  asgard asg activities shop-prod-v001")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The server group.") var name: String
    @Option(help: "How many, newest first (default 50).") var limit: Int = 50

    func run() async throws {
        try await runReporting {
            let reply = try await global.client().get("/\(pathSegment(global.region))/autoScaling/activities/\(pathSegment(name)).json", query: [("limit", String(limit))])
            if global.output == .json { return print(TableOutput.raw(reply.body)) }
            let all = try APIJSON.decoder().decode([ScalingActivity].self, from: reply.body)
            if all.isEmpty { return print("No activity yet.") }
            for activity in all {
                print("\(TableOutput.date(activity.startTime))  \(activity.statusCode.rawValue)  \(activity.description)")
                print("    \(activity.cause)")
            }
        }
    }
}
