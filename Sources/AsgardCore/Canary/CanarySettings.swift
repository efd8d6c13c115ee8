import Foundation

/// One step of a canary, as a request lists it: `{"setWeight": 5}`,
/// `{"analyze": {"durationSeconds": 60, "intervalSeconds": 10, "minimumSeconds": 30}}`, `{"pause": {"durationSeconds": 30}}`
/// or `{"pause": {}}`.
public enum CanaryStep: Sendable, Hashable, Codable {
    /// The share of requests, in percent, the load balancer sends to the canary.
    case setWeight(Int)
    /// Collect metrics and judge the canary against its baseline every `intervalSeconds` (the
    /// sequential judge: every second, reporting every `intervalSeconds`, and passing the step
    /// once `minimumSeconds` are over and the evidence shows the canary within its tolerance;
    /// nil: 30 s; the duration or more: never early).
    case analyze(durationSeconds: Int, intervalSeconds: Int, minimumSeconds: Int? = nil)
    /// Wait for proceed or rollback; with a duration, proceed by itself when it ends.
    case pause(durationSeconds: Int?)

    private enum Keys: String, CodingKey { case setWeight, analyze, pause }
    private enum TimeKeys: String, CodingKey { case durationSeconds, intervalSeconds, minimumSeconds }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        if let weight = try c.decodeIfPresent(Int.self, forKey: .setWeight) {
            self = .setWeight(weight)
        } else if c.contains(.analyze) {
            let t = try c.nestedContainer(keyedBy: TimeKeys.self, forKey: .analyze)
            let duration = try t.decode(Int.self, forKey: .durationSeconds)
            self = .analyze(durationSeconds: duration, intervalSeconds: try t.decodeIfPresent(Int.self, forKey: .intervalSeconds) ?? min(10, duration),
                            minimumSeconds: try t.decodeIfPresent(Int.self, forKey: .minimumSeconds))
        } else if c.contains(.pause) {
            let t = try c.nestedContainer(keyedBy: TimeKeys.self, forKey: .pause)
            self = .pause(durationSeconds: try t.decodeIfPresent(Int.self, forKey: .durationSeconds))
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a canary step is {\"setWeight\": N}, {\"analyze\": {…}} or {\"pause\": {…}}"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case .setWeight(let weight): try c.encode(weight, forKey: .setWeight)
        case .analyze(let duration, let interval, let minimum):
            var t = c.nestedContainer(keyedBy: TimeKeys.self, forKey: .analyze)
            try t.encode(duration, forKey: .durationSeconds)
            try t.encode(interval, forKey: .intervalSeconds)
            try t.encodeIfPresent(minimum, forKey: .minimumSeconds)
        case .pause(let duration):
            var t = c.nestedContainer(keyedBy: TimeKeys.self, forKey: .pause)
            try t.encodeIfPresent(duration, forKey: .durationSeconds)
        }
    }
}

/// What the canary is compared with.
public enum CanaryBaseline: String, Sendable, Hashable, Codable, CaseIterable {
    /// The group that serves now.
    case existing
    /// A new group of the current image with the canary's size, so that old long-running
    /// instances are not compared with fresh ones (Kayenta's practice); removed at the end.
    case fresh
}

/// A canary deployment's settings.
public struct CanarySettings: Sendable, Hashable, Codable {
    public var steps: [CanaryStep]
    public var analysis: CanaryAnalysisConfig
    public var baseline: CanaryBaseline

    /// Creates settings.
    public init(steps: [CanaryStep], analysis: CanaryAnalysisConfig = CanaryAnalysisConfig(), baseline: CanaryBaseline = .existing) {
        self.steps = steps
        self.analysis = analysis
        self.baseline = baseline
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        steps = try c.decode([CanaryStep].self, forKey: .steps)
        analysis = try c.decodeIfPresent(CanaryAnalysisConfig.self, forKey: .analysis) ?? CanaryAnalysisConfig()
        baseline = try c.decodeIfPresent(CanaryBaseline.self, forKey: .baseline) ?? .existing
    }

    /// Steps from the CLI's short form: each weight set, then analyzed for `seconds` (the last,
    /// 100, is not analyzed), e.g. 5,25,50,100.
    public static func steps(weights: [Int], analysisSeconds: Int, intervalSeconds: Int?, minimumSeconds: Int? = nil) -> [CanaryStep] {
        weights.flatMap { weight -> [CanaryStep] in
            weight >= 100 || analysisSeconds <= 0 ? [.setWeight(weight)]
                : [.setWeight(weight), .analyze(durationSeconds: analysisSeconds, intervalSeconds: intervalSeconds ?? min(10, analysisSeconds),
                                                minimumSeconds: minimumSeconds)]
        }
    }

    /// Every rule the settings break.
    public var problems: [FieldError] {
        var problems = analysis.problems
        func add(_ message: String) { problems.append(FieldError(field: "canary", message: message)) }
        if steps.isEmpty { add("needs steps, e.g. [{\"setWeight\": 10}, {\"analyze\": {\"durationSeconds\": 60}}, {\"setWeight\": 100}]") }
        if steps.count > 100 { add("\(steps.count) steps; at most 100") }
        var weight = 0
        for (index, step) in steps.enumerated() {
            switch step {
            case .setWeight(let w):
                if !InputLimits.canaryWeight.contains(w) { add("step \(index + 1): setWeight \(w) must be from 0 to 100") }
                weight = w
            case .analyze(let duration, let interval, let minimum):
                if let minimum, !InputLimits.judgeSeconds.contains(minimum) {
                    add("step \(index + 1): analyze minimumSeconds \(minimum) must be from 0 to \(InputLimits.judgeSeconds.upperBound) (the duration or more: never early)")
                }
                if !InputLimits.analysisSeconds.contains(duration) { add("step \(index + 1): analyze durationSeconds \(duration) must be from 1 to 86400") }
                if !InputLimits.analysisIntervalSeconds.contains(interval) || interval > duration {
                    add("step \(index + 1): analyze intervalSeconds \(interval) must be from 1 to 3600 and at most the duration")
                }
                if weight == 0 { add("step \(index + 1): analyze needs a setWeight above 0 before it, or the canary gets no traffic to judge") }
            case .pause(let duration):
                if let duration, !InputLimits.pauseSeconds.contains(duration) { add("step \(index + 1): pause durationSeconds \(duration) must be from 1 to 259200") }
            }
        }
        return problems
    }
}

/// The figures of one group over an analysis window, as the charts show them.
public struct CanaryGroupFigures: Sendable, Hashable, Codable {
    public var requests: Int
    public var errors: Int
    /// Requests per second.
    public var rate: Double
    public var errorRate: Double
    /// Milliseconds.
    public var p50: Double
    public var p90: Double
    public var p99: Double
    /// Percent of one core, and MiB, averaged over the group's instances.
    public var cpu: Double
    public var memory: Double
    /// The window's latency histogram, `[microseconds, count]` pairs: the raw per-request samples.
    public var latencyHistogram: [[UInt64]]
    /// The group's instances that reported usage in the window, when known.
    public var instances: Int?

    /// Creates figures.
    public init(requests: Int = 0, errors: Int = 0, rate: Double = 0, errorRate: Double = 0, p50: Double = 0, p90: Double = 0, p99: Double = 0,
                cpu: Double = 0, memory: Double = 0, latencyHistogram: [[UInt64]] = [], instances: Int? = nil) {
        self.instances = instances
        self.requests = requests
        self.errors = errors
        self.rate = rate
        self.errorRate = errorRate
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.cpu = cpu
        self.memory = memory
        self.latencyHistogram = latencyHistogram
    }

    /// The value at `quantile` of a `[microseconds, count]` histogram, in milliseconds.
    public static func percentile(_ histogram: [[UInt64]], _ quantile: Double) -> Double {
        let total = histogram.reduce(0) { $0 + ($1.count > 1 ? $1[1] : 0) }
        guard total > 0 else { return 0 }
        let rank = UInt64((Double(total) * quantile).rounded(.up))
        var seen: UInt64 = 0
        for pair in histogram where pair.count > 1 {
            seen += pair[1]
            if seen >= max(1, rank) { return Double(pair[0]) / 1000 }
        }
        return Double(histogram.last?.first ?? 0) / 1000
    }

    /// `later − earlier` of two cumulative histograms (a counter that went back, after a restart
    /// of the load balancer, counts from zero).
    public static func difference(_ later: [[UInt64]], _ earlier: [[UInt64]]) -> [[UInt64]] {
        var before: [UInt64: UInt64] = [:]
        for pair in earlier where pair.count > 1 { before[pair[0], default: 0] += pair[1] }
        let laterTotal = later.reduce(0) { $0 + ($1.count > 1 ? $1[1] : 0) }
        let earlierTotal = before.values.reduce(0, +)
        if laterTotal < earlierTotal { return later }
        return later.compactMap { pair in
            guard pair.count > 1 else { return nil }
            let count = pair[1] >= (before[pair[0]] ?? 0) ? pair[1] - (before[pair[0]] ?? 0) : pair[1]
            return count > 0 ? [pair[0], count] : nil
        }
    }
}

/// One judgment of a canary: when, at what weight, the figures of both groups and the verdict.
public struct CanaryInterval: Sendable, Hashable, Codable {
    /// The deployment step it belongs to.
    public var step: Int
    /// Its number within the step, from 1.
    public var index: Int
    public var time: Date
    public var weight: Int
    /// The figures of this interval alone (not the growing window the verdict judges).
    public var canary: CanaryGroupFigures
    public var baseline: CanaryGroupFigures
    public var verdict: CanaryVerdict

    /// Creates an interval.
    public init(step: Int, index: Int, time: Date, weight: Int, canary: CanaryGroupFigures, baseline: CanaryGroupFigures, verdict: CanaryVerdict) {
        self.step = step
        self.index = index
        self.time = time
        self.weight = weight
        self.canary = canary
        self.baseline = baseline
        self.verdict = verdict
    }
}
