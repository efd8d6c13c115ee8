import Foundation
import Metrics
import Prometheus

/// The console's metrics for Prometheus: what the engine, the AWS client and the HTTP server
/// count through swift-metrics goes to one process-wide registry, and `GET /metrics` writes it
/// with the figures read when asked (caches, instances, deployments under way, the process).
enum ConsoleMetrics {
    /// The registry every console of this process writes to.
    static let registry: PrometheusCollectorRegistry = {
        var factory = PrometheusMetricsFactory(registry: PrometheusMetricsFactory.defaultRegistry)
        // Deployments take seconds to hours; requests take milliseconds.
        factory.durationHistogramBuckets["asgard_deployment_duration_seconds"] =
            [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200].map { Duration.seconds($0) }
        MetricsSystem.bootstrap(factory)
        return factory.registry
    }()

    /// Makes sure swift-metrics writes to `registry` (once per process: swift-metrics allows one
    /// backend, and several consoles run in one test process).
    static func install() {
        _ = registry
    }

    /// The exposition text: the registry's metrics, then `figures`.
    static func exposition(_ figures: [MetricFamily]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 << 10)
        registry.emit(into: &bytes)
        var text = String(decoding: bytes, as: UTF8.self)
        for family in figures { family.write(into: &text) }
        return text
    }
}

/// Figures read when scraped, in Prometheus' text format: one metric name, its type and help,
/// and a sample per label set.
struct MetricFamily: Sendable {
    enum Kind: String, Sendable {
        case gauge
        case counter
        case histogram
    }

    /// One line: the family's name with `suffix` (a histogram's `_bucket`, `_sum`, `_count`).
    struct Sample: Sendable {
        var suffix = ""
        var labels: [(String, String)]
        var value: Double
    }

    var name: String
    var kind: Kind
    var help: String
    var samples: [Sample]

    init(name: String, kind: Kind, help: String, samples: [(labels: [(String, String)], value: Double)]) {
        self.name = name
        self.kind = kind
        self.help = help
        self.samples = samples.map { Sample(labels: $0.labels, value: $0.value) }
    }

    /// Adds the lines of a histogram with `labels`: its cumulative count at or below each of
    /// `bounds` and at +Inf, its sum and its count.
    mutating func addHistogram(labels: [(String, String)], bounds: [Double], cumulative: [Double], sum: Double, count: Double) {
        for (bound, seen) in zip(bounds, cumulative) {
            samples.append(Sample(suffix: "_bucket", labels: labels + [("le", MetricFamily.number(bound))], value: seen))
        }
        samples.append(Sample(suffix: "_bucket", labels: labels + [("le", "+Inf")], value: count))
        samples.append(Sample(suffix: "_sum", labels: labels, value: sum))
        samples.append(Sample(suffix: "_count", labels: labels, value: count))
    }

    func write(into text: inout String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n"
        for sample in samples {
            text += name + sample.suffix
            if !sample.labels.isEmpty {
                text += "{" + sample.labels.map { "\($0.0)=\"\(MetricFamily.escaped($0.1))\"" }.joined(separator: ",") + "}"
            }
            text += " \(MetricFamily.number(sample.value))\n"
        }
    }

    /// A label value as the text format writes it: backslash, quote and newline escaped.
    static func escaped(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// A sample value: whole numbers without a fraction, the rest as Swift writes doubles.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
