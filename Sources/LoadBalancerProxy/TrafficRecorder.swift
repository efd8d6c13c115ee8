import AsgardCore
import Histogram
import Synchronization

/// Request counts and latency histograms of one event loop, per server group and per instance.
/// Each loop records into its own recorder, so the hot path takes an uncontended lock; a report
/// merges them.
final class TrafficRecorder: Sendable {
    /// Latency is recorded in microseconds up to a minute; slower answers count as a minute.
    static let highestMicros: UInt64 = 60_000_000

    struct Series: Sendable {
        var counts = StatusCounts()
        var latency = Histogram<UInt64>(highestTrackableValue: TrafficRecorder.highestMicros, numberOfSignificantValueDigits: .three)

        mutating func record(status: Int, micros: UInt64) {
            counts.record(status: status)
            _ = latency.record(min(max(micros, 1), TrafficRecorder.highestMicros))
        }

        mutating func add(_ other: Series) {
            counts.add(other.counts)
            latency.add(other.latency)
        }
    }

    struct Tables: Sendable {
        var groups: [String: Series] = [:]
        var instances: [InstanceID: Series] = [:]
        var unrouted = StatusCounts()
    }

    private let tables = Mutex(Tables())

    /// Counts one answer of `target` (nil: answered by the load balancer itself).
    func record(_ target: BackendTarget?, status: Int, micros: UInt64) {
        tables.withLock { tables in
            guard let target else {
                tables.unrouted.record(status: status)
                return
            }
            tables.groups[target.group, default: Series()].record(status: status, micros: micros)
            tables.instances[target.instanceId, default: Series()].record(status: status, micros: micros)
        }
    }

    /// A copy of what was recorded.
    func copy() -> Tables { tables.withLock { $0 } }

    /// `tables` of every loop added up.
    static func merge(_ all: [Tables]) -> Tables {
        var merged = Tables()
        for tables in all {
            for (name, series) in tables.groups { merged.groups[name, default: Series()].add(series) }
            for (id, series) in tables.instances { merged.instances[id, default: Series()].add(series) }
            merged.unrouted.add(tables.unrouted)
        }
        return merged
    }
}

extension TrafficRecorder.Series {
    /// The JSON summary, in milliseconds, with the histogram's recorded values.
    var summary: LatencySummary {
        guard latency.totalCount > 0 else { return LatencySummary() }
        func ms(_ micros: UInt64) -> Double { Double(micros) / 1000 }
        return LatencySummary(count: Int(latency.totalCount), p50: ms(latency.valueAtPercentile(50)), p90: ms(latency.valueAtPercentile(90)),
                              p99: ms(latency.valueAtPercentile(99)), max: ms(latency.max),
                              histogram: latency.recordedValues().map { [$0.value, UInt64($0.count)] })
    }
}
