import AsgardCore
import Foundation

// `asgard-judge-bench simulate`: both judges on the same seeded streams of requests, second by
// second, over a grid of scenarios, canary shares and request rates.
//
// Each second: Poisson arrivals at `rate` times a shared diurnal multiplier (one cycle over the
// horizon, ±50 %); each request is the canary's with its true share; Bernoulli errors; log-normal
// latency (median 100 ms, σ_log 0.5) counted into a 32-bucket histogram (what a load balancer
// reports). The fixed judge (today's: Mann-Whitney and a two-proportion test, as Kayenta's
// NetflixACAJudge) judges the cumulative histograms and counts every 10 s; the sequential judge
// takes every second. Large counts are drawn with normal approximations (documented in
// docs/sequential-judge.md), the same for both judges.

/// A small, fast generator (SplitMix64), seeded per run so that both judges see the same stream.
struct Generator {
    var stream: SplitMix64

    init(state: UInt64) {
        stream = SplitMix64(seed: state)
    }

    var state: UInt64 {
        get { stream.state }
        set { stream.state = newValue }
    }

    mutating func next() -> UInt64 { stream.next() }

    /// Uniform in (0, 1).
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / Double(1 << 53) }

    /// Standard normal (Box-Muller).
    mutating func normal() -> Double { sqrt(-2 * log(uniform())) * cos(2 * .pi * uniform()) }

    mutating func poisson(_ mean: Double) -> Int {
        guard mean > 0 else { return 0 }
        if mean > 30 { return max(0, Int((mean + sqrt(mean) * normal()).rounded())) }
        let limit = exp(-mean)
        var product = uniform(), count = 0
        while product > limit {
            product *= uniform()
            count += 1
        }
        return count
    }

    mutating func binomial(_ n: Int, _ p: Double) -> Int {
        guard n > 0, p > 0 else { return 0 }
        guard p < 1 else { return n }
        let mean = Double(n) * p
        if mean > 30, Double(n) * (1 - p) > 30 { return min(n, max(0, Int((mean + sqrt(mean * (1 - p)) * normal()).rounded()))) }
        if n <= 64 {
            var count = 0
            for _ in 0..<n where uniform() < p { count += 1 }
            return count
        }
        // Few successes among many: count the geometric gaps between them.
        if p < 0.5 {
            var count = 0, position = 0.0
            let logQ = log(1 - p)
            while true {
                position += floor(log(uniform()) / logQ) + 1
                if position > Double(n) { return count }
                count += 1
            }
        }
        return n - binomial(n, 1 - p)
    }
}

/// The latency distribution of one arm: the probability of each histogram bucket.
struct LatencyModel {
    static let median = 0.1, sigma = 0.5
    /// Bucket edges (seconds), 32 log-spaced over ±4σ; the first and last buckets are open.
    static let edges: [Double] = (0...31).map { (i: Int) -> Double in
        let z: Double = -4 + 8 * Double(i) / 31
        return median * exp(sigma * z)
    }
    /// Each bucket's value: the geometric middle of its edges (33 buckets: below the first edge,
    /// between edges, above the last).
    static let values: [Double] = (0..<33).map { (i: Int) -> Double in
        if i == 0 { return edges[0] * 0.9 }
        if i == 32 { return edges[31] * 1.1 }
        return (edges[i - 1] * edges[i]).squareRoot()
    }
    /// The 95th percentile of the baseline's latency.
    static let q95 = median * exp(sigma * 1.6448536)

    /// The distribution function of the baseline (log-normal).
    static func base(_ x: Double) -> Double { x <= 0 ? 0 : 0.5 * erfc(-log(x / median) / (sigma * 2.0.squareRoot())) }

    let cdf: (Double) -> Double

    /// P(value ≤ x) for the scenario's arm.
    static func of(_ scenario: Scenario, canary: Bool) -> LatencyModel {
        guard canary else { return LatencyModel(cdf: base) }
        switch scenario {
        case .latency: return LatencyModel(cdf: { base($0 / 1.2) })
        // The slowest 5 % only are 20 % slower.
        case .p99: return LatencyModel(cdf: { $0 <= q95 ? base($0) : max(0.95, base($0 / 1.2)) })
        default: return LatencyModel(cdf: base)
        }
    }

    /// The probability of each of the 33 buckets.
    var buckets: [Double] {
        var previous = 0.0
        var probabilities: [Double] = []
        for edge in Self.edges {
            let now = cdf(edge)
            probabilities.append(max(0, now - previous))
            previous = now
        }
        probabilities.append(max(0, 1 - previous))
        return probabilities
    }
}

/// A scenario of the grid.
enum Scenario: String, CaseIterable, Sendable {
    case aa, errors, latency, p99, split

    /// Whether the canary is really worse (detections count), or not (alarms count).
    var isRegression: Bool { self == .errors || self == .latency || self == .p99 }
}

/// One arm's draw for a second (or a sum of them): its requests, errors and latency buckets.
struct ArmSecond {
    var requests = 0
    var errors = 0
    var buckets: [Int] = []

    /// Adds `other`'s counts.
    mutating func add(_ other: ArmSecond) {
        requests += other.requests
        errors += other.errors
        for index in buckets.indices where index < other.buckets.count { buckets[index] += other.buckets[index] }
    }

    /// The buckets as a load balancer's histogram: each bucket's value with its count.
    var histogram: [WeightedValue] {
        zip(LatencyModel.values, buckets).filter { $0.1 > 0 }.map { WeightedValue($0.0, count: $0.1) }
    }
}

/// Draws a second of one arm: a multinomial over the buckets by conditional binomials.
func drawArm(_ requests: Int, errorRate: Double, buckets: [Double], using generator: inout Generator) -> ArmSecond {
    var arm = ArmSecond(requests: requests, errors: generator.binomial(requests, errorRate), buckets: Array(repeating: 0, count: buckets.count))
    var left = requests, mass = 1.0
    for (index, p) in buckets.enumerated() where left > 0 {
        let drawn = index == buckets.count - 1 ? left : generator.binomial(left, mass > 0 ? min(1, p / mass) : 0)
        arm.buckets[index] = drawn
        left -= drawn
        mass -= p
    }
    return arm
}

/// Requests of `arm` slower than `threshold`: whole buckets above it, and the bucket holding it
/// split by its conditional probability.
func slower(_ arm: ArmSecond, than threshold: Double, model: LatencyModel, using generator: inout Generator) -> Int {
    var count = 0
    let edges = LatencyModel.edges
    for index in 0..<arm.buckets.count where arm.buckets[index] > 0 {
        let low = index == 0 ? 0 : edges[index - 1], high = index < edges.count ? edges[index] : .infinity
        if low >= threshold {
            count += arm.buckets[index]
        } else if high > threshold {
            let inBucket = model.cdf(high == .infinity ? 1e9 : high) - model.cdf(low)
            let above = model.cdf(high == .infinity ? 1e9 : high) - model.cdf(threshold)
            count += generator.binomial(arm.buckets[index], inBucket > 0 ? above / inBucket : 0)
        }
    }
    return count
}

/// What one judge did in one run.
struct RunOutcome {
    /// Seconds from the start to its failing verdict, if it gave one within the horizon.
    var failedAt: Double?
    /// The sequential judge stopped without a verdict (split guard).
    var inconclusiveAt: Double?
    /// The sequential judge would have passed a step early (looked at every 10 s from 30 s).
    var promotedAt: Double?
    /// Canary requests and errors served until its decision (or the horizon).
    var canaryRequests = 0
    var canaryErrors = 0
}

/// Runs one stream through both judges.
func simulateRun(scenario: Scenario, share: Double, rate: Double, horizon: Int, seed: UInt64, concentration: Double? = nil) -> (sequential: RunOutcome, fixed: RunOutcome) {
    var generator = Generator(state: seed)
    let trueShare = scenario == .split ? share * 1.2 : share
    let baselineErrors = 0.005, canaryErrors = scenario == .errors ? 0.02 : 0.005
    let canaryModel = LatencyModel.of(scenario, canary: true), baselineModel = LatencyModel.of(scenario, canary: false)
    let canaryBuckets = canaryModel.buckets, baselineBuckets = baselineModel.buckets
    // Latencies in seconds here: the 1 ms floor is 0.001.
    var sequential = SequentialJudge(share: share, config: SequentialJudgeConfig(latencyMinimumShift: 0.001, concentration: concentration ?? 100,
                                                                                          errorConcentration: concentration ?? 10))
    var fixedConfig = CanaryAnalysisConfig()
    fixedConfig.metrics = fixedConfig.metrics.filter { $0.name == "errorRate" || $0.name == "latency" }
    var seq = RunOutcome(), fixed = RunOutcome()
    var total = (canary: ArmSecond(buckets: Array(repeating: 0, count: 33)), baseline: ArmSecond(buckets: Array(repeating: 0, count: 33)))
    for second in 1...max(horizon, 1) {
        let diurnal = 1 + 0.5 * sin(2 * .pi * Double(second) / Double(max(horizon, 1)))
        let requests = generator.poisson(rate * diurnal)
        let canaryRequests = generator.binomial(requests, trueShare)
        let canary = drawArm(canaryRequests, errorRate: canaryErrors, buckets: canaryBuckets, using: &generator)
        let baseline = drawArm(requests - canaryRequests, errorRate: baselineErrors, buckets: baselineBuckets, using: &generator)
        let t = Double(second)

        if seq.failedAt == nil, seq.inconclusiveAt == nil {
            seq.canaryRequests += canary.requests
            seq.canaryErrors += canary.errors
            let canarySample: ArmSample, baselineSample: ArmSample
            if let thresholds = sequential.thresholds {
                // What the tests count: requests above the thresholds (the canary's raised by the tolerance).
                func sample(_ arm: ArmSecond, _ model: LatencyModel, _ median: Double, _ tail: Double) -> ArmSample {
                    let aboveMedian = slower(arm, than: median, model: model, using: &generator)
                    let aboveTail = min(aboveMedian, slower(arm, than: tail, model: model, using: &generator))
                    return ArmSample(requests: arm.requests, errors: arm.errors,
                                     latencies: [WeightedValue(0, count: arm.requests - aboveMedian), WeightedValue(median * 1.0000001, count: aboveMedian - aboveTail),
                                                 WeightedValue(tail * 1.0000001, count: aboveTail)])
                }
                canarySample = sample(canary, canaryModel, sequential.raised(thresholds.median), sequential.raised(thresholds.tail))
                baselineSample = sample(baseline, baselineModel, thresholds.median, thresholds.tail)
            } else {
                canarySample = ArmSample(requests: canary.requests, errors: canary.errors, latencies: canary.histogram)
                baselineSample = ArmSample(requests: baseline.requests, errors: baseline.errors, latencies: baseline.histogram)
            }
            switch sequential.observe(canary: canarySample, baseline: baselineSample) {
            case .fail?: seq.failedAt = t
            case .inconclusive?: seq.inconclusiveAt = t
            case nil:
                // Early promotion with the default minimum of 30 s; the run goes on to count alarms.
                if seq.promotedAt == nil, second >= 30, second % 10 == 0, sequential.promotion.ready { seq.promotedAt = t }
            }
        }

        if fixed.failedAt == nil {
            fixed.canaryRequests += canary.requests
            fixed.canaryErrors += canary.errors
            total.canary.add(canary)
            total.baseline.add(baseline)
            if second % 10 == 0 {
                let observations: [String: MetricObservations] = [
                    "errorRate": .proportion(canary: Proportion(events: total.canary.errors, total: total.canary.requests),
                                             baseline: Proportion(events: total.baseline.errors, total: total.baseline.requests)),
                    "latency": .samples(canary: total.canary.histogram, baseline: total.baseline.histogram),
                ]
                if CanaryJudge.judge(observations, config: fixedConfig).outcome == .fail { fixed.failedAt = t }
            }
        }
        if (seq.failedAt != nil || seq.inconclusiveAt != nil), fixed.failedAt != nil { break }
    }
    return (seq, fixed)
}

/// One cell of the table, for one judge.
struct Cell: Codable, Sendable {
    var judge: String
    var scenario: String
    var share: Double
    var rate: Double
    var runs: Int
    /// Runs with a failing verdict where the canary is no worse (aa, split).
    var alarmRate: Double
    /// Runs with a failing verdict where it is worse (errors, latency, p99).
    var detectedRate: Double
    /// Of the runs with a failing verdict, when it came (null when none did).
    var medianSeconds: Double?
    var p90Seconds: Double?
    /// Canary requests served before the verdict (errors: the canary's failed requests), a mean over runs.
    var badRequestsServed: Double
    /// Sequential only: runs the split guard stopped without a verdict.
    var inconclusiveRate: Double?
    /// Sequential only, split: runs where the guard fired before any failing verdict.
    var guardFirstRate: Double?
    /// Sequential only: runs where a step would have passed early (minimum 30 s) before any
    /// verdict — right for `aa`, a miss for a regression — and when.
    var promotedRate: Double?
    var promotedMedianSeconds: Double?
}

/// The `q` quantile of `sorted` (the smallest value with at least q of them at or below it).
func quantile(_ sorted: [Double], _ q: Double) -> Double? {
    guard !sorted.isEmpty else { return nil }
    let rank = Int((q * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank - 1, 0), sorted.count - 1)]
}

func cells(scenario: Scenario, share: Double, rate: Double, runs: Int, seed: UInt64, horizon: Int, concentration: Double? = nil) -> [Cell] {
    var outcomes: [(RunOutcome, RunOutcome)] = []
    outcomes.reserveCapacity(runs)
    for run in 0..<runs {
        // One stream per (seed, cell, run), the same for both judges.
        var mixer = Generator(state: seed ^ (UInt64(run) &* 0x2545_F491_4F6C_DD1D))
        let cellSalt = UInt64(Scenario.allCases.firstIndex(of: scenario) ?? 0) &* 1_000_003 &+ UInt64(share * 1000) &* 7919 &+ UInt64(rate)
        mixer.state ^= cellSalt &* 0x9E37_79B9
        outcomes.append(simulateRun(scenario: scenario, share: share, rate: rate, horizon: horizon, seed: mixer.next(), concentration: concentration))
    }
    func cell(_ judge: String, _ results: [RunOutcome]) -> Cell {
        let times = results.compactMap(\.failedAt).sorted()
        let failed = Double(times.count) / Double(max(runs, 1))
        let bad = results.map { Double(scenario == .errors ? $0.canaryErrors : scenario.isRegression ? $0.canaryRequests : 0) }.reduce(0, +) / Double(max(runs, 1))
        var cell = Cell(judge: judge, scenario: scenario.rawValue, share: share, rate: rate, runs: runs,
                        alarmRate: scenario.isRegression ? 0 : failed, detectedRate: scenario.isRegression ? failed : 0,
                        medianSeconds: quantile(times, 0.5), p90Seconds: quantile(times, 0.9), badRequestsServed: bad)
        if judge == "sequential" {
            cell.inconclusiveRate = Double(results.filter { $0.inconclusiveAt != nil }.count) / Double(max(runs, 1))
            let promoted = results.compactMap { run in run.promotedAt.flatMap { at in at < (run.failedAt ?? .infinity) && at < (run.inconclusiveAt ?? .infinity) ? at : nil } }
            cell.promotedRate = Double(promoted.count) / Double(max(runs, 1))
            cell.promotedMedianSeconds = quantile(promoted.sorted(), 0.5)
            if scenario == .split { cell.guardFirstRate = Double(results.filter { $0.inconclusiveAt != nil && $0.failedAt == nil }.count) / Double(max(runs, 1)) }
        }
        return cell
    }
    return [cell("sequential", outcomes.map(\.0)), cell("fixed", outcomes.map(\.1))]
}

/// `simulate [--runs N] [--seed S] [--horizon-seconds H] [--scenarios a,b] [--concentration K] [--json]`.
func simulate(_ arguments: [String]) async {
    var runs = 200, seed: UInt64 = 1, horizon = 1800, json = false, concentration: Double?
    var scenarios = Scenario.allCases
    var index = 0
    func value(_ name: String) -> String {
        index += 1
        guard index < arguments.count else {
            FileHandle.standardError.write(Data("error: \(name) needs a value\n".utf8))
            exit(2)
        }
        return arguments[index]
    }
    while index < arguments.count {
        switch arguments[index] {
        case "--runs": runs = Int(value("--runs")) ?? -1
        case "--seed": seed = UInt64(value("--seed")) ?? 0
        case "--horizon-seconds": horizon = Int(value("--horizon-seconds")) ?? -1
        case "--json": json = true
        case "--concentration": concentration = Double(value("--concentration")) ?? -1
        case "--scenarios":
            let names = value("--scenarios").split(separator: ",").map(String.init)
            scenarios = names.compactMap(Scenario.init(rawValue:))
            if scenarios.count != names.count || scenarios.isEmpty {
                FileHandle.standardError.write(Data("error: --scenarios takes some of \(Scenario.allCases.map(\.rawValue).joined(separator: ",")), separated by commas\n".utf8))
                exit(2)
            }
        default:
            FileHandle.standardError.write(Data(("error: unknown option '\(arguments[index])'; usage: asgard-judge-bench simulate [--runs N] [--seed S] "
                + "[--horizon-seconds H] [--scenarios a,b] [--concentration K] [--json]\n").utf8))
            exit(2)
        }
        index += 1
    }
    guard (1...100_000).contains(runs), (10...86_400).contains(horizon), (0.1...10_000).contains(concentration ?? 1) else {
        FileHandle.standardError.write(Data("error: --runs must be 1…100000, --horizon-seconds 10…86400 and --concentration 0.1…10000\n".utf8))
        exit(2)
    }
    var grid: [(Scenario, Double, Double)] = []
    for scenario in scenarios { for share in [0.05, 0.5] { for rate in [20.0, 200, 2000] { grid.append((scenario, share, rate)) } } }
    let (runCount, seedValue, horizonSeconds, k) = (runs, seed, horizon, concentration)
    let results = await withTaskGroup(of: (Int, [Cell]).self) { group in
        for (position, (scenario, share, rate)) in grid.enumerated() {
            group.addTask { (position, cells(scenario: scenario, share: share, rate: rate, runs: runCount, seed: seedValue, horizon: horizonSeconds, concentration: k)) }
        }
        var all: [(Int, [Cell])] = []
        for await result in group { all.append(result) }
        return all.sorted { $0.0 < $1.0 }.flatMap(\.1)
    }
    if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: (try? encoder.encode(["cells": results])) ?? Data(), as: UTF8.self))
        return
    }
    print("\(runs) runs per cell, horizon \(horizon) s, seed \(seed); sequential α = 0.01 (split guard α = 0.01); fixed = today's judge every 10 s")
    func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let space = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + space : space + text
    }
    func number(_ x: Double?, _ format: String = "%.0f") -> String { x.map { String(format: format, $0) } ?? "–" }
    var header = pad("scenario", 9, left: true) + pad("share", 6) + pad("rate", 6) + "  " + pad("judge", 11, left: true)
    header += pad("alarms", 8) + pad("detected", 9) + pad("median s", 9) + pad("p90 s", 7) + pad("bad served", 11) + "  note"
    print(header)
    for cell in results {
        let guardFirst: String = number((cell.guardFirstRate ?? 0) * 100, "%.1f")
        var note: String = cell.scenario == "split" && cell.judge == "sequential" ? "guard first in \(guardFirst) % of runs; " : ""
        if let promoted = cell.promotedRate {
            note += "passed early in \(number(promoted * 100, "%.1f")) %" + (cell.promotedMedianSeconds.map { " (median \(number($0)) s)" } ?? "")
        }
        var line: String = pad(cell.scenario, 9, left: true) + pad(number(cell.share * 100) + "%", 6) + pad(number(cell.rate), 6)
        line += "  " + pad(cell.judge, 11, left: true)
        line += pad(number(cell.alarmRate * 100, "%.1f") + "%", 8) + pad(number(cell.detectedRate * 100, "%.1f") + "%", 9)
        line += pad(number(cell.medianSeconds), 9) + pad(number(cell.p90Seconds), 7) + pad(number(cell.badRequestsServed), 11)
        print(line + "  " + note)
    }
}
