/// A process the local cloud started, identified across restarts of the server: the pid and the
/// process's start time (in clock ticks since boot, from `/proc/PID/stat`), so that a reused pid
/// is never mistaken for ours.
public struct ProcessHandle: Sendable, Hashable, Codable {
    /// The process id.
    public var pid: Int32
    /// When the process started, in clock ticks since boot.
    public var startTicks: UInt64

    /// Creates a handle.
    public init(pid: Int32, startTicks: UInt64) {
        self.pid = pid
        self.startTicks = startTicks
    }
}

/// What a command needs to run as an instance.
public struct LaunchSpec: Sendable, Hashable {
    /// The argv; the first element an absolute path or a name on PATH.
    public var command: [String]
    /// The whole environment of the process.
    public var environment: [String: String]
    /// The directory it starts in.
    public var workingDirectory: String
    /// The file its standard output and error are appended to.
    public var logPath: String

    /// Creates a spec.
    public init(command: [String], environment: [String: String], workingDirectory: String, logPath: String) {
        self.command = command
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.logPath = logPath
    }
}

/// A process launch that failed, with what to do about it.
public struct LaunchError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var description: String
}
