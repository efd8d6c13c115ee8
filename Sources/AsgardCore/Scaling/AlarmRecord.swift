import Foundation

/// A metric alarm with CloudWatch's semantics, on one server group's metric.
public struct AlarmRecord: Sendable, Hashable, Codable {
    public var alarmName: String
    /// The group whose metric it watches (CloudWatch's AutoScalingGroupName dimension).
    public var autoScalingGroupName: String
    public var metricName: ScalingMetric
    public var statistic: AlarmStatistic
    /// Seconds per period.
    public var period: Int
    public var evaluationPeriods: Int
    /// Breaching periods among the last `evaluationPeriods` that set off the alarm ("M of N").
    public var datapointsToAlarm: Int
    public var threshold: Double
    public var comparisonOperator: ComparisonOperator
    public var treatMissingData: MissingDataTreatment
    /// Scaling policy names of the same group, or http(s) webhook URLs, run in ALARM.
    public var alarmActions: [String]
    /// Webhook URLs told when it returns to OK.
    public var okActions: [String]
    public var stateValue: AlarmState
    public var stateReason: String
    public var stateUpdatedTimestamp: Date

    /// Creates an alarm, INSUFFICIENT_DATA until its first evaluation.
    public init(alarmName: String, autoScalingGroupName: String, metricName: ScalingMetric, statistic: AlarmStatistic = .average, period: Int = 60,
                evaluationPeriods: Int = 1, datapointsToAlarm: Int? = nil, threshold: Double, comparisonOperator: ComparisonOperator,
                treatMissingData: MissingDataTreatment = .missing, alarmActions: [String] = [], okActions: [String] = [], now: Date) {
        self.alarmName = alarmName
        self.autoScalingGroupName = autoScalingGroupName
        self.metricName = metricName
        self.statistic = statistic
        self.period = period
        self.evaluationPeriods = evaluationPeriods
        self.datapointsToAlarm = datapointsToAlarm ?? evaluationPeriods
        self.threshold = threshold
        self.comparisonOperator = comparisonOperator
        self.treatMissingData = treatMissingData
        self.alarmActions = alarmActions
        self.okActions = okActions
        stateValue = .insufficientData
        stateReason = "Unchecked: initial alarm creation"
        stateUpdatedTimestamp = now
    }

    /// Every rule the alarm breaks; `interval` is how often metrics are collected.
    public func problems(interval: Int) -> [FieldError] {
        var problems: [FieldError] = []
        if alarmName.isEmpty || alarmName.count > 255 || alarmName.contains(where: { $0.isNewline }) {
            problems.append(FieldError(field: "alarmName", message: "is required: up to 255 characters on one line"))
        }
        if period < interval || period % interval != 0 || period > 86_400 {
            problems.append(FieldError(field: "period", message: "\(period) must be a multiple of the collection interval (\(interval) s), up to 86400"))
        }
        if !InputLimits.evaluationPeriods.contains(evaluationPeriods) {
            problems.append(FieldError(field: "evaluationPeriods", message: "\(evaluationPeriods) must be from 1 to 100"))
        }
        if !(1...max(1, evaluationPeriods)).contains(datapointsToAlarm) {
            problems.append(FieldError(field: "datapointsToAlarm", message: "\(datapointsToAlarm) must be from 1 to evaluationPeriods (\(evaluationPeriods))"))
        }
        if let problem = InputLimits.problem("threshold", threshold, InputLimits.metricValue) { problems.append(problem) }
        return problems
    }
}

/// CloudWatch's evaluation: the last `evaluationPeriods` periods, each reduced by the statistic;
/// ALARM when at least `datapointsToAlarm` breach, OK when too few can, else INSUFFICIENT_DATA.
public enum AlarmEvaluator {
    /// The state `alarm` should be in given `periods`, the statistic of each of the last periods
    /// (oldest first, nil where there was no data), with the reason in words.
    public static func evaluate(_ alarm: AlarmRecord, periods: [Double?]) -> (AlarmState, String) {
        let window = Array(periods.suffix(alarm.evaluationPeriods))
        var breaching = 0, present = 0
        for value in window {
            switch value {
            case let value?:
                present += 1
                if alarm.comparisonOperator.breaches(value, alarm.threshold) { breaching += 1 }
            case nil:
                switch alarm.treatMissingData {
                case .breaching: breaching += 1; present += 1
                case .notBreaching: present += 1
                case .missing, .ignore: break
                }
            }
        }
        let shown = window.map { $0.map { CanaryJudge.format($0) } ?? "–" }.joined(separator: ", ")
        let what = "\(alarm.metricName.rawValue) \(alarm.statistic.rawValue) \(alarm.comparisonOperator.symbol) \(CanaryJudge.format(alarm.threshold))"
        if breaching >= alarm.datapointsToAlarm {
            return (.alarm, "Threshold crossed: \(breaching) of the last \(window.count) datapoints [\(shown)] were \(what)")
        }
        if present == 0 {
            if alarm.treatMissingData == .ignore { return (alarm.stateValue, alarm.stateReason) }
            return (.insufficientData, "Insufficient data: no datapoint in the last \(alarm.evaluationPeriods) period\(alarm.evaluationPeriods == 1 ? "" : "s")")
        }
        return (.ok, "\(breaching) of the last \(window.count) datapoints [\(shown)] were \(what); \(alarm.datapointsToAlarm) set it off")
    }
}
