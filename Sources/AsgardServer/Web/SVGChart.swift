import Foundation

/// A line chart over time drawn on the server as SVG (no script, no library): gridlines with
/// values on the left, clock times (UTC) along the bottom, an optional threshold drawn and
/// labelled, and marks on the time axis (a weight change, a verdict) that carry a symbol and a
/// word, never colour alone.
struct SVGChart {
    struct Series {
        var name: String
        var colour: String
        /// The class that gives its legend entry the same colour (the CSP allows no inline style).
        var legendClass: String
        var points: [(time: Date, value: Double)]
    }

    /// Something that happened at a time: drawn as a labelled vertical line (`line`) or as a
    /// symbol under the time axis.
    struct Mark {
        var time: Date
        var label: String
        var symbol: String
        var colour: String
        var line: Bool
    }

    var id: String
    var title: String
    var unit: String
    var series: [Series]
    var marks: [Mark] = []
    var threshold: (value: Double, label: String)?
    var width = 600.0
    var height = 220.0

    /// "Nice" steps for `highest` divided in about four: 1, 2, 2.5 or 5 times a power of ten.
    static func yStep(_ highest: Double) -> Double {
        guard highest.isFinite, highest > 0 else { return 1 }
        let raw = highest / 4
        let power = pow(10, floor(log10(raw)))
        for factor in [1.0, 2.0, 2.5, 5.0, 10.0] where factor * power >= raw { return factor * power }
        return 10 * power
    }

    /// The seconds between two time ticks so that a span shows at most about six of them.
    static func timeStep(_ span: TimeInterval) -> TimeInterval {
        let steps: [TimeInterval] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400]
        return steps.first { span / $0 <= 6 } ?? 86400
    }

    /// `value` with at most three significant decimals, no trailing zeros.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var text = String(format: abs(value) >= 10 ? "%.1f" : "%.3f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    func render() -> String {
        let all = series.flatMap(\.points)
        guard let first = all.map(\.time).min(), let last = all.map(\.time).max() else {
            return "<p class=\"hint\" id=\"\(id)-empty\">No data yet for \(HTML.escape(title)).</p>"
        }
        let left = 52.0, right = 28.0, top = 12.0, bottom = 42.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let finite = all.map(\.value).filter(\.isFinite)
        let highest = max(finite.max() ?? 0, threshold.map(\.value).flatMap { $0.isFinite ? $0 : nil } ?? 0)
        let step = Self.yStep(highest * 1.05)
        let ceiling = step * max(1, (highest * 1.05 / step).rounded(.up))
        let span = last.timeIntervalSince(first)
        func x(_ t: Date) -> Double { span <= 0 ? left + plotWidth / 2 : left + plotWidth * t.timeIntervalSince(first) / span }
        func y(_ v: Double) -> Double { top + plotHeight * (1 - min(max(v.isFinite ? v : 0, 0), ceiling) / ceiling) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\""
            + " role=\"img\" aria-labelledby=\"\(id)-caption\" class=\"chart-svg\">"
        // Gridlines and values.
        var tick = 0.0
        while tick <= ceiling + step / 2 {
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(y(tick)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(tick)))\" stroke=\"\(tick == 0 ? "#8a96a3" : "#e1e6eb")\"/>"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\" font-size=\"11\" fill=\"#3d4852\">\(Self.number(tick))</text>"
            tick += step
        }
        // The time axis: ticks on round clock times.
        if span > 0 {
            let every = Self.timeStep(span)
            var t = (first.timeIntervalSince1970 / every).rounded(.up) * every
            while t <= last.timeIntervalSince1970 {
                let at = Date(timeIntervalSince1970: t)
                svg += "<line x1=\"\(f(x(at)))\" y1=\"\(f(top))\" x2=\"\(f(x(at)))\" y2=\"\(f(top + plotHeight + 4))\" stroke=\"#eef1f4\"/>"
                svg += "<text x=\"\(f(x(at)))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\" font-size=\"11\" fill=\"#3d4852\">\(HTML.clock(at))</text>"
                t += every
            }
        } else {
            svg += "<text x=\"\(f(x(first)))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\" font-size=\"11\" fill=\"#3d4852\">\(HTML.clock(first))</text>"
        }
        if let threshold, threshold.value.isFinite {
            svg += "<line class=\"threshold\" x1=\"\(f(left))\" y1=\"\(f(y(threshold.value)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(threshold.value)))\""
                + " stroke=\"#b3261e\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"
            svg += "<text x=\"\(f(width - right - 4))\" y=\"\(f(y(threshold.value) - 4))\" text-anchor=\"end\" font-size=\"11\" fill=\"#8c1d17\">"
                + "\(HTML.escape(threshold.label))</text>"
        }
        for mark in marks where mark.line {
            svg += "<g class=\"mark\"><title>\(HTML.escape(mark.label))</title><line x1=\"\(f(x(mark.time)))\" y1=\"\(f(top))\" x2=\"\(f(x(mark.time)))\""
                + " y2=\"\(f(top + plotHeight))\" stroke=\"\(mark.colour)\" stroke-dasharray=\"3 3\"/>"
                + "<text x=\"\(f(x(mark.time) + 3))\" y=\"\(f(top + 10))\" font-size=\"11\" fill=\"#3d4852\">\(HTML.escape(mark.symbol))</text></g>"
        }
        for s in series {
            let points = s.points.map { "\(f(x($0.time))),\(f(y($0.value)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(s.colour)\" stroke-width=\"2\" points=\"\(points)\"/>"
            if s.points.count <= 60 {
                svg += s.points.map { "<circle cx=\"\(f(x($0.time)))\" cy=\"\(f(y($0.value)))\" r=\"2.5\" fill=\"\(s.colour)\"><title>\(HTML.escape(s.name)) \(Self.number($0.value)) \(HTML.escape(unit)) at \(HTML.clock($0.time))</title></circle>" }.joined()
            }
        }
        for mark in marks where !mark.line {
            svg += "<text class=\"mark\" x=\"\(f(x(mark.time)))\" y=\"\(f(top + plotHeight + 32))\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"700\""
                + " fill=\"\(mark.colour)\"><title>\(HTML.escape(mark.label))</title>\(HTML.escape(mark.symbol))</text>"
        }
        svg += "</svg>"
        let legend = series.count > 1 || threshold != nil
            ? "<span class=\"legend\">" + series.map { "<span class=\"\($0.legendClass)\">━ \(HTML.escape($0.name))</span>" }.joined(separator: " ")
                + (threshold.map { " <span class=\"legend-threshold\">┅ \(HTML.escape($0.label))</span>" } ?? "") + "</span>"
            : ""
        let window = span > 0 ? "\(HTML.clock(first))–\(HTML.clock(last)) UTC" : "\(HTML.clock(first)) UTC"
        return "<figure class=\"chart\" id=\"\(id)\"><figcaption id=\"\(id)-caption\"><b>\(HTML.escape(title))</b>"
            + (unit.isEmpty ? "" : " (\(HTML.escape(unit)))") + ", \(window) \(legend)</figcaption>\(svg)</figure>"
    }
}
