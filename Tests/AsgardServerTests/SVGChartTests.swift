@testable import AsgardServer
import Foundation
import Testing

@Suite("Charts drawn on the server")
struct SVGChartTests {
    @Test(arguments: [(0.0, 1.0), (3.0, 1.0), (9.0, 2.5), (10.0, 2.5), (47.0, 20.0), (640.0, 200.0), (0.04, 0.01)])
    func valueStepsAreRound(highest: Double, step: Double) {
        #expect(SVGChart.yStep(highest) == step)
    }

    @Test func timeTicksStayFewWhateverTheSpan() {
        for span in [0.5, 7.0, 65.0, 600.0, 3_700.0, 90_000.0] {
            #expect(span / SVGChart.timeStep(span) <= 6.5, "\(span)")
        }
        #expect(SVGChart.timeStep(30) == 5)
    }

    @Test func numbersAreShortAndNeverTrap() {
        #expect(SVGChart.number(600) == "600")
        #expect(SVGChart.number(2.5) == "2.5")
        #expect(SVGChart.number(0.1234) == "0.123")
        #expect(SVGChart.number(.nan) == "–")
        #expect(SVGChart.number(1e300) != "")
    }

    @Test func aChartDrawsItsThresholdTimeAxisAndMarks() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let points = (0..<31).map { (time: start.addingTimeInterval(Double($0)), value: Double($0 * 10)) }
        let chart = SVGChart(id: "c", title: "RequestCount", unit: "", series: [
            SVGChart.Series(name: "requests", colour: "#1f5fa8", legendClass: "legend-baseline", points: points),
        ], marks: [SVGChart.Mark(time: start.addingTimeInterval(10), label: "weight 50 %", symbol: "50 %", colour: "#555", line: true),
                   SVGChart.Mark(time: start.addingTimeInterval(20), label: "fail", symbol: "✗", colour: "#b3261e", line: false)],
        threshold: (250, "threshold 250")).render()
        #expect(chart.contains("<line class=\"threshold\""))
        #expect(chart.contains(">threshold 250</text>"))
        // Ticks every 5 s on round clock times, the first at the start.
        #expect(chart.contains(">\(HTML.clock(start))</text>") && chart.contains(">\(HTML.clock(start.addingTimeInterval(5)))</text>"))
        #expect(chart.contains(">50 %</text>") && chart.contains("✗</text>"))
        #expect(chart.contains(">300</text>"), "the highest gridline is labelled")
    }

    @Test func anEmptyOrFlatSeriesIsDrawnWithoutDividingByZero() {
        let empty = SVGChart(id: "e", title: "CPU", unit: "%", series: [SVGChart.Series(name: "cpu", colour: "#000", legendClass: "x", points: [])]).render()
        #expect(empty.contains("No data yet for CPU"))
        let one = SVGChart(id: "o", title: "CPU", unit: "%", series: [
            SVGChart.Series(name: "cpu", colour: "#000", legendClass: "x", points: [(Date(timeIntervalSince1970: 0), 0)]),
        ]).render()
        #expect(one.contains("<polyline") && !one.contains("nan") && !one.contains("inf"))
    }
}
