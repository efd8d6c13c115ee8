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
}
