import AsgardAPI
import AsgardCore
import Foundation

/// The canary analysis as people see it: a small chart per metric of canary against baseline,
/// interval by interval (server-side SVG, no script), and the verdicts.
enum CanaryCharts {
    /// One series of a chart.
    struct Metric: Sendable {
        let title: String
        let unit: String
        let value: @Sendable (CanaryGroupFigures) -> Double
    }

    static let metrics: [Metric] = [
        Metric(title: "Error rate", unit: "%", value: { $0.errorRate * 100 }),
        Metric(title: "Latency p50", unit: "ms", value: { $0.p50 }),
        Metric(title: "Latency p99", unit: "ms", value: { $0.p99 }),
        // Per instance where the instances are known: a 10 % canary of one instance is compared
        // with a baseline of nine on what each instance serves, not on the groups' totals.
        Metric(title: "Requests per instance", unit: "/s", value: { $0.rate / Double(max(1, $0.instances ?? 1)) }),
        Metric(title: "CPU", unit: "%", value: { $0.cpu }),
        Metric(title: "Memory", unit: "MiB", value: { $0.memory }),
    ]

    /// The whole analysis section of a canary deployment.
    static func section(_ d: DeploymentJSON) -> String {
        guard d.strategy == .canary else {
            guard let evidence = d.evidence, !evidence.isEmpty else { return "" }
            return "<div id=\"canary-analysis\" data-deployment=\"\(d.id)\"><h2>Batches watched by the sequential judge</h2>"
                + "<p class=\"hint\">Each batch's new instances against the old ones behind the same load balancer.</p>" + sequential(evidence) + "</div>"
        }
        let intervals = d.intervals ?? []
        var body = "<div id=\"canary-analysis\" data-deployment=\"\(d.id)\"><h2>Canary analysis</h2>"
        let canary = HTML.escape(d.newGroup ?? "")
        let share: String
        switch d.status {
        case .running, .waiting:
            share = "The canary \(canary) gets <b>\(d.canaryWeight ?? 0) %</b> of the requests"
                + (d.baselineGroup.map { "; fresh baseline \(HTML.escape($0))" } ?? "")
        case .succeeded:
            share = "The canary \(canary) was promoted: it takes every request"
        case .failed, .canceled, .rolledBack:
            share = "The canary \(canary) was rolled back: it gets no requests (it had \(d.canaryWeight ?? 0) % when it stopped)"
        }
        body += "<p id=\"canary-weight\">\(share).</p>"
        if let evidence = d.evidence, !evidence.isEmpty, intervals.isEmpty { return body + sequential(evidence) + "</div>" }
        guard !intervals.isEmpty else { return body + "<p class=\"hint\">No analysis interval yet.</p></div>" }
        // Metrics of the analysis's own (PromQL queries): each one's window means, as judged.
        let known = Set(CanaryAnalysisConfig.defaultMetrics.map(\.name))
        let queried = (intervals.last?.verdict.metrics ?? []).map(\.name).filter { !known.contains($0) }
        body += "<div class=\"charts\">" + metrics.map { chart($0, intervals) }.joined() + queried.map { queryChart($0, intervals) }.joined() + "</div>"
        body += "<p class=\"hint\">One point per interval (the figures of that interval alone); dashed lines where the weight changed; "
            + "under the time axis each interval's verdict: ✓ pass, ✗ fail, ? marginal or no data.</p>"
        body += "<h3>Judgments</h3>" + HTML.table(id: "canary-intervals", headers: ["Step", "Interval", "Weight", "Score", "Verdict", "Why"], rows: intervals.map { i in
            ["\(i.step + 1)", "\(i.index)", "\(i.weight) %", CanaryJudge.format(i.verdict.score),
             "<span class=\"verdict-\(i.verdict.outcome.rawValue)\">\(i.verdict.outcome.rawValue)</span>", HTML.escape(i.verdict.reason)]
        }, empty: "")
        if let last = intervals.last {
            body += "<h3>Metrics at the last judgment</h3>" + HTML.table(id: "canary-metrics", headers: ["Metric", "Group", "Verdict", "Canary", "Baseline", "Details"], rows: last.verdict.metrics.map { m in
                [HTML.escape(m.name), HTML.escape(m.group), "<span class=\"verdict-\(m.classification.rawValue)\">\(m.classification.rawValue)\(m.failsCanary ? " (critical)" : "")</span>",
                 CanaryJudge.format(m.canary), CanaryJudge.format(m.baseline), HTML.escape(m.reason)]
            }, empty: "")
        }
        return body + "</div>"
    }

    /// A line chart of `metric` for canary and baseline, one point per interval, with the
    /// weight changes drawn as lines and each interval's verdict as a symbol on the time axis.
    static func chart(_ metric: Metric, _ intervals: [CanaryInterval]) -> String {
        let slug = metric.title.lowercased().replacingOccurrences(of: " ", with: "-")
        return SVGChart(id: "chart-\(slug)", title: metric.title, unit: metric.unit, series: [
            SVGChart.Series(name: "baseline", colour: "#1f5fa8", legendClass: "legend-baseline", points: intervals.map { ($0.time, metric.value($0.baseline)) }),
            SVGChart.Series(name: "canary", colour: "#b35c00", legendClass: "legend-canary", points: intervals.map { ($0.time, metric.value($0.canary)) }),
        ], marks: marks(intervals), width: 440, height: 200).render()
    }

    /// A chart of a PromQL metric: the mean of what its query answered over the window so far,
    /// for canary and baseline, at each judgment.
    static func queryChart(_ name: String, _ intervals: [CanaryInterval]) -> String {
        let judged = intervals.compactMap { interval in interval.verdict.metrics.first { $0.name == name }.map { (interval.time, $0) } }
        let slug = name.lowercased().filter { $0.isLetter || $0.isNumber }
        return SVGChart(id: "chart-query-\(slug)", title: "\(name) (PromQL)", unit: "mean", series: [
            SVGChart.Series(name: "baseline", colour: "#1f5fa8", legendClass: "legend-baseline", points: judged.map { ($0.0, $0.1.baseline) }),
            SVGChart.Series(name: "canary", colour: "#b35c00", legendClass: "legend-canary", points: judged.map { ($0.0, $0.1.canary) }),
        ], marks: marks(intervals), width: 440, height: 200).render()
    }

    /// The weight changes as lines and each interval's verdict as a symbol on the time axis.
    static func marks(_ intervals: [CanaryInterval]) -> [SVGChart.Mark] {
        var marks: [SVGChart.Mark] = []
        var weight: Int?
        for interval in intervals {
            if interval.weight != weight {
                marks.append(SVGChart.Mark(time: interval.time, label: "weight \(interval.weight) % from here", symbol: "\(interval.weight) %",
                                           colour: "#5d6b78", line: true))
                weight = interval.weight
            }
            let outcome = interval.verdict.outcome
            let (symbol, colour) = outcome == .pass ? ("✓", "#1e6b2a") : outcome == .fail ? ("✗", "#b3261e") : ("?", "#7a5200")
            marks.append(SVGChart.Mark(time: interval.time, label: "interval \(interval.index): \(outcome.rawValue), \(interval.verdict.reason)",
                                       symbol: symbol, colour: colour, line: false))
        }
        return marks
    }

    /// The sequential judge's evidence: per test, its e-value over time against its threshold
    /// (log scale: 2 is a hundred), and the confidence sequence of the canary's rate over the
    /// baseline's against 1; the decision marked on the time axis, and the last figures.
    static func sequential(_ evidence: [SequentialEvidence]) -> String {
        var marks: [SVGChart.Mark] = []
        var step: Int?
        for point in evidence {
            if point.step != step {
                marks.append(SVGChart.Mark(time: point.time, label: "step \(point.step + 1) at \(point.weight) % from here", symbol: "\(point.weight) %",
                                           colour: "#5d6b78", line: true))
                step = point.step
            }
            guard let decision = point.decision else { continue }
            let (symbol, colour) = switch decision {
            case "fail": ("✗", "#b3261e")
            case "inconclusive": ("?", "#7a5200")
            default: ("✓", "#1e6b2a")
            }
            marks.append(SVGChart.Mark(time: point.time, label: "\(decision) after \(point.seconds) s: \(point.reason ?? "")", symbol: symbol, colour: colour, line: false))
        }
        let titles = ["split": "Split guard", "errors": "Errors", "latency": "Latency (median)", "latencyTail": "Latency (99th percentile)"]
        let names = evidence.last?.metrics.map(\.name) ?? []
        var charts = ""
        for name in names {
            let series = evidence.compactMap { point in point.metrics.first { $0.name == name }.map { (point.time, $0) } }
            guard let alpha = series.last?.1.alpha else { continue }
            let title = titles[name] ?? name
            charts += SVGChart(id: "evidence-\(name)", title: "\(title): evidence", unit: "log₁₀ e-value", series: [
                SVGChart.Series(name: "evidence", colour: "#b35c00", legendClass: "legend-canary", points: series.map { ($0.0, $0.1.logEValue / log(10)) }),
            ], marks: marks, threshold: (log10(1 / alpha), "fails at 1/α = \(SVGChart.number(1 / alpha))"), width: 440, height: 200).render()
            guard name != "split" else { continue }
            // Bounded for the chart: a ratio above 5 is drawn at 5.
            let bounded = series.compactMap { time, metric in metric.rateRatio.map { (time, $0) } }
            charts += SVGChart(id: "ratio-\(name)", title: "\(title): canary/baseline rate", unit: "×", series: [
                SVGChart.Series(name: "upper bound", colour: "#1f5fa8", legendClass: "legend-baseline", points: bounded.map { ($0.0, min($0.1.upperBound, 5)) }),
                SVGChart.Series(name: "lower bound", colour: "#b35c00", legendClass: "legend-canary", points: bounded.map { ($0.0, min($0.1.lowerBound, 5)) }),
            ], marks: marks, threshold: (1, "as the baseline"), width: 440, height: 200).render()
        }
        var body = "<div class=\"charts\">" + charts + "</div>"
        body += "<p class=\"hint\">Evidence against the canary on a log scale (2 is an e-value of 100); a test fails the canary when it reaches its threshold (1/α). "
            + "The rate charts show the confidence sequence of the canary's rate of events over the baseline's (above 5 drawn at 5). "
            + "Under the time axis the decision: ✗ failed, ? stopped without a verdict, ✓ passed or promoted early.</p>"
        if let last = evidence.last {
            body += "<h3>Evidence \(last.decision.map { "at the decision (\($0), after \(last.seconds) s)" } ?? "after \(last.seconds) s")</h3>"
            if let reason = last.reason { body += "<p id=\"sequential-reason\">\(HTML.escape(reason))</p>" }
            body += HTML.table(id: "sequential-metrics", headers: ["Test", "Canary's events", "All events", "E-value", "Threshold", "Canary/baseline rate"], rows: last.metrics.map { m in
                let ratio = m.rateRatio.map { "\(SVGChart.number($0.lowerBound))–\($0.upperBound.isFinite ? SVGChart.number($0.upperBound) : "∞")" } ?? "–"
                return [HTML.escape(titles[m.name] ?? m.name), "\(m.canaryEvents)", "\(m.totalEvents)", HTML.escape(SequentialJudge.evidence(m.logEValue)),
                        SVGChart.number(1 / m.alpha), ratio]
            }, empty: "")
        }
        return body
    }
}
