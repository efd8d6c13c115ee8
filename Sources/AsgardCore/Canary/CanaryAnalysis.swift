import Foundation

/// How a metric is compared: as a distribution of values (latency, CPU) with Mann-Whitney, or as
/// a proportion of events (errors among requests) with a two-proportion test.
public enum MetricKind: String, Sendable, Hashable, Codable {
    case distribution
    case proportion
}

/// Which change of a metric counts against the canary.
public enum MetricDirection: String, Sendable, Hashable, Codable {
    case increase
    case decrease
    case either
}

/// Where a canary metric's figures come from.
public enum MetricSource: String, Sendable, Hashable, Codable {
    /// The load balancers and the instances' processes, read by the console.
    case console
    /// A PromQL query to the configured Prometheus, once for the canary and once for the baseline.
    case prometheus
}

/// One metric the canary judge looks at, and its knobs (Kayenta's names where it has them).
public struct CanaryMetric: Sendable, Hashable, Codable {
    /// `errorRate`, `latency`, `cpu` or `memory` for the metrics the console collects; any name
    /// for a Prometheus query.
    public var name: String
    public var source: MetricSource
    /// The PromQL query of a Prometheus metric, with `{{serverGroup}}`, `{{region}}` and
    /// `{{cluster}}` filled in for the canary and for the baseline.
    public var query: String?
    public var kind: MetricKind
    /// The group its verdict counts in (`errors`, `latency`, `resources`).
    public var group: String
    public var direction: MetricDirection
    /// A failure fails the whole canary at once.
    public var critical: Bool
    /// Too little data makes the judgment inconclusive rather than ignoring the metric.
    public var mustHaveData: Bool
    /// Left out of the score.
    public var muted: Bool
    /// The canary fails only when its mean (or rate) is at least this many times the baseline's.
    public var allowedIncrease: Double
    /// The same for a decrease.
    public var allowedDecrease: Double
    /// The smallest difference that counts, in the metric's unit: a proportion fails only when
    /// the canary's rate is at least this much higher (0.01 = 1 point); a distribution only when
    /// the whole confidence interval of its shift lies this far out (latency: 1 ms, below which
    /// a loopback or LAN service's shift is noise such as a fresh instance's first connections).
    public var minimumDifference: Double

    /// Creates a metric.
    public init(name: String, kind: MetricKind, group: String, direction: MetricDirection = .increase, critical: Bool = false,
                mustHaveData: Bool = false, muted: Bool = false, allowedIncrease: Double = 1, allowedDecrease: Double = 1,
                minimumDifference: Double = 0.01, source: MetricSource = .console, query: String? = nil) {
        self.name = name
        self.source = source
        self.query = query
        self.kind = kind
        self.group = group
        self.direction = direction
        self.critical = critical
        self.mustHaveData = mustHaveData
        self.muted = muted
        self.allowedIncrease = allowedIncrease
        self.allowedDecrease = allowedDecrease
        self.minimumDifference = minimumDifference
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .name)
        self.name = name
        source = try c.decodeIfPresent(MetricSource.self, forKey: .source) ?? .console
        query = try c.decodeIfPresent(String.self, forKey: .query)
        let known = source == .console ? CanaryAnalysisConfig.defaultMetrics.first { $0.name == name } : nil
        kind = try c.decodeIfPresent(MetricKind.self, forKey: .kind) ?? known?.kind ?? .distribution
        group = try c.decodeIfPresent(String.self, forKey: .group) ?? known?.group ?? name
        direction = try c.decodeIfPresent(MetricDirection.self, forKey: .direction) ?? known?.direction ?? .increase
        critical = try c.decodeIfPresent(Bool.self, forKey: .critical) ?? known?.critical ?? false
        // A query that answers nothing is no data, never a pass.
        mustHaveData = source == .prometheus ? true : try c.decodeIfPresent(Bool.self, forKey: .mustHaveData) ?? known?.mustHaveData ?? false
        muted = try c.decodeIfPresent(Bool.self, forKey: .muted) ?? known?.muted ?? false
        allowedIncrease = try c.decodeIfPresent(Double.self, forKey: .allowedIncrease) ?? known?.allowedIncrease ?? 1
        allowedDecrease = try c.decodeIfPresent(Double.self, forKey: .allowedDecrease) ?? known?.allowedDecrease ?? 1
        minimumDifference = try c.decodeIfPresent(Double.self, forKey: .minimumDifference) ?? known?.minimumDifference ?? 0.01
    }

    /// The query for one arm: the template with `serverGroup`, `region` and `cluster` filled in.
    public func filledQuery(serverGroup: String, region: String, cluster: String) -> String? {
        query.map {
            $0.replacingOccurrences(of: "{{serverGroup}}", with: serverGroup).replacingOccurrences(of: "{{region}}", with: region)
                .replacingOccurrences(of: "{{cluster}}", with: cluster)
        }
    }

    /// The longest query accepted.
    public static let maxQueryLength = 4000
}

/// Which judge analyzes a canary.
public enum CanaryJudgeKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Kayenta's way: every interval, the window so far is judged with fixed-sample tests.
    case fixed
    /// Anytime-valid tests, updated every second: the canary fails the moment the evidence is
    /// strong enough, with a false-alarm probability under `alpha` however long it is watched.
    case sequential
}

/// How a canary is judged. The defaults work for a web service out of the box; every knob can
/// be set per deployment.
public struct CanaryAnalysisConfig: Sendable, Hashable, Codable {
    /// The judge: `fixed` (the default for now) or `sequential`.
    public var judge: CanaryJudgeKind
    /// The sequential judge's false-alarm probability for the whole analysis, split across its tests.
    public var alpha: Double
    /// Of the Mann-Whitney interval and of the proportion test (Kayenta: 0.98).
    public var confidence: Double
    /// The interval must lie beyond this share of the estimated shift (Kayenta: 0.25).
    public var tolerance: Double
    /// A score at least this passes.
    public var pass: Double
    /// A score at least this (and below `pass`) is marginal: a person decides; below, it fails.
    public var marginal: Double
    /// Requests each of canary and baseline need before their error rate and latency count.
    public var minimumRequests: Int
    /// Samples each side needs before a distribution (CPU, memory) counts.
    public var minimumSamples: Int
    /// The weight of each group in the score; groups left out share what remains of 100.
    public var groupWeights: [String: Double]
    public var metrics: [CanaryMetric]

    /// Error rate (critical), latency, CPU and memory.
    public static let defaultMetrics: [CanaryMetric] = [
        CanaryMetric(name: "errorRate", kind: .proportion, group: "errors", critical: true, mustHaveData: true, allowedIncrease: 1, minimumDifference: 0.01),
        CanaryMetric(name: "latency", kind: .distribution, group: "latency", mustHaveData: true, allowedIncrease: 1.5, minimumDifference: 1),
        CanaryMetric(name: "cpu", kind: .distribution, group: "resources", allowedIncrease: 2),
        CanaryMetric(name: "memory", kind: .distribution, group: "resources", allowedIncrease: 2),
    ]

    /// Creates a configuration; every argument has a default.
    public init(confidence: Double = 0.98, tolerance: Double = 0.25, pass: Double = 95, marginal: Double = 75, minimumRequests: Int = 50,
                minimumSamples: Int = 3, groupWeights: [String: Double] = ["errors": 50, "latency": 35, "resources": 15],
                metrics: [CanaryMetric] = CanaryAnalysisConfig.defaultMetrics, judge: CanaryJudgeKind = .fixed, alpha: Double = 0.01) {
        self.judge = judge
        self.alpha = alpha
        self.confidence = confidence
        self.tolerance = tolerance
        self.pass = pass
        self.marginal = marginal
        self.minimumRequests = minimumRequests
        self.minimumSamples = minimumSamples
        self.groupWeights = groupWeights
        self.metrics = metrics
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CanaryAnalysisConfig()
        confidence = try c.decodeIfPresent(Double.self, forKey: .confidence) ?? d.confidence
        tolerance = try c.decodeIfPresent(Double.self, forKey: .tolerance) ?? d.tolerance
        pass = try c.decodeIfPresent(Double.self, forKey: .pass) ?? d.pass
        marginal = try c.decodeIfPresent(Double.self, forKey: .marginal) ?? d.marginal
        minimumRequests = try c.decodeIfPresent(Int.self, forKey: .minimumRequests) ?? d.minimumRequests
        minimumSamples = try c.decodeIfPresent(Int.self, forKey: .minimumSamples) ?? d.minimumSamples
        groupWeights = try c.decodeIfPresent([String: Double].self, forKey: .groupWeights) ?? d.groupWeights
        metrics = try c.decodeIfPresent([CanaryMetric].self, forKey: .metrics) ?? d.metrics
        judge = try c.decodeIfPresent(CanaryJudgeKind.self, forKey: .judge) ?? d.judge
        alpha = try c.decodeIfPresent(Double.self, forKey: .alpha) ?? d.alpha
    }

    /// Every knob out of its range.
    public var problems: [FieldError] {
        var problems: [FieldError] = []
        func add(_ message: String) { problems.append(FieldError(field: "analysis", message: message)) }
        if !(0.5..<1).contains(confidence) { add("confidence \(confidence) must be at least 0.5 and below 1, e.g. 0.98") }
        if !(0...10).contains(tolerance) { add("tolerance \(tolerance) must be from 0 to 10") }
        if !InputLimits.isAlpha(alpha) { add("alpha \(alpha) must be above 0 and at most 0.2, e.g. 0.01 (the sequential judge's false-alarm probability)") }
        if !(0...100).contains(marginal) || !(0...100).contains(pass) || marginal > pass {
            add("needs 0 <= marginal <= pass <= 100; got marginal \(marginal), pass \(pass)")
        }
        if !InputLimits.minimumRequests.contains(minimumRequests) { add("minimumRequests \(minimumRequests) must be from 1 to 1000000000") }
        if !(2...InputLimits.minimumRequests.upperBound).contains(minimumSamples) { add("minimumSamples \(minimumSamples) must be from 2 to 1000000000") }
        if metrics.isEmpty { add("needs at least one metric") }
        if groupWeights.values.contains(where: { !(0...100).contains($0) }) || !(groupWeights.values.reduce(0, +) <= 100.0001) {
            add("group weights must not be negative and must add up to at most 100")
        }
        let known = Set(CanaryAnalysisConfig.defaultMetrics.map(\.name))
        for metric in metrics where metric.source == .console && !known.contains(metric.name) {
            add("metric '\(metric.name)' is not one the console collects: \(known.sorted().joined(separator: ", ")); "
                + "a metric of your own needs \"source\": \"prometheus\" and a \"query\"")
        }
        for metric in metrics where metric.source == .prometheus {
            let query = metric.query ?? ""
            if query.trimmingCharacters(in: .whitespaces).isEmpty {
                add("metric '\(metric.name)' has source prometheus but no query; give its PromQL, e.g. "
                    + "sum(rate(http_requests_total{server_group=\"{{serverGroup}}\",code=~\"5..\"}[1m]))")
            } else if query.utf8.count > CanaryMetric.maxQueryLength {
                add("metric '\(metric.name)': its query is \(query.utf8.count) bytes; at most \(CanaryMetric.maxQueryLength)")
            } else if !query.contains("{{serverGroup}}") {
                add("metric '\(metric.name)': its query must name {{serverGroup}}, which is filled in once for the canary and once for the baseline")
            }
            if metric.kind != .distribution { add("metric '\(metric.name)': a Prometheus metric is judged as a distribution of its values; leave kind out") }
            if judge == .sequential { add("metric '\(metric.name)': Prometheus metrics are judged by the fixed judge; use \"judge\": \"fixed\"") }
        }
        if Set(metrics.map(\.name)).count != metrics.count { add("two metrics have the same name") }
        if metrics.count > 20 { add("\(metrics.count) metrics; at most 20") }
        for metric in metrics {
            for (knob, value, range) in [("allowedIncrease", metric.allowedIncrease, 1.0...1000), ("allowedDecrease", metric.allowedDecrease, 0.0...1),
                                         ("minimumDifference", metric.minimumDifference, 0.0...1_000_000)] where !range.contains(value) {
                add("metric '\(metric.name)': \(knob) \(CanaryJudge.format(value)) must be a number from \(CanaryJudge.format(range.lowerBound)) to \(CanaryJudge.format(range.upperBound))")
            }
        }
        return problems
    }
}

/// The events of a proportion: errors among requests.
public struct Proportion: Sendable, Hashable, Codable {
    public var events: Int
    public var total: Int

    /// Creates a proportion.
    public init(events: Int, total: Int) {
        self.events = events
        self.total = total
    }

    /// events / total, 0 when there is nothing.
    public var rate: Double { total > 0 ? Double(events) / Double(total) : 0 }
}

/// What was observed of one metric for canary and baseline over the analysis window.
public enum MetricObservations: Sendable, Hashable {
    case samples(canary: [WeightedValue], baseline: [WeightedValue])
    case proportion(canary: Proportion, baseline: Proportion)
    /// Nothing could be read, and why (a Prometheus query that failed or answered nothing).
    case missing(reason: String)
}

/// The verdict on one metric (Kayenta's classifications).
public enum MetricClassification: String, Sendable, Hashable, Codable {
    case pass
    case high
    case low
    case nodata
    case error
}

/// How a whole judgment came out.
public enum CanaryOutcome: String, Sendable, Hashable, Codable {
    /// Go on.
    case pass
    /// A person decides.
    case marginal
    /// Roll back.
    case fail
    /// Too little data to say; never a pass.
    case inconclusive
}
