import Foundation

/// The settings of the sequential judge.
public struct SequentialJudgeConfig: Sendable, Hashable, Codable {
    /// The probability of a false alarm the whole analysis may have, split across its tests.
    public var alpha: Double
    /// The canary's error rate may be this many times the baseline's before it counts as worse.
    public var errorTolerance: Double
    /// A canary slower than the baseline by less than this factor is no regression (10 %) …
    public var latencyTolerance: Double
    /// … nor by less than this, in the latencies' unit (the console's load balancers record
    /// milliseconds: 1 ms).
    public var latencyMinimumShift: Double
    /// Baseline requests that set the latency thresholds (its median and 99th percentile)
    /// before the latency tests count.
    public var warmupRequests: Int
    /// The Dirichlet prior's concentration k (Lindon & Malek's default) of the split guard and
    /// the latency tests.
    public var concentration: Double
    /// The errors test's k: smaller, since a version that fails more often usually fails much
    /// more often, and a small k favours large effects (the simulation: a quarter to a third
    /// sooner on 0.5 % → 2 % than k = 100, with the same false-alarm bound).
    public var errorConcentration: Double
    /// Early promotion: the canary's requests slower than the baseline's 99th percentile (with
    /// the tolerance) may be this many times as frequent as the baseline's (1.5: a slowest
    /// percent more than about 20 % slower keeps the step to its full length, while a good canary
    /// does not wait for the hundreds of slow requests a bound of 1 needs).
    public var tailPromotionRatio: Double
    /// Early promotion: the canary's error rate may be shown to exceed the baseline's by at
    /// most this (a probability: 0.01 is one percentage point, the fixed judge's smallest
    /// difference that counts).
    public var errorMargin: Double

    /// The defaults: α = 0.01, errors 1×, latency 10 % or 1 (ms), 500 warm-up requests, k = 100
    /// (errors: 10), an error margin of one point for early promotion.
    public init(alpha: Double = 0.01, errorTolerance: Double = 1, latencyTolerance: Double = 1.1, latencyMinimumShift: Double = 1,
                warmupRequests: Int = 500, concentration: Double = 100, errorConcentration: Double = 10, errorMargin: Double = 0.01,
                tailPromotionRatio: Double = 1.5) {
        self.tailPromotionRatio = tailPromotionRatio
        self.alpha = alpha
        self.errorConcentration = errorConcentration
        self.errorMargin = errorMargin
        self.errorTolerance = errorTolerance
        self.latencyTolerance = latencyTolerance
        self.latencyMinimumShift = latencyMinimumShift
        self.warmupRequests = warmupRequests
        self.concentration = concentration
    }
}

/// What one arm served in a moment: requests, errors and the latencies (seconds) as a histogram.
public struct ArmSample: Sendable, Hashable {
    public var requests: Int
    public var errors: Int
    public var latencies: [WeightedValue]

    /// Creates a sample.
    public init(requests: Int, errors: Int, latencies: [WeightedValue]) {
        self.requests = requests
        self.errors = errors
        self.latencies = latencies
    }
}

/// One test of the sequential judge: its events so far and its evidence.
public struct SequentialMetric: Sendable, Hashable, Codable {
    /// `split`, `errors`, `latency` (the median's side) or `latencyTail` (the 99th percentile's).
    public var name: String
    public var canaryEvents: Int
    public var totalEvents: Int
    /// ln of its e-value.
    public var logEValue: Double
    /// The α it has: it decides when `logEValue` ≥ ln(1/α).
    public var alpha: Double
    /// The confidence sequence of the canary's rate over the baseline's (after the tolerance's
    /// thresholds for latency), nil before any event; filled in by `SequentialJudge.metrics`.
    public var rateRatio: ClosedRange<Double>?
    /// ln(1/α): the e-value decides when it reaches it.
    public var logThreshold: Double { log(1 / alpha) }
    /// The e-value reached its threshold.
    public var decided: Bool { logEValue >= logThreshold }

    /// Creates a test's state.
    public init(name: String, canaryEvents: Int, totalEvents: Int, logEValue: Double, alpha: Double, rateRatio: ClosedRange<Double>? = nil) {
        self.name = name
        self.canaryEvents = canaryEvents
        self.totalEvents = totalEvents
        self.logEValue = logEValue
        self.alpha = alpha
        self.rateRatio = rateRatio
    }

    private enum CodingKeys: String, CodingKey { case name, canaryEvents, totalEvents, logEValue, eValue, alpha, threshold, rateRatioLow, rateRatioHigh }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        canaryEvents = try c.decode(Int.self, forKey: .canaryEvents)
        totalEvents = try c.decode(Int.self, forKey: .totalEvents)
        logEValue = try c.decode(Double.self, forKey: .logEValue)
        alpha = try c.decode(Double.self, forKey: .alpha)
        let low = try c.decodeIfPresent(Double.self, forKey: .rateRatioLow), high = try c.decodeIfPresent(Double.self, forKey: .rateRatioHigh)
        rateRatio = low.map { $0...max($0, high ?? .infinity) }
    }

    /// JSON has no infinity: an e-value is held at 1e300, and an unbounded ratio has no
    /// `rateRatioHigh`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let logValue = logEValue.isFinite ? min(max(logEValue, -690), 690) : (logEValue > 0 ? 690 : 0)
        try c.encode(name, forKey: .name)
        try c.encode(canaryEvents, forKey: .canaryEvents)
        try c.encode(totalEvents, forKey: .totalEvents)
        try c.encode(logValue, forKey: .logEValue)
        try c.encode(exp(logValue), forKey: .eValue)
        try c.encode(alpha, forKey: .alpha)
        try c.encode(1 / alpha, forKey: .threshold)
        if let rateRatio, rateRatio.lowerBound.isFinite {
            try c.encode(rateRatio.lowerBound, forKey: .rateRatioLow)
            if rateRatio.upperBound.isFinite { try c.encodeIfPresent(rateRatio.upperBound, forKey: .rateRatioHigh) }
        }
    }
}

/// Whether a step may pass before its end, and why (or why not yet).
public struct SequentialPromotion: Sendable, Hashable {
    public var ready: Bool
    public var reason: String
}

/// What the sequential judge decided.
public enum SequentialDecision: Sendable, Hashable {
    /// The canary is worse: `metric` crossed its threshold.
    case fail(metric: String, reason: String)
    /// The requests do not split as the weights say, so the tests (which assume the split)
    /// cannot be trusted: the analysis stops without a verdict.
    case inconclusive(reason: String)
}

/// The anytime-valid canary judge: it takes what each arm served, moment by moment (a second,
/// or whatever the load balancer's counters give), and fails the canary the moment the evidence
/// against it is strong enough, with a false-alarm probability under α however long it watches.
///
/// - The split guard (two-sided, its own α): do the requests split as the weights say?
/// - Errors (one-sided, α/2): is an error more often the canary's than its share of requests?
/// - Latency (one-sided, α/4 each): is a request slower than the baseline's median (and, for the
///   tail, its 99th percentile, both set by the first `warmupRequests` baseline requests) more
///   often the canary's, with the canary's threshold raised by the tolerance?
public struct SequentialJudge: Sendable {
    public let config: SequentialJudgeConfig
    /// The canary's share of the requests, as the weights set it.
    public let share: Double
    public private(set) var split: SequentialMetric
    public private(set) var errors: SequentialMetric
    public private(set) var latency: SequentialMetric
    public private(set) var latencyTail: SequentialMetric
    /// The baseline's median and 99th percentile from the warm-up, once it is over.
    public private(set) var thresholds: (median: Double, tail: Double)?
    private var warmup: [WeightedValue] = []
    private var warmupCount = 0
    public private(set) var decision: SequentialDecision?

    /// A judge for a canary getting `share` (0 < share < 1) of the requests.
    public init(share: Double, config: SequentialJudgeConfig = SequentialJudgeConfig()) {
        self.share = min(max(share, 1e-6), 1 - 1e-6)
        self.config = config
        let alpha = min(max(config.alpha, 1e-12), 0.5)
        split = SequentialMetric(name: "split", canaryEvents: 0, totalEvents: 0, logEValue: 0, alpha: alpha)
        errors = SequentialMetric(name: "errors", canaryEvents: 0, totalEvents: 0, logEValue: 0, alpha: alpha / 2)
        latency = SequentialMetric(name: "latency", canaryEvents: 0, totalEvents: 0, logEValue: 0, alpha: alpha / 4)
        latencyTail = SequentialMetric(name: "latencyTail", canaryEvents: 0, totalEvents: 0, logEValue: 0, alpha: alpha / 4)
    }

    /// Every test, in order, with the confidence sequence of its rate ratio (computed here, not
    /// at every observation: it takes a bisection).
    public var metrics: [SequentialMetric] {
        [split, errors, latency, latencyTail].map { metric in
            var metric = metric
            metric.rateRatio = metric.name == "split" ? nil : ratio(metric, share: share)
            return metric
        }
    }

    /// Whether the evidence shows the canary within its tolerance on every critical test, so
    /// that a step may pass before its full duration — each claim an anytime-valid bound at the
    /// test's own α, so a canary really outside its tolerance passes early with a probability
    /// under α:
    /// - errors: the canary's error rate is below the baseline's plus `errorMargin` (the canary's
    ///   upper bound at α/4 against the baseline's lower bound at α/4);
    /// - latency and its tail: fewer of the canary's requests are slower than the baseline's
    ///   median (99th percentile), raised by the tolerance, than the baseline's (the rate ratio's
    ///   bound below 1 for the median, below `tailPromotionRatio` for the tail, at α/4 each).
    ///   With no slow requests on either side there is nothing to show, and the step lasts its
    ///   full duration.
    public var promotion: SequentialPromotion {
        guard decision == nil else { return SequentialPromotion(ready: false, reason: "decided already") }
        guard let thresholds else { return SequentialPromotion(ready: false, reason: "latency is warming up (\(warmupCount) of \(config.warmupRequests) baseline requests)") }
        let margin = min(max(config.errorMargin, 1e-6), 0.5)
        let canaryRequests = split.canaryEvents, baselineRequests = max(split.totalEvents - split.canaryEvents, 0)
        let canaryErrors = errors.canaryEvents, baselineErrors = max(errors.totalEvents - errors.canaryEvents, 0)
        let part = errors.alpha / 2
        /// Whether `events` of `trials` show the probability below `ceiling`: the one-sided test
        /// of "at least the ceiling", the arms (event, no event) swapped.
        func shownBelow(_ events: Int, of trials: Int, _ ceiling: Double, alpha: Double) -> Bool {
            SequentialTests.logEValueCanaryWorse(canary: trials - min(events, trials), total: trials, share: 1 - min(max(ceiling, 1e-9), 1 - 1e-9),
                                                 concentration: config.concentration) >= log(1 / alpha)
        }
        // The baseline's lower bound, then whether the canary's rate is shown below it plus the margin.
        let baselineFloor = baselineRequests > 0
            ? SequentialTests.confidenceSequence(canary: baselineErrors, total: baselineRequests, share: margin, alpha: part, concentration: config.concentration).lowerBound
            : 0
        let ceiling = min(baselineFloor + margin, 1 - 1e-9)
        let errorsShown = shownBelow(canaryErrors, of: canaryRequests, ceiling, alpha: part)
        // Latency: the canary's share of the slow events shown below the null's edge. Not
        // against a fixed share of requests: the thresholds come from bucketed warm-up requests,
        // so the baseline's own share above them is only roughly a half or 1 %.
        func shown(_ metric: SequentialMetric, ratio: Double) -> Bool {
            shownBelow(metric.canaryEvents, of: metric.totalEvents, nullShare(ratio), alpha: metric.alpha)
        }
        let latencyShown = shown(latency, ratio: 1), tailShown = shown(latencyTail, ratio: config.tailPromotionRatio)
        let observed = canaryRequests > 0 ? Double(canaryErrors) / Double(canaryRequests) : 0
        func words(_ isShown: Bool) -> String { isShown ? "shown no more frequent than the baseline's" : "not yet shown no more frequent than the baseline's" }
        let reasons = [
            "errors \(Self.percent(observed)) of \(canaryRequests) requests " + (errorsShown ? "shown below \(Self.percent(ceiling))" : "not yet shown below \(Self.percent(ceiling))"),
            "requests slower than \(Self.milliseconds(raised(thresholds.median))) " + words(latencyShown),
            "requests slower than \(Self.milliseconds(raised(thresholds.tail))) " + words(tailShown),
        ]
        return SequentialPromotion(ready: errorsShown && latencyShown && tailShown, reason: reasons.joined(separator: "; "))
    }

    /// The event share θ0 at the edge of the null when the canary may have `tolerance` times the
    /// baseline's rate: ρt / (ρt + 1 − ρ).
    func nullShare(_ tolerance: Double) -> Double {
        let t = max(tolerance, 1)
        return share * t / (share * t + 1 - share)
    }

    /// Takes in what each arm served since the last call; answers the decision once there is one
    /// (after which it changes nothing).
    @discardableResult
    public mutating func observe(canary: ArmSample, baseline: ArmSample) -> SequentialDecision? {
        if decision != nil { return decision }
        let k = config.concentration
        Self.add(&split, canary: canary.requests, baseline: baseline.requests)
        split.logEValue = SequentialTests.logEValue(canary: split.canaryEvents, total: split.totalEvents, share: share, concentration: k)
        Self.add(&errors, canary: canary.errors, baseline: baseline.errors)
        let errorShare = nullShare(config.errorTolerance)
        errors.logEValue = SequentialTests.logEValueCanaryWorse(canary: errors.canaryEvents, total: errors.totalEvents, share: errorShare,
                                                                concentration: config.errorConcentration)
        if let thresholds {
            for (keyPath, threshold) in [(\SequentialJudge.latency, thresholds.median), (\SequentialJudge.latencyTail, thresholds.tail)] {
                let raised = raised(threshold)
                var metric = self[keyPath: keyPath]
                Self.add(&metric, canary: Self.count(canary.latencies, above: raised), baseline: Self.count(baseline.latencies, above: threshold))
                // Events here are slow requests; the canary's share of requests is ρ, so at the
                // null's edge (the canary's raised threshold) its share of slow ones is at most ρ.
                metric.logEValue = SequentialTests.logEValueCanaryWorse(canary: metric.canaryEvents, total: metric.totalEvents, share: share,
                                                                        concentration: k)
                self[keyPath: keyPath] = metric
            }
        } else {
            warmup += baseline.latencies
            warmupCount += baseline.latencies.reduce(0) { $0 &+ max($1.count, 0) }
            if warmupCount >= max(config.warmupRequests, 1) {
                thresholds = (Self.quantile(warmup, 0.5), Self.quantile(warmup, 0.99))
                warmup = []
            }
        }
        if split.decided {
            let got = split.totalEvents > 0 ? Double(split.canaryEvents) / Double(split.totalEvents) : 0
            decision = .inconclusive(reason: "the canary got \(Self.percent(got)) of \(split.totalEvents) requests where its weight is \(Self.percent(share)): "
                                     + "the split the tests assume does not hold (e-value \(Self.evidence(split.logEValue)) ≥ 1/α)")
        } else if let failed = [errors, latency, latencyTail].first(where: \.decided) {
            var failed = failed
            failed.rateRatio = ratio(failed, share: share)
            decision = .fail(metric: failed.name, reason: describe(failed))
        }
        return decision
    }

    /// The canary's threshold for a baseline threshold: raised by the tolerance, at least by
    /// the minimum shift.
    public func raised(_ threshold: Double) -> Double {
        max(threshold * config.latencyTolerance, threshold + config.latencyMinimumShift)
    }

    /// The reason of a failed test, in words.
    func describe(_ metric: SequentialMetric) -> String {
        let ratio = metric.rateRatio.map { " (canary/baseline rate \(String(format: "%.2f", $0.lowerBound))–\(String(format: "%.2f", $0.upperBound)))" } ?? ""
        let what = switch metric.name {
        case "errors": "errors: the canary had \(metric.canaryEvents) of \(metric.totalEvents) errors with \(Self.percent(share)) of the requests"
        case "latency": "latency: the canary had \(metric.canaryEvents) of \(metric.totalEvents) requests slower than the baseline's median (with the tolerance)"
        default: "tail latency: the canary had \(metric.canaryEvents) of \(metric.totalEvents) requests slower than the baseline's 99th percentile (with the tolerance)"
        }
        return "\(what)\(ratio); e-value \(Self.evidence(metric.logEValue)) ≥ 1/α = \(Self.evidence(metric.logThreshold))"
    }

    static func add(_ metric: inout SequentialMetric, canary: Int, baseline: Int) {
        let canary = max(canary, 0), baseline = max(baseline, 0)
        metric.canaryEvents = metric.canaryEvents.addingReportingOverflow(canary).overflow ? Int.max / 2 : metric.canaryEvents + canary
        let total = metric.totalEvents.addingReportingOverflow(canary).partialValue.addingReportingOverflow(baseline)
        metric.totalEvents = total.overflow ? Int.max / 2 : max(total.partialValue, metric.canaryEvents)
    }

    /// The confidence sequence of the rate ratio, at the metric's α.
    func ratio(_ metric: SequentialMetric, share: Double) -> ClosedRange<Double>? {
        guard metric.totalEvents > 0 else { return nil }
        let theta = SequentialTests.confidenceSequence(canary: metric.canaryEvents, total: metric.totalEvents, share: share, alpha: metric.alpha,
                                                       concentration: metric.name == "errors" ? config.errorConcentration : config.concentration)
        return SequentialTests.rateRatio(theta: theta.lowerBound, share: share)...SequentialTests.rateRatio(theta: theta.upperBound, share: share)
    }

    static func count(_ values: [WeightedValue], above threshold: Double) -> Int {
        values.reduce(0) { $1.value > threshold ? $0 &+ max($1.count, 0) : $0 }
    }

    static func quantile(_ values: [WeightedValue], _ q: Double) -> Double {
        let sorted = values.filter { $0.count > 0 }.sorted { $0.value < $1.value }
        let total = sorted.reduce(0) { $0 &+ $1.count }
        guard total > 0 else { return 0 }
        let rank = Int((q * Double(total)).rounded(.up))
        var seen = 0
        for value in sorted {
            seen &+= value.count
            if seen >= rank { return value.value }
        }
        return sorted.last?.value ?? 0
    }

    static func milliseconds(_ x: Double) -> String { String(format: x < 10 ? "%.1f ms" : "%.0f ms", x) }

    static func percent(_ x: Double) -> String { String(format: x < 0.1 ? "%.1f %%" : "%.0f %%", x * 100) }

    /// An e-value in words: e^x, shown plainly up to a million.
    public static func evidence(_ log: Double) -> String {
        log < 13.8 ? String(format: "%.0f", exp(log)) : String(format: "e^%.1f", log)
    }
}

/// The sequential judge's evidence at one moment of an analyze step, as the task page charts
/// it and the deployment's JSON carries it (`evidence`).
public struct SequentialEvidence: Sendable, Hashable, Codable {
    /// The analyze step's index in the plan.
    public var step: Int
    /// A watched rolling push: the batch, from 1.
    public var batch: Int?
    public var time: Date
    /// Seconds since the step began.
    public var seconds: Int
    /// The canary's weight, in percent (a rolling push: the new instances' share).
    public var weight: Int
    /// Every test with its events, e-value, threshold and confidence sequence.
    public var metrics: [SequentialMetric]
    /// Set on the moment of the decision: `fail`, `inconclusive`, `pass` (the step's end) or
    /// `promoted` (passed early, within tolerance).
    public var decision: String?
    /// Why, in words: the decision's reason, or whether early promotion is shown yet.
    public var reason: String?

    /// Creates a point.
    public init(step: Int, batch: Int? = nil, time: Date, seconds: Int, weight: Int, metrics: [SequentialMetric], decision: String? = nil, reason: String? = nil) {
        self.step = step
        self.batch = batch
        self.time = time
        self.seconds = seconds
        self.weight = weight
        self.metrics = metrics
        self.decision = decision
        self.reason = reason
    }
}
