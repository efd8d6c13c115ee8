import Foundation

/// What an instance's process uses, read at one moment: its CPU time so far and its resident
/// memory. Two readings give the CPU share in between.
public struct InstanceUsage: Sendable, Hashable, Codable {
    public var instanceId: InstanceID
    /// User and system CPU time since the process started.
    public var cpuSeconds: Double
    /// Resident memory.
    public var residentBytes: UInt64

    /// Creates a reading.
    public init(instanceId: InstanceID, cpuSeconds: Double, residentBytes: UInt64) {
        self.instanceId = instanceId
        self.cpuSeconds = cpuSeconds
        self.residentBytes = residentBytes
    }

    /// Parses `/proc/PID/stat` and `/proc/PID/statm` (fields after the command name, which may
    /// hold spaces and parentheses); nil when they do not parse.
    public static func parse(instanceId: InstanceID, stat: String, statm: String, ticksPerSecond: Double, pageSize: UInt64) -> InstanceUsage? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        // After ")": state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let pages = statm.split(separator: " ")
        guard pages.count > 1, let resident = UInt64(pages[1]) else { return nil }
        return InstanceUsage(instanceId: instanceId, cpuSeconds: (user + system) / ticksPerSecond, residentBytes: resident * pageSize)
    }
}
