import Foundation

/// The process's own figures as Prometheus' client libraries name them (`process_…`), read from
/// /proc when scraped.
enum ProcessFigures {
    /// CPU seconds, resident bytes, open and allowed descriptors, and the start time.
    static func families() -> [MetricFamily] {
        var families: [MetricFamily] = []
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            // Fields after the command's closing parenthesis, numbered from 3 (state).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 19, let user = Double(fields[11]), let system = Double(fields[12]), ticks > 0 {
                families.append(MetricFamily(name: "process_cpu_seconds_total", kind: .counter,
                                             help: "User and system CPU time spent in seconds.", samples: [([], (user + system) / ticks)]))
                if let startTicks = Double(fields[19]), let boot = bootTime() {
                    families.append(MetricFamily(name: "process_start_time_seconds", kind: .gauge,
                                                 help: "Start time of the process since unix epoch in seconds.", samples: [([], boot + startTicks / ticks)]))
                }
            }
        }
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let fields = statm.split(separator: " ")
            if fields.count > 1, let pages = Double(fields[1]) {
                families.append(MetricFamily(name: "process_resident_memory_bytes", kind: .gauge, help: "Resident memory size in bytes.",
                                             samples: [([], pages * Double(sysconf(Int32(_SC_PAGESIZE))))]))
            }
            if let pages = fields.first.flatMap({ Double($0) }) {
                families.append(MetricFamily(name: "process_virtual_memory_bytes", kind: .gauge, help: "Virtual memory size in bytes.",
                                             samples: [([], pages * Double(sysconf(Int32(_SC_PAGESIZE))))]))
            }
        }
        if let open = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            families.append(MetricFamily(name: "process_open_fds", kind: .gauge, help: "Number of open file descriptors.",
                                         samples: [([], Double(open.count))]))
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            families.append(MetricFamily(name: "process_max_fds", kind: .gauge, help: "Maximum number of open file descriptors.",
                                         samples: [([], Double(limit.rlim_cur))]))
        }
        return families
    }

    /// When the machine started, in seconds since 1970 (/proc/stat's btime).
    private static func bootTime() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
