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
        Metric(title: "Requests", unit: "/s", value: { $0.rate }),
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
        body += "<p class=\"hint\"><span class=\"legend-canary\">■ canary</span> <span class=\"legend-baseline\">■ baseline</span>, one point per interval.</p>"
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

    /// A line chart of `metric` for canary and baseline.
    static func chart(_ metric: Metric, _ intervals: [CanaryInterval]) -> String {
        let width = 300.0, height = 110.0, left = 36.0, bottom = 18.0, top = 8.0
        let canary = intervals.map { metric.value($0.canary) }, baseline = intervals.map { metric.value($0.baseline) }
        let highest = max(canary.max() ?? 0, baseline.max() ?? 0)
        let top_ = highest > 0 ? highest * 1.1 : 1
        func x(_ index: Int) -> Double {
            intervals.count == 1 ? left + (width - left) / 2 : left + (width - left - 6) * Double(index) / Double(intervals.count - 1)
        }
        func y(_ value: Double) -> Double { top + (height - top - bottom) * (1 - value / top_) }
        func line(_ values: [Double], _ colour: String) -> String {
            let points = values.enumerated().map { String(format: "%.1f,%.1f", x($0.offset), y($0.element)) }.joined(separator: " ")
            let dots = values.enumerated().map { String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%@\"/>", x($0.offset), y($0.element), colour) }.joined()
            return "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points)\"/>" + dots
        }
        let label = CanaryJudge.format(top_)
        return """
        <figure class="chart"><figcaption>\(HTML.escape(metric.title)) (\(metric.unit))</figcaption>\
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="\(HTML.escape(metric.title)) of canary and baseline">\
        <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(height - bottom)" stroke="#999"/><line x1="\(left)" y1="\(height - bottom)" x2="\(width)" y2="\(height - bottom)" stroke="#999"/>\
        <text x="2" y="\(top + 8)" font-size="9" fill="#555">\(label)</text><text x="2" y="\(height - bottom)" font-size="9" fill="#555">0</text>\
        <text x="\(left)" y="\(height - 4)" font-size="9" fill="#555">interval 1</text><text x="\(width - 50)" y="\(height - 4)" font-size="9" fill="#555">\(intervals.count)</text>\
        \(line(baseline, "#1f5fa8"))\(line(canary, "#d9822b"))</svg></figure>
        """
    }
}
