@testable import AsgardCore
import Foundation
import Testing

/// The sequential judge's statistics against values computed independently (scipy: numerical
/// integration of the Beta mixture, `betainc`, root finding; Tests/canary/sequential_reference.py),
/// and its behaviour on seeded streams: valid under the null, fast against a regression, stopped
/// by the split guard when the weights do not hold.
@Suite("Sequential tests")
struct SequentialTestsTests {
    /// Runs the reference script on a thread of its own and answers its JSON.
    static func reference() async throws -> [String: [[Double]]] {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("canary/sequential_reference.py").path
        let data: Data = try await withCheckedThrowingContinuation { done in
            Thread.detachNewThread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["python3", script]
                let pipe = Pipe()
                process.standardOutput = pipe
                do {
                    try process.run()
                    let output = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    done.resume(returning: output)
                } catch {
                    done.resume(throwing: error)
                }
            }
        }
        let object = try JSONSerialization.jsonObject(with: data) as? [String: [[Any]]] ?? [:]
        return object.mapValues { rows in rows.map { $0.compactMap { ($0 as? NSNumber)?.doubleValue } } }
    }

    @Test func eValuesIncompleteBetaAndConfidenceSequencesMatchAnIndependentComputation() async throws {
        let reference = try await Self.reference()
        let twoSided = try #require(reference["twoSided"]), oneSided = try #require(reference["oneSided"])
        #expect(twoSided.count == 10 && oneSided.count == 10, "the script ran (scipy installed?)")
        for row in twoSided {
            let value = SequentialTests.logEValue(canary: Int(row[0]), total: Int(row[1]), share: row[2])
            #expect(abs(value - row[3]) < 1e-6, "two-sided \(row): \(value)")
        }
        for row in oneSided {
            let value = SequentialTests.logEValueCanaryWorse(canary: Int(row[0]), total: Int(row[1]), share: row[2])
            #expect(abs(value - row[3]) < 1e-6, "one-sided \(row): \(value)")
        }
        for row in try #require(reference["incompleteBeta"]) {
            let value = SequentialTests.incompleteBeta(row[0], row[1], row[2])
            #expect(abs(value - row[3]) < 1e-9, "I_\(row[0])(\(row[1]), \(row[2])) = \(value), scipy \(row[3])")
        }
        for row in try #require(reference["sequence"]) {
            let range = SequentialTests.confidenceSequence(canary: Int(row[0]), total: Int(row[1]), share: row[2], alpha: row[3])
            #expect(abs(range.lowerBound - row[4]) < 1e-7 && abs(range.upperBound - row[5]) < 1e-7, "sequence \(row): \(range)")
        }
    }

    @Test func theOneSidedTestGrowsOnlyWhenTheCanaryGetsMoreThanItsShare() {
        // 40 % of the events with 50 % of the traffic: evidence for the canary, not against it.
        #expect(SequentialTests.logEValueCanaryWorse(canary: 400, total: 1000, share: 0.5) < 0)
        #expect(SequentialTests.logEValue(canary: 400, total: 1000, share: 0.5) > log(100), "the two-sided test sees the mismatch")
        #expect(SequentialTests.logEValueCanaryWorse(canary: 600, total: 1000, share: 0.5) > log(100))
        // Far in the tail the value stays finite and large.
        let far = SequentialTests.logEValueCanaryWorse(canary: 5000, total: 6000, share: 0.05)
        #expect(far.isFinite && far > 1000)
        // Nonsense in, no evidence out.
        #expect(SequentialTests.logEValue(canary: 5, total: 3, share: 0.5) == 0 && SequentialTests.logEValueCanaryWorse(canary: 1, total: 2, share: 1.5) == 0)
    }

    /// Feeds `seconds` of a seeded stream to a judge.
    static func run(seed: UInt64, share: Double, trueShare: Double, canaryErrors: Double, canarySlowdown: Double, seconds: Int,
                    rate: Double = 200, alpha: Double = 0.01) -> (decision: SequentialDecision?, at: Int?) {
        var state = seed
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Double(state >> 11) + 0.5) / Double(1 << 53)
        }
        func latency(_ factor: Double) -> Double {
            let z = sqrt(-2 * log(uniform())) * cos(2 * .pi * uniform())
            return 0.1 * exp(0.5 * z) * factor
        }
        var judge = SequentialJudge(share: share, config: SequentialJudgeConfig(alpha: alpha, latencyMinimumShift: 0.001))
        for second in 1...seconds {
            var canary = ArmSample(requests: 0, errors: 0, latencies: []), baseline = ArmSample(requests: 0, errors: 0, latencies: [])
            for _ in 0..<Int(rate) {
                if uniform() < trueShare {
                    canary.requests += 1
                    if uniform() < canaryErrors { canary.errors += 1 }
                    canary.latencies.append(WeightedValue(latency(canarySlowdown)))
                } else {
                    baseline.requests += 1
                    if uniform() < 0.005 { baseline.errors += 1 }
                    baseline.latencies.append(WeightedValue(latency(1)))
                }
            }
            if let decision = judge.observe(canary: canary, baseline: baseline) { return (decision, second) }
        }
        return (nil, nil)
    }

    @Test func noFalseAlarmsBeyondAlphaOnEqualArmsAndFastVerdictsOnWorseOnes() {
        // Equal arms, 40 streams of 2 minutes at α = 0.05: a handful of alarms at most (the test
        // allows 5, far above 40 × 0.05 = 2, so that it checks validity, not luck).
        let alarms = (1...40).filter { seed in
            if case .fail? = Self.run(seed: UInt64(seed), share: 0.5, trueShare: 0.5, canaryErrors: 0.005, canarySlowdown: 1, seconds: 120, alpha: 0.05).decision { return true }
            return false
        }
        #expect(alarms.count <= 5, "\(alarms.count) false alarms in 40")
        // Errors 0.5 % → 5 % at half the traffic: failed on errors within a minute.
        let errors = Self.run(seed: 7, share: 0.5, trueShare: 0.5, canaryErrors: 0.05, canarySlowdown: 1, seconds: 120)
        guard case .fail(let metric, let reason)? = errors.decision else { Issue.record("no verdict: \(errors)"); return }
        #expect(metric == "errors" && (errors.at ?? 999) <= 60, "\(reason) at \(errors.at ?? -1) s")
        #expect(reason.contains("errors: the canary had") && reason.contains("1/α"))
        // 50 % slower: failed on latency.
        let slow = Self.run(seed: 8, share: 0.5, trueShare: 0.5, canaryErrors: 0.005, canarySlowdown: 1.5, seconds: 120)
        guard case .fail(let slowMetric, _)? = slow.decision else { Issue.record("no verdict: \(slow)"); return }
        #expect(slowMetric.hasPrefix("latency"), "\(slow)")
        // 5 % slower is within the 10 % tolerance: no verdict.
        let tolerated = Self.run(seed: 9, share: 0.5, trueShare: 0.5, canaryErrors: 0.005, canarySlowdown: 1.05, seconds: 120)
        #expect(tolerated.decision == nil, "\(tolerated)")
    }

    @Test func aSplitThatDoesNotMatchTheWeightsStopsTheAnalysisWithoutAVerdict() {
        // 60 % of the requests where 50 % is set, and the canary is otherwise as good.
        let result = Self.run(seed: 3, share: 0.5, trueShare: 0.6, canaryErrors: 0.005, canarySlowdown: 1, seconds: 120)
        guard case .inconclusive(let reason)? = result.decision else { Issue.record("\(result)"); return }
        #expect(reason.contains("where its weight is 50 %") && reason.contains("does not hold"), "\(reason)")
    }

    /// Feeds a judge the same counts every second: 20 canary requests, half at 1 ms and half at
    /// 2 ms (shifted by `slower` ms), and 180 baseline requests the same but for one at 4 ms and
    /// one at 5 ms (its 99th percentile is 4 ms, one request a second above it), with
    /// `canaryErrors` and `baselineErrors` errors every `errorEvery` seconds; answers the first
    /// second at which early promotion is shown, or nil within `seconds`, and the judge.
    static func promotion(canaryErrors: Int = 0, baselineErrors: Int = 0, errorEvery: Int = 1, slower: Double = 0, seconds: Int)
        -> (second: Int?, judge: SequentialJudge) {
        var judge = SequentialJudge(share: 0.1, config: SequentialJudgeConfig(alpha: 0.01, warmupRequests: 100))
        for second in 1...seconds {
            let errors = second % errorEvery == 0
            judge.observe(canary: ArmSample(requests: 20, errors: errors ? canaryErrors : 0, latencies: [WeightedValue(1 + slower, count: 10), WeightedValue(2 + slower, count: 10)]),
                          baseline: ArmSample(requests: 180, errors: errors ? baselineErrors : 0,
                                              latencies: [WeightedValue(1, count: 90), WeightedValue(2, count: 88), WeightedValue(4, count: 1), WeightedValue(5, count: 1)]))
            if judge.promotion.ready { return (second, judge) }
        }
        return (nil, judge)
    }

    @Test func aCanaryAsGoodAsItsBaselineIsShownWithinToleranceAfterEnoughRequests() throws {
        // No errors on either side: the canary's rate is shown below one point after about
        // 700 of its requests (35 s at 20 a second); its tail after about 140 of the baseline's
        // requests above its 99th percentile with none of its own (one a second), not before.
        let clean = Self.promotion(seconds: 300)
        let second = try #require(clean.second, "\(clean.judge.promotion.reason)")
        #expect((100...180).contains(second), "promoted after \(second) s")
        #expect(Self.promotion(seconds: 90).judge.promotion.reason.hasSuffix("than 5.0 ms not yet shown no more frequent than the baseline's"))
        #expect(clean.judge.promotion.reason.contains("shown below 1.0 %"), "\(clean.judge.promotion.reason)")
        #expect(clean.judge.decision == nil)
        // The same error rate on both sides (1 in 200) is within tolerance too.
        #expect(Self.promotion(canaryErrors: 1, baselineErrors: 9, errorEvery: 10, seconds: 600).second != nil)
    }

    @Test func aWorseCanaryIsNeverShownWithinTolerance() {
        // Errors at 2.5 % where the baseline has 0.5 %: more than a point worse; never shown
        // within tolerance, and failed.
        let errors = Self.promotion(canaryErrors: 1, baselineErrors: 1, errorEvery: 2, seconds: 600)
        #expect(errors.second == nil, "\(errors.judge.promotion.reason)")
        #expect(errors.judge.decision != nil)
        // 1.5 % where the baseline has 0.5 %: never shown within a point either.
        let worse = Self.promotion(canaryErrors: 3, baselineErrors: 9, errorEvery: 10, seconds: 600)
        #expect(worse.second == nil, "\(worse.judge.promotion.reason)")
        // 1.5 ms slower on every request: its latency is outside the tolerance (1 ms).
        let slow = Self.promotion(slower: 1.5, seconds: 600)
        #expect(slow.second == nil, "\(slow.judge.promotion.reason)")
        // Before the baseline's latency is known nothing is shown.
        var cold = SequentialJudge(share: 0.5)
        cold.observe(canary: ArmSample(requests: 100, errors: 0, latencies: []), baseline: ArmSample(requests: 100, errors: 0, latencies: []))
        #expect(!cold.promotion.ready && cold.promotion.reason.hasPrefix("latency is warming up"), "\(cold.promotion.reason)")
    }

    @Test func theEvidenceEncodesWithoutInfinities() throws {
        let judged = Self.promotion(slower: 1.5, seconds: 120).judge
        let point = SequentialEvidence(step: 2, time: Date(timeIntervalSince1970: 0), seconds: 120, weight: 10, metrics: judged.metrics,
                                       decision: judged.decision == nil ? nil : "fail", reason: nil)
        let data = try JSONEncoder().encode(point)
        let decoded = try JSONDecoder().decode(SequentialEvidence.self, from: data)
        #expect(decoded.metrics.map(\.name) == ["split", "errors", "latency", "latencyTail"])
        // No errors: the errors' ratio is unbounded above, so it has a low end only.
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"threshold\":200") && text.contains("\"eValue\""), "\(text)")
        #expect(decoded.metrics[2].logEValue == judged.metrics[2].logEValue)
    }
}
