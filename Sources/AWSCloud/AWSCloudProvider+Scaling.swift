import AsgardCloud
import AsgardCore
import AsgardStore
import Foundation

/// Scaling policies, CloudWatch alarms and scheduled actions of an AWS region live in AWS (AWS
/// runs them); the console writes and reads them with AWS's field names, as the local store
/// keeps them.
extension AWSCloudProvider: ScalingDefinitionStore {
    /// Where CloudWatch keeps a metric per Auto Scaling group, for the metrics it has.
    static func namespace(of metric: ScalingMetric) -> String? {
        switch metric {
        case .cpuUtilization: "AWS/EC2"
        case .inServiceInstances: "AWS/AutoScaling"
        default: nil
        }
    }

    static func invalid(_ field: String, _ message: String) -> CloudError {
        CloudError(.invalidRequest, "\(field): \(message)")
    }

    public func scalingObjects(_ kind: ScalingObjectKind, group: String?) async throws -> [String] {
        try await aws {
            switch kind {
            case .policy:
                return try await policies(of: group).map { String(decoding: try ScalingJSON.encoder.encode($0.record), as: UTF8.self) }
            case .alarm:
                return try await alarms().filter { group == nil || $0.autoScalingGroupName == group }
                    .map { String(decoding: try ScalingJSON.encoder.encode($0), as: UTF8.self) }
            case .scheduledAction:
                return try await scheduledActions(of: group).map { String(decoding: try ScalingJSON.encoder.encode($0), as: UTF8.self) }
            }
        }
    }

    public func saveScalingObject(_ kind: ScalingObjectKind, group: String, name: String, json: String, task: TaskDraft) async throws -> TaskRecord {
        try await aws {
            switch kind {
            case .policy:
                try await putPolicy(try ScalingJSON.decoder.decode(ScalingPolicyRecord.self, from: Data(json.utf8)))
            case .alarm:
                try await putAlarm(try ScalingJSON.decoder.decode(AlarmRecord.self, from: Data(json.utf8)))
            case .scheduledAction:
                try await putScheduledAction(try ScalingJSON.decoder.decode(ScheduledActionRecord.self, from: Data(json.utf8)))
            }
        }
        return try await recordTask(task)
    }

    public func deleteScalingObject(_ kind: ScalingObjectKind, group: String, name: String, task: TaskDraft) async throws -> TaskRecord {
        try await aws {
            switch kind {
            case .policy:
                guard try await policies(of: group).contains(where: { $0.record.policyName == name }) else { throw StoreError(.notFound, "no policy \(name)") }
                _ = try await autoScaling.client.call("DeletePolicy", [("AutoScalingGroupName", group), ("PolicyName", name)])
            case .alarm:
                guard try await alarms().contains(where: { $0.alarmName == name && $0.autoScalingGroupName == group }) else { throw StoreError(.notFound, "no alarm \(name)") }
                _ = try await cloudWatch.client.call("DeleteAlarms", [("AlarmNames.member.1", name)])
            case .scheduledAction:
                guard try await scheduledActions(of: group).contains(where: { $0.scheduledActionName == name }) else {
                    throw StoreError(.notFound, "no scheduled action \(name)")
                }
                _ = try await autoScaling.client.call("DeleteScheduledAction", [("AutoScalingGroupName", group), ("ScheduledActionName", name)])
            }
        }
        return try await recordTask(task)
    }

    // MARK: Policies

    func policies(of group: String?) async throws -> [(record: ScalingPolicyRecord, arn: String)] {
        let pages = try await autoScaling.client.pages("DescribePolicies", group.map { [("AutoScalingGroupName", $0)] } ?? [])
        return pages.flatMap { $0.find("ScalingPolicies")?.children("member") ?? [] }.compactMap { node in
            guard let name = node.string("PolicyName"), let owner = node.string("AutoScalingGroupName") else { return nil }
            func int(_ key: String) -> Int? { node.string(key).flatMap { Int($0) } }
            var policy = ScalingPolicyRecord(policyName: name, autoScalingGroupName: owner,
                                             policyType: ScalingPolicyType(rawValue: node.string("PolicyType") ?? "") ?? .simpleScaling,
                                             adjustmentType: node.string("AdjustmentType").flatMap(AdjustmentType.init(rawValue:)),
                                             scalingAdjustment: int("ScalingAdjustment"), minAdjustmentMagnitude: int("MinAdjustmentMagnitude"),
                                             cooldown: int("Cooldown"), estimatedInstanceWarmup: int("EstimatedInstanceWarmup"))
            let steps = node.list("StepAdjustments").map {
                StepAdjustment(metricIntervalLowerBound: $0.string("MetricIntervalLowerBound").flatMap(Double.init),
                               metricIntervalUpperBound: $0.string("MetricIntervalUpperBound").flatMap(Double.init),
                               scalingAdjustment: Int($0.string("ScalingAdjustment") ?? "") ?? 0)
            }
            policy.stepAdjustments = steps.isEmpty ? nil : steps
            if let tracking = node.child("TargetTrackingConfiguration") {
                let predefined = tracking.string("PredefinedMetricSpecification", "PredefinedMetricType").flatMap(PredefinedMetricType.init(rawValue:))
                let custom = tracking.child("CustomizedMetricSpecification").flatMap { spec in
                    spec.string("MetricName").flatMap(ScalingMetric.init(rawValue:)).map {
                        TargetTrackingConfiguration.CustomizedMetricSpecification(metricName: $0, statistic: AlarmStatistic(rawValue: spec.string("Statistic") ?? "") ?? .average)
                    }
                }
                policy.targetTrackingConfiguration = TargetTrackingConfiguration(
                    predefined: predefined, customized: custom, targetValue: tracking.string("TargetValue").flatMap(Double.init) ?? 0,
                    disableScaleIn: tracking.string("DisableScaleIn").map { $0 == "true" })
            }
            return (policy, node.string("PolicyARN") ?? "")
        }.sorted { ($0.record.autoScalingGroupName, $0.record.policyName) < ($1.record.autoScalingGroupName, $1.record.policyName) }
    }

    func putPolicy(_ policy: ScalingPolicyRecord) async throws {
        var parameters = [("AutoScalingGroupName", policy.autoScalingGroupName), ("PolicyName", policy.policyName), ("PolicyType", policy.policyType.rawValue)]
        if let type = policy.adjustmentType, policy.policyType != .targetTrackingScaling { parameters.append(("AdjustmentType", type.rawValue)) }
        if let adjustment = policy.scalingAdjustment, policy.policyType == .simpleScaling { parameters.append(("ScalingAdjustment", String(adjustment))) }
        if let magnitude = policy.minAdjustmentMagnitude { parameters.append(("MinAdjustmentMagnitude", String(magnitude))) }
        if let cooldown = policy.cooldown, policy.policyType == .simpleScaling { parameters.append(("Cooldown", String(cooldown))) }
        if let warmup = policy.estimatedInstanceWarmup, policy.policyType != .simpleScaling { parameters.append(("EstimatedInstanceWarmup", String(warmup))) }
        for (index, step) in (policy.stepAdjustments ?? []).enumerated() where policy.policyType == .stepScaling {
            let prefix = "StepAdjustments.member.\(index + 1)"
            if let lower = step.metricIntervalLowerBound { parameters.append(("\(prefix).MetricIntervalLowerBound", String(lower))) }
            if let upper = step.metricIntervalUpperBound { parameters.append(("\(prefix).MetricIntervalUpperBound", String(upper))) }
            parameters.append(("\(prefix).ScalingAdjustment", String(step.scalingAdjustment)))
        }
        if let tracking = policy.targetTrackingConfiguration, policy.policyType == .targetTrackingScaling {
            let prefix = "TargetTrackingConfiguration"
            if let custom = tracking.customizedMetricSpecification {
                guard let namespace = Self.namespace(of: custom.metricName) else {
                    throw Self.invalid("customizedMetricName", "CloudWatch has no per-group \(custom.metricName.rawValue); track CPUUtilization or GroupInServiceInstances in AWS regions")
                }
                parameters += [("\(prefix).CustomizedMetricSpecification.MetricName", custom.metricName.rawValue),
                               ("\(prefix).CustomizedMetricSpecification.Namespace", namespace),
                               ("\(prefix).CustomizedMetricSpecification.Statistic", custom.statistic.rawValue),
                               ("\(prefix).CustomizedMetricSpecification.Dimensions.member.1.Name", "AutoScalingGroupName"),
                               ("\(prefix).CustomizedMetricSpecification.Dimensions.member.1.Value", policy.autoScalingGroupName)]
            } else {
                let type = tracking.predefinedMetricSpecification?.predefinedMetricType ?? .asgAverageCPUUtilization
                parameters.append(("\(prefix).PredefinedMetricSpecification.PredefinedMetricType", type.rawValue))
                if type == .albRequestCountPerTarget {
                    parameters.append(("\(prefix).PredefinedMetricSpecification.ResourceLabel", try await requestCountLabel(of: policy.autoScalingGroupName)))
                }
            }
            parameters.append(("\(prefix).TargetValue", String(tracking.targetValue)))
            if let disable = tracking.disableScaleIn { parameters.append(("\(prefix).DisableScaleIn", disable ? "true" : "false")) }
        }
        _ = try await autoScaling.client.call("PutScalingPolicy", parameters)
    }

    /// ALBRequestCountPerTarget's resource label: `app/NAME/ID/targetgroup/NAME/ID` of the
    /// group's target group behind its one application load balancer.
    func requestCountLabel(of group: String) async throws -> String {
        try await filled()
        guard let found = await cache.groups[group] else {
            throw Self.invalid("autoScalingGroupName", "\(group) is not a server group of \(region)")
        }
        let balancers = try await applicationNames(in: Self.loadBalancerNames(of: found))
        guard balancers.count == 1, let balancer = await cache.applications[balancers[0]],
              let targetGroup = await cache.targetGroups[Self.targetGroupName(balancer: balancers[0], group: group)] else {
            throw Self.invalid("predefinedMetricType", "ALBRequestCountPerTarget counts the requests of one application load balancer; \(group) is behind \(balancers.count == 0 ? "none" : balancers.joined(separator: ", ")), so track ASGAverageCPUUtilization")
        }
        return balancer.metricDimension + "/" + targetGroup.metricDimension
    }

    // MARK: Alarms

    /// The account's alarms on one Auto Scaling group's metric (the console's kind).
    func alarms() async throws -> [AlarmRecord] {
        let pages = try await cloudWatch.client.pages("DescribeAlarms", [("MaxRecords", "100")])
        return pages.flatMap { $0.find("MetricAlarms")?.children("member") ?? [] }.compactMap { node in
            guard let name = node.string("AlarmName"), let metric = node.string("MetricName").flatMap(ScalingMetric.init(rawValue:)),
                  let group = node.list("Dimensions").first(where: { $0.string("Name") == "AutoScalingGroupName" })?.string("Value"),
                  let comparison = node.string("ComparisonOperator").flatMap(ComparisonOperator.init(rawValue:)) else { return nil }
            func int(_ key: String) -> Int? { node.string(key).flatMap { Int($0) } }
            // Policy ARNs end with `policyName/NAME`: the console shows the name.
            let actions = node.list("AlarmActions").compactMap { $0.string() }.map { arn in
                arn.range(of: "policyName/").map { String(arn[$0.upperBound...]) } ?? arn
            }
            var alarm = AlarmRecord(alarmName: name, autoScalingGroupName: group, metricName: metric,
                                    statistic: AlarmStatistic(rawValue: node.string("Statistic") ?? "") ?? .average, period: int("Period") ?? 60,
                                    evaluationPeriods: int("EvaluationPeriods") ?? 1, datapointsToAlarm: int("DatapointsToAlarm"),
                                    threshold: node.string("Threshold").flatMap(Double.init) ?? 0, comparisonOperator: comparison,
                                    treatMissingData: MissingDataTreatment(rawValue: node.string("TreatMissingData") ?? "") ?? .missing,
                                    alarmActions: actions, okActions: node.list("OKActions").compactMap { $0.string() },
                                    now: node.string("StateUpdatedTimestamp").flatMap(AWSDate.parse) ?? Date(timeIntervalSince1970: 0))
            alarm.stateValue = AlarmState(rawValue: node.string("StateValue") ?? "") ?? .insufficientData
            alarm.stateReason = node.string("StateReason") ?? ""
            return alarm
        }.sorted { ($0.autoScalingGroupName, $0.alarmName) < ($1.autoScalingGroupName, $1.alarmName) }
    }

    func putAlarm(_ alarm: AlarmRecord) async throws {
        guard let namespace = Self.namespace(of: alarm.metricName) else {
            throw Self.invalid("metricName", "CloudWatch has no per-group \(alarm.metricName.rawValue); in AWS regions alarms watch CPUUtilization or GroupInServiceInstances")
        }
        guard alarm.period % 60 == 0 else { throw Self.invalid("period", "\(alarm.period) must be a multiple of 60 in AWS regions") }
        if let webhook = (alarm.alarmActions + alarm.okActions).first(where: { $0.hasPrefix("http") }) {
            throw Self.invalid("alarmActions", "'\(webhook)': AWS alarms notify through SNS topics, not webhooks; webhooks work in local regions")
        }
        let policies = try await policies(of: alarm.autoScalingGroupName)
        var arns: [String] = []
        for name in alarm.alarmActions {
            guard let arn = policies.first(where: { $0.record.policyName == name })?.arn, !arn.isEmpty else {
                throw Self.invalid("alarmActions", "'\(name)' is not a scaling policy of \(alarm.autoScalingGroupName)")
            }
            arns.append(arn)
        }
        let parameters = [("AlarmName", alarm.alarmName), ("MetricName", alarm.metricName.rawValue), ("Namespace", namespace),
                          ("Statistic", alarm.statistic.rawValue), ("Period", String(alarm.period)), ("EvaluationPeriods", String(alarm.evaluationPeriods)),
                          ("DatapointsToAlarm", String(alarm.datapointsToAlarm)), ("Threshold", String(alarm.threshold)),
                          ("ComparisonOperator", alarm.comparisonOperator.rawValue), ("TreatMissingData", alarm.treatMissingData.rawValue),
                          ("Dimensions.member.1.Name", "AutoScalingGroupName"), ("Dimensions.member.1.Value", alarm.autoScalingGroupName)]
            + AWSAutoScaling.members("AlarmActions", arns)
        _ = try await cloudWatch.client.call("PutMetricAlarm", parameters)
    }

    // MARK: Scheduled actions

    func scheduledActions(of group: String?) async throws -> [ScheduledActionRecord] {
        let pages = try await autoScaling.client.pages("DescribeScheduledActions", group.map { [("AutoScalingGroupName", $0)] } ?? [])
        return pages.flatMap { $0.find("ScheduledUpdateGroupActions")?.children("member") ?? [] }.compactMap { node in
            guard let name = node.string("ScheduledActionName"), let owner = node.string("AutoScalingGroupName") else { return nil }
            func int(_ key: String) -> Int? { node.string(key).flatMap { Int($0) } }
            return ScheduledActionRecord(scheduledActionName: name, autoScalingGroupName: owner, startTime: node.string("StartTime").flatMap(AWSDate.parse),
                                         endTime: node.string("EndTime").flatMap(AWSDate.parse), recurrence: node.string("Recurrence").flatMap { $0.isEmpty ? nil : $0 },
                                         timeZone: node.string("TimeZone").flatMap { $0.isEmpty ? nil : $0 }, minSize: int("MinSize"), maxSize: int("MaxSize"),
                                         desiredCapacity: int("DesiredCapacity"))
        }.sorted { ($0.autoScalingGroupName, $0.scheduledActionName) < ($1.autoScalingGroupName, $1.scheduledActionName) }
    }

    func putScheduledAction(_ action: ScheduledActionRecord) async throws {
        var parameters = [("AutoScalingGroupName", action.autoScalingGroupName), ("ScheduledActionName", action.scheduledActionName)]
        if let start = action.startTime { parameters.append(("StartTime", start.formatted(.iso8601))) }
        if let end = action.endTime { parameters.append(("EndTime", end.formatted(.iso8601))) }
        if let recurrence = action.recurrence { parameters.append(("Recurrence", recurrence)) }
        if let zone = action.timeZone { parameters.append(("TimeZone", zone)) }
        if let size = action.minSize { parameters.append(("MinSize", String(size))) }
        if let size = action.maxSize { parameters.append(("MaxSize", String(size))) }
        if let size = action.desiredCapacity { parameters.append(("DesiredCapacity", String(size))) }
        _ = try await autoScaling.client.call("PutScheduledUpdateGroupAction", parameters)
    }
}
