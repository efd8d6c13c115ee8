import Foundation

/// The verdict on one metric, with the figures behind it.
public struct MetricVerdict: Sendable, Hashable, Codable {
    public var name: String
    public var group: String
    public var classification: MetricClassification
    /// A critical metric that failed: the canary fails whatever the score.
    public var failsCanary: Bool
    /// The canary's mean (or rate) and the baseline's.
    public var canary: Double
    public var baseline: Double
    /// Mann-Whitney's interval of the shift, for a distribution.
    public var interval: MannWhitney.Interval?
    /// The one-sided p-value, for a proportion.
    public var pValue: Double?
    /// The verdict in words ("error rate 31 % vs 0.2 %, p < 0.001").
    public var reason: String
}

/// The verdict on a whole analysis interval.
public struct CanaryVerdict: Sendable, Hashable, Codable {
    /// 0–100.
    public var score: Double
    public var outcome: CanaryOutcome
    public var metrics: [MetricVerdict]
    /// Score of each group that had data.
    public var groupScores: [String: Double]
    /// The outcome in words.
    public var reason: String
}

/// Kayenta's NetflixACAJudge, ported, with its blind spots fixed: error rates are judged as
/// proportions (a baseline without errors and a canary with errors can fail), too little data is
/// inconclusive and never a pass, constant series are compared exactly (no random noise, so the
/// same data always gives the same verdict), and a group without data does not count as 100.
public enum CanaryJudge {
    /// Judges `observations` (by metric name) with `config`.
    public static func judge(_ observations: [String: MetricObservations], config: CanaryAnalysisConfig) -> CanaryVerdict {
        let verdicts = config.metrics.filter { !$0.muted }.map { metric in
            classify(metric, observations[metric.name], config: config)
        }
        var groups: [String: (pass: Int, counted: Int)] = [:]
        for verdict in verdicts where [.pass, .high, .low].contains(verdict.classification) {
            groups[verdict.group, default: (0, 0)].counted += 1
            if verdict.classification == .pass { groups[verdict.group, default: (0, 0)].pass += 1 }
        }
        let groupScores = groups.mapValues { 100 * Double($0.pass) / Double($0.counted) }
        // Weights of the groups with data, renormalized to 100.
        let allGroups = Set(config.metrics.filter { !$0.muted }.map(\.group))
        let configured = allGroups.compactMap { config.groupWeights[$0] }.reduce(0, +)
        let unweighted = allGroups.filter { config.groupWeights[$0] == nil }.count
        func weight(_ group: String) -> Double {
            config.groupWeights[group] ?? (unweighted > 0 ? max(0, 100 - configured) / Double(unweighted) : 0)
        }
        let totalWeight = groupScores.keys.map(weight).reduce(0, +)
        var score = totalWeight > 0 ? groupScores.map { $0.value * weight($0.key) }.reduce(0, +) / totalWeight : 0
        score = (score * 100).rounded() / 100

        let failed = verdicts.filter(\.failsCanary)
        let mustHave = Set(config.metrics.filter(\.mustHaveData).map(\.name))
        let missing = verdicts.filter { $0.classification == .nodata && mustHave.contains($0.name) }
        let outcome: CanaryOutcome
        let reason: String
        let bad = verdicts.filter { [.high, .low].contains($0.classification) }
        if !failed.isEmpty {
            outcome = .fail
            score = 0
            reason = "critical metric failed: " + failed.map(\.reason).joined(separator: "; ")
        } else if !missing.isEmpty || totalWeight == 0 {
            outcome = .inconclusive
            reason = missing.isEmpty ? "no metric had data" : missing.map(\.reason).joined(separator: "; ")
        } else if score >= config.pass {
            outcome = .pass
            reason = "score \(format(score)) ≥ pass \(format(config.pass))"
        } else if score >= config.marginal {
            outcome = .marginal
            reason = "score \(format(score)) is marginal (pass \(format(config.pass))): " + bad.map(\.reason).joined(separator: "; ")
        } else {
            outcome = .fail
            reason = "score \(format(score)) < marginal \(format(config.marginal)): " + bad.map(\.reason).joined(separator: "; ")
        }
        return CanaryVerdict(score: score, outcome: outcome, metrics: verdicts, groupScores: groupScores, reason: reason)
    }

    /// One metric's classification.
    static func classify(_ metric: CanaryMetric, _ observed: MetricObservations?, config: CanaryAnalysisConfig) -> MetricVerdict {
        var verdict = MetricVerdict(name: metric.name, group: metric.group, classification: .nodata, failsCanary: false, canary: 0, baseline: 0,
                                    interval: nil, pValue: nil, reason: "\(label(metric.name)): no data")
        switch observed {
        case nil:
            break
        case .missing(let reason)?:
            verdict.reason = "\(label(metric.name)): no data (\(reason))"
        case .proportion(let canary, let baseline)?:
            verdict.canary = canary.rate
            verdict.baseline = baseline.rate
            guard canary.total >= config.minimumRequests, baseline.total >= config.minimumRequests else {
                verdict.reason = "\(label(metric.name)): too few requests (canary \(canary.total), baseline \(baseline.total); needs \(config.minimumRequests) each)"
                break
            }
            let p = proportionPValue(canary: canary, baseline: baseline, direction: metric.direction)
            verdict.pValue = p
            let difference = canary.rate - baseline.rate
            let ratio = baseline.rate > 0 ? canary.rate / baseline.rate : .nan
            let significant = p < 1 - config.confidence
            let words = "\(label(metric.name)) \(percent(canary.rate)) vs \(percent(baseline.rate)), \(pText(p))"
            if significant, metric.direction != .decrease, difference >= metric.minimumDifference, ratio.isNaN || ratio >= metric.allowedIncrease {
                verdict.classification = .high
            } else if significant, metric.direction != .increase, -difference >= metric.minimumDifference, ratio.isNaN || ratio <= metric.allowedDecrease {
                verdict.classification = .low
            } else {
                verdict.classification = .pass
            }
            verdict.reason = words
        case .samples(let canary, let baseline)?:
            let nc = canary.reduce(0) { $0 + $1.count }, nb = baseline.reduce(0) { $0 + $1.count }
            // The console's own latency counts requests; a query's points are samples.
            let minimum = metric.mustHaveData && metric.source == .console ? config.minimumRequests : config.minimumSamples
            verdict.canary = mean(canary)
            verdict.baseline = mean(baseline)
            guard nc >= minimum, nb >= minimum else {
                verdict.reason = "\(label(metric.name)): too few samples (canary \(nc), baseline \(nb); needs \(minimum) each)"
                break
            }
            let unit = self.unit(metric.name)
            let interval: MannWhitney.Interval
            let distinctCanary = Set(canary.map(\.value)), distinctBaseline = Set(baseline.map(\.value))
            if distinctCanary.count == 1, distinctBaseline.count == 1 {
                // Constant series: the shift is exact (Kayenta added random noise here).
                let shift = canary[0].value - baseline[0].value
                interval = MannWhitney.Interval(lower: shift, upper: shift, estimate: shift)
            } else {
                do {
                    interval = try MannWhitney.interval(experiment: canary, control: baseline, confidence: config.confidence)
                } catch {
                    verdict.classification = .error
                    verdict.reason = "\(label(metric.name)): cannot be tested (\(error))"
                    break
                }
            }
            verdict.interval = interval
            let bound = max(config.tolerance * abs(interval.estimate), metric.minimumDifference)
            let ratio = verdict.baseline != 0 && verdict.canary != 0 ? verdict.canary / verdict.baseline : .nan
            if metric.direction != .decrease, interval.lower > bound, interval.lower > 0, ratio.isNaN || ratio >= metric.allowedIncrease {
                verdict.classification = .high
            } else if metric.direction != .increase, interval.upper < -bound, interval.upper < 0, ratio.isNaN || ratio <= metric.allowedDecrease {
                verdict.classification = .low
            } else {
                verdict.classification = .pass
            }
            verdict.reason = "\(label(metric.name)) \(format(verdict.canary))\(unit) vs \(format(verdict.baseline))\(unit)"
                + (ratio.isNaN ? "" : " (×\(format(ratio)))")
                + ", shift \(format(interval.estimate))\(unit) in [\(format(interval.lower)), \(format(interval.upper))] at \(format(config.confidence * 100)) %"
        }
        if metric.critical, verdict.classification == .high || verdict.classification == .low {
            verdict.failsCanary = true
        }
        return verdict
    }

    /// The one-sided p-value of a two-proportion z-test (pooled) that the canary's rate is higher
    /// (lower, or different for `either`) than the baseline's.
    public static func proportionPValue(canary: Proportion, baseline: Proportion, direction: MetricDirection) -> Double {
        let n1 = Double(canary.total), n2 = Double(baseline.total)
        guard n1 > 0, n2 > 0 else { return 1 }
        let pooled = Double(canary.events + baseline.events) / (n1 + n2)
        guard pooled > 0, pooled < 1 else { return 1 }
        let z = (canary.rate - baseline.rate) / (pooled * (1 - pooled) * (1 / n1 + 1 / n2)).squareRoot()
        switch direction {
        case .increase: return 1 - NormalDistribution.cdf(z)
        case .decrease: return NormalDistribution.cdf(z)
        case .either: return 2 * (1 - NormalDistribution.cdf(abs(z)))
        }
    }

    static func mean(_ values: [WeightedValue]) -> Double {
        let n = values.reduce(0) { $0 + $1.count }
        return n > 0 ? values.reduce(0) { $0 + $1.value * Double($1.count) } / Double(n) : 0
    }

    static func label(_ name: String) -> String {
        switch name {
        case "errorRate": "error rate"
        case "latency": "latency"
        case "cpu": "CPU"
        case "memory": "memory"
        default: name
        }
    }

    static func unit(_ name: String) -> String {
        switch name {
        case "latency": " ms"
        case "cpu": " %"
        case "memory": " MiB"
        default: ""
        }
    }

    static func percent(_ rate: Double) -> String {
        let value = rate * 100
        return (value >= 10 || value == 0 ? String(format: "%.0f", value) : String(format: "%.1f", value)) + " %"
    }

    static func pText(_ p: Double) -> String {
        p < 0.001 ? "p < 0.001" : "p = \(String(format: "%.3f", p))"
    }

    /// A figure as the verdicts write it: whole numbers bare, others to 2–3 significant digits.
    public static func format(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        if value == value.rounded(), abs(value) < 1e9 { return String(Int(value)) }
        if abs(value) >= 1e12 { return String(format: "%.3g", value) }
        return abs(value) >= 100 ? String(format: "%.0f", value) : abs(value) >= 1 ? String(format: "%.2f", value) : String(format: "%.3g", value)
    }
}
