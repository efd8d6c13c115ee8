import AsgardCore
import Foundation
import Testing

@Suite("Canary judge")
struct CanaryJudgeTests {
    @Test func kayentasPublishedVectorGivesItsIntervalAndEstimate() throws {
        let found = try MannWhitney.interval(experiment: [10, 20, 30, 40], control: [1, 2, 3, 4], confidence: 0.95)
        #expect(abs(found.lower - 6) < 1e-3, "\(found)")
        #expect(abs(found.upper - 39) < 1e-3, "\(found)")
        #expect(abs(found.estimate - 22.5) < 1e-3, "\(found)")
    }

    @Test func aShiftedSampleIsFoundWithinItsInterval() throws {
        // The same 50 values, shifted by exactly 7: Hodges–Lehmann finds 7, inside a narrow interval.
        let control = (0..<50).map { Double(($0 * 37) % 50) }
        let found = try MannWhitney.interval(experiment: control.map { $0 + 7 }, control: control, confidence: 0.98)
        #expect(abs(found.estimate - 7) < 1e-3, "\(found)")
        #expect(found.lower < 7 && found.upper > 7 && found.lower > -10 && found.upper < 25, "\(found)")
    }

    @Test func aHistogramIsTestedAsTheSamplesItStandsFor() throws {
        let canary = [WeightedValue(3, count: 40), WeightedValue(5, count: 25), WeightedValue(9, count: 5)]
        let baseline = [WeightedValue(2, count: 30), WeightedValue(3, count: 30), WeightedValue(4, count: 10)]
        func expand(_ values: [WeightedValue]) -> [Double] { values.flatMap { Array(repeating: $0.value, count: $0.count) } }
        let weighted = try MannWhitney.interval(experiment: canary, control: baseline, confidence: 0.98)
        let raw = try MannWhitney.interval(experiment: expand(canary), control: expand(baseline), confidence: 0.98)
        #expect(weighted == raw)
    }

    @Test func emptyOrAllTiedSeriesCannotBeTested() {
        #expect(throws: MannWhitney.Failure.noData) { try MannWhitney.interval(experiment: [], control: [1.0, 2.0], confidence: 0.98) }
        #expect(throws: MannWhitney.Failure.allTied) { try MannWhitney.interval(experiment: [3.0, 3.0], control: [3.0, 3.0], confidence: 0.98) }
    }

    @Test(arguments: [(0.975, 1.959964), (0.99, 2.326348), (0.5, 0.0), (0.01, -2.326348), (0.999, 3.090232)])
    func theNormalQuantileIsAccurate(_ p: Double, _ z: Double) {
        #expect(abs(NormalDistribution.quantile(p) - z) < 1e-6)
    }

    /// Samples around `center` with a fixed spread (no randomness: results must be reproducible).
    static func samples(_ center: Double, _ count: Int = 200) -> [WeightedValue] {
        (0..<count).map { WeightedValue(center * (0.9 + 0.2 * Double(($0 * 7919) % 101) / 100)) }
    }

    static func observations(errors: (Int, Int), latency: (Double, Double), requests: Int = 1_000) -> [String: MetricObservations] {
        ["errorRate": .proportion(canary: Proportion(events: errors.0, total: requests), baseline: Proportion(events: errors.1, total: requests)),
         "latency": .samples(canary: samples(latency.0), baseline: samples(latency.1)),
         "cpu": .samples(canary: samples(2, 10), baseline: samples(2, 10)),
         "memory": .samples(canary: samples(20, 10), baseline: samples(20, 10))]
    }

    @Test func aCanaryLikeItsBaselinePasses() {
        let verdict = CanaryJudge.judge(Self.observations(errors: (2, 2), latency: (1.0, 1.0)), config: CanaryAnalysisConfig())
        #expect(verdict.outcome == .pass, "\(verdict.reason)")
        #expect(verdict.score == 100)
        #expect(verdict.metrics.allSatisfy { $0.classification == .pass })
    }

    @Test func errorsFailACanaryAtOnceEvenAgainstABaselineWithoutErrors() {
        let verdict = CanaryJudge.judge(Self.observations(errors: (310, 2), latency: (1.0, 1.0)), config: CanaryAnalysisConfig())
        #expect(verdict.outcome == .fail)
        #expect(verdict.score == 0)
        #expect(verdict.reason == "critical metric failed: error rate 31 % vs 0.2 %, p < 0.001")
        // Kayenta's blind spot (spinnaker#5622): zero errors in the baseline, a few in the canary.
        let fromZero = CanaryJudge.judge(Self.observations(errors: (25, 0), latency: (1.0, 1.0)), config: CanaryAnalysisConfig())
        #expect(fromZero.outcome == .fail, "\(fromZero.reason)")
        // Both without errors, or a difference below one point, pass.
        #expect(CanaryJudge.judge(Self.observations(errors: (0, 0), latency: (1.0, 1.0)), config: CanaryAnalysisConfig()).outcome == .pass)
        #expect(CanaryJudge.judge(Self.observations(errors: (6, 1), latency: (1.0, 1.0)), config: CanaryAnalysisConfig()).outcome == .pass)
    }

    @Test func slowerLatencyLowersTheScoreBelowMarginal() {
        let verdict = CanaryJudge.judge(Self.observations(errors: (0, 0), latency: (201, 1.0)), config: CanaryAnalysisConfig())
        let latency = verdict.metrics.first { $0.name == "latency" }
        #expect(latency?.classification == .high)
        #expect(verdict.groupScores["latency"] == 0)
        #expect(verdict.score == 65, "errors 50 + resources 15 of 100")
        #expect(verdict.outcome == .fail)
        #expect(verdict.reason.hasPrefix("score 65 < marginal 75: latency 201 ms vs 1.00 ms (×201)"), "\(verdict.reason)")
        var lenient = CanaryAnalysisConfig()
        lenient.marginal = 60
        #expect(CanaryJudge.judge(Self.observations(errors: (0, 0), latency: (201, 1.0)), config: lenient).outcome == .marginal)
        // 20 % slower is below the default effect gate (×1.5): a pass.
        #expect(CanaryJudge.judge(Self.observations(errors: (0, 0), latency: (1.2, 1.0)), config: CanaryAnalysisConfig()).outcome == .pass)
    }

    @Test func aLatencyShiftUnderAMillisecondIsNoiseWhateverItsRatio() throws {
        // ×1.7 but 0.6 ms: a fresh instance's first connections, not a slower version.
        #expect(CanaryJudge.judge(Self.observations(errors: (0, 0), latency: (1.4, 0.8)), config: CanaryAnalysisConfig()).outcome == .pass)
        // ×1.7 and 3.5 ms: slower.
        let slower = CanaryJudge.judge(Self.observations(errors: (0, 0), latency: (8.5, 5.0)), config: CanaryAnalysisConfig())
        #expect(slower.metrics.first { $0.name == "latency" }?.classification == .high, "\(slower.reason)")
        // The floor is the metric's own: a team may lower it.
        let json = #"{"metrics": [{"name": "latency", "minimumDifference": 0.1}, {"name": "errorRate"}]}"#
        let strict = try JSONDecoder().decode(CanaryAnalysisConfig.self, from: Data(json.utf8))
        #expect(CanaryJudge.judge(Self.observations(errors: (0, 0), latency: (1.4, 0.8)), config: strict).outcome != .pass)
    }

    @Test func tooLittleDataIsInconclusiveNeverAPass() {
        let verdict = CanaryJudge.judge(Self.observations(errors: (0, 0), latency: (1.0, 1.0), requests: 20), config: CanaryAnalysisConfig())
        #expect(verdict.outcome == .inconclusive)
        #expect(verdict.reason.contains("too few requests (canary 20, baseline 20; needs 50 each)"), "\(verdict.reason)")
        #expect(CanaryJudge.judge([:], config: CanaryAnalysisConfig()).outcome == .inconclusive)
    }

    @Test func theSameDataAlwaysGivesTheSameVerdictEvenForConstantSeries() {
        var observed = Self.observations(errors: (1, 1), latency: (1.0, 1.0))
        observed["cpu"] = .samples(canary: Array(repeating: WeightedValue(9), count: 5), baseline: Array(repeating: WeightedValue(3), count: 5))
        let first = CanaryJudge.judge(observed, config: CanaryAnalysisConfig())
        #expect(first == CanaryJudge.judge(observed, config: CanaryAnalysisConfig()))
        let cpu = first.metrics.first { $0.name == "cpu" }
        #expect(cpu?.classification == .high, "constant 9 against constant 3 is a ×3 increase: \(cpu?.reason ?? "")")
        #expect(first.groupScores["resources"] == 50)
    }

    @Test func aConfigurationKeepsTheDefaultsOfWhatItLeavesOut() throws {
        let json = #"{"pass": 90, "metrics": [{"name": "latency", "allowedIncrease": 1.1}, {"name": "errorRate"}]}"#
        let config = try JSONDecoder().decode(CanaryAnalysisConfig.self, from: Data(json.utf8))
        #expect(config.pass == 90 && config.marginal == 75 && config.confidence == 0.98)
        #expect(config.metrics.map(\.name) == ["latency", "errorRate"])
        #expect(config.metrics[0].allowedIncrease == 1.1 && config.metrics[0].mustHaveData)
        #expect(config.metrics[1].critical && config.metrics[1].kind == .proportion)
        #expect(config.problems.isEmpty)
        var bad = config
        bad.marginal = 95
        bad.confidence = 1
        bad.metrics.append(CanaryMetric(name: "queueDepth", kind: .distribution, group: "other"))
        #expect(bad.problems.count == 3, "\(bad.problems)")
    }

    /// A Prometheus metric: its query must name {{serverGroup}}, it is judged by the fixed judge,
    /// and a query that answers nothing is no data, never a pass, naming why.
    @Test func aPrometheusMetricNeedsItsServerGroupAndNoDataIsNeverAPass() throws {
        let decoder = JSONDecoder()
        func config(_ json: String) throws -> CanaryAnalysisConfig { try decoder.decode(CanaryAnalysisConfig.self, from: Data(json.utf8)) }
        let good = try config(#"{"metrics": [{"name": "errorRatio", "source": "prometheus", "query": "sum(x{server_group=\"{{serverGroup}}\"})", "mustHaveData": false}]}"#)
        #expect(good.problems.isEmpty, "\(good.problems)")
        #expect(good.metrics[0].mustHaveData, "a query's missing data always counts")
        let problems = try config(#"{"judge": "sequential", "metrics": [{"name": "a", "source": "prometheus", "query": "sum(x)"}, {"name": "b", "source": "prometheus"}, {"name": "mine"}]}"#).problems.map(\.message)
        #expect(problems.contains { $0.contains("metric 'a': its query must name {{serverGroup}}") }, "\(problems)")
        #expect(problems.contains { $0.contains("metric 'b' has source prometheus but no query") }, "\(problems)")
        #expect(problems.contains { $0.contains("metric 'mine' is not one the console collects") && $0.contains("source") }, "\(problems)")
        #expect(problems.contains { $0.contains("judged by the fixed judge") }, "\(problems)")

        let missing = CanaryJudge.judge(["errorRatio": .missing(reason: "the canary's query q: it returned no data")], config: good)
        #expect(missing.outcome == .inconclusive && missing.reason == "errorRatio: no data (the canary's query q: it returned no data)", "\(missing.reason)")
        let worse = CanaryJudge.judge(["errorRatio": .samples(canary: (0..<10).map { _ in WeightedValue(0.3) }, baseline: (0..<10).map { _ in WeightedValue(0) })],
                                      config: good)
        #expect(worse.outcome == .fail, "\(worse.reason)")
    }
}
