import AsgardCore
import Foundation

// Judges canary against baseline on fixed, deterministic data and prints how many samples the
// judge gets through per second: raw per-request latencies (each sample its own value, the worst
// case for ranking) and the load balancer's histograms (what a deployment judges).
// `asgard-judge-bench simulate` compares the sequential judge with it instead (Simulation.swift).

/// A fixed pseudo-random sequence, so that every run judges the same data.
struct Sequence {
    var state: UInt64
    mutating func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
}

func latencies(_ count: Int, median: Double, seed: UInt64) -> [WeightedValue] {
    var random = Sequence(state: seed)
    return (0..<count).map { _ in WeightedValue(median * exp(0.5 * (random.next() + random.next() + random.next() - 1.5))) }
}

func histogram(_ samples: [WeightedValue]) -> [WeightedValue] {
    // Three significant digits, as HdrHistogram keeps them.
    var buckets: [Double: Int] = [:]
    for sample in samples {
        let magnitude = pow(10, floor(log10(sample.value)) - 2)
        buckets[(sample.value / magnitude).rounded() * magnitude, default: 0] += 1
    }
    return buckets.map { WeightedValue($0.key, count: $0.value) }
}

func measure(_ label: String, samples: Int, canary: [WeightedValue], baseline: [WeightedValue]) {
    let observations: [String: MetricObservations] = [
        "errorRate": .proportion(canary: Proportion(events: samples / 200, total: samples), baseline: Proportion(events: samples / 250, total: samples)),
        "latency": .samples(canary: canary, baseline: baseline),
    ]
    var config = CanaryAnalysisConfig()
    config.metrics = config.metrics.filter { $0.name == "errorRate" || $0.name == "latency" }
    var judged = 0
    var last: CanaryVerdict?
    let clock = ContinuousClock()
    let start = clock.now
    // At least 3 judgments, at most 20 or about a second.
    while judged < 3 || (judged < 20 && clock.now - start < .seconds(1)) {
        last = CanaryJudge.judge(observations, config: config)
        judged += 1
    }
    let seconds = (clock.now - start).inSeconds
    let perSecond = Double(2 * samples * judged) / seconds
    print(String(format: "%@: %d + %d samples, %.1f ms per judgment, %.0f samples judged per second (%@, score %.0f)",
                 label, samples, samples, seconds / Double(judged) * 1000, perSecond, last?.outcome.rawValue ?? "?", last?.score ?? 0))
}

if CommandLine.arguments.dropFirst().first == "simulate" {
    await simulate(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}

for count in [1_000, 10_000, 100_000] {
    let canary = latencies(count, median: 1.1, seed: 7), baseline = latencies(count, median: 1.0, seed: 11)
    measure("raw samples      ", samples: count, canary: canary, baseline: baseline)
    measure("as histograms    ", samples: count, canary: histogram(canary), baseline: histogram(baseline))
}
