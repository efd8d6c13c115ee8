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
        guard d.strategy == .canary else { return "" }
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
        guard !intervals.isEmpty else { return body + "<p class=\"hint\">No analysis interval yet.</p></div>" }
        body += "<div class=\"charts\">" + metrics.map { chart($0, intervals) }.joined() + "</div>"
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
        let slug = metric.title.lowercased().replacingOccurrences(of: " ", with: "-")
        return SVGChart(id: "chart-\(slug)", title: metric.title, unit: metric.unit, series: [
            SVGChart.Series(name: "baseline", colour: "#1f5fa8", legendClass: "legend-baseline", points: intervals.map { ($0.time, metric.value($0.baseline)) }),
            SVGChart.Series(name: "canary", colour: "#b35c00", legendClass: "legend-canary", points: intervals.map { ($0.time, metric.value($0.canary)) }),
        ], marks: marks, width: 440, height: 200).render()
    }
}
