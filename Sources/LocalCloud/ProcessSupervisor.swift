import CLocalCloudShims
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Starts, watches and stops instance processes.
///
/// Each process runs in a session of its own (`setsid`), so it outlives a crash of the server and
/// can be re-adopted by the next start; its standard output and error go to a log file. Nothing
/// goes through a shell.
public struct ProcessSupervisor: Sendable {
    /// Creates a supervisor.
    public init() {}

    /// Starts `spec` and answers its handle.
    ///
    /// - Throws: `LaunchError` when the program cannot be started.
    public func launch(_ spec: LaunchSpec) throws -> ProcessHandle {
        guard let program = spec.command.first, !program.isEmpty else { throw LaunchError(description: "The command is empty") }
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, spec.logPath, O_WRONLY | O_CREAT | O_APPEND, 0o640)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)
        asgard_spawn_addchdir(&fileActions, spec.workingDirectory)
        // Nothing of the server's leaks into an instance: not its listening socket, not its database.
        asgard_spawn_addclosefrom(&fileActions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new session: no signal sent to the server's terminal or process group reaches it.
        posix_spawnattr_setflags(&attributes, Int16(asgard_spawn_setsid_flag() | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let argv = spec.command.map { strdup($0) } + [nil]
        let envp = spec.environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result: Int32
        if program.hasPrefix("/") {
            result = posix_spawn(&pid, program, &fileActions, &attributes, argv, envp)
        } else {
            // posix_spawnp searches the PATH of the new environment's caller; give it ours.
            result = posix_spawnp(&pid, program, &fileActions, &attributes, argv, envp)
        }
        guard result == 0 else {
            throw LaunchError(description: "Cannot start '\(program)': \(String(cString: strerror(result)))")
        }
        guard let ticks = ProcessSupervisor.startTicks(of: pid) else {
            throw LaunchError(description: "'\(program)' exited at once; see its console output")
        }
        return ProcessHandle(pid: pid, startTicks: ticks)
    }

    /// True while the process of `handle` runs (a zombie counts as ended, and is reaped).
    public func isRunning(_ handle: ProcessHandle) -> Bool {
        reap(handle.pid)
        guard let (ticks, state) = ProcessSupervisor.stat(of: handle.pid) else { return false }
        return ticks == handle.startTicks && state != "Z" && state != "X"
    }

    /// Stops the process: SIGTERM, then SIGKILL when it has not ended after `grace`.
    ///
    /// - Returns: true when it had to be killed.
    @discardableResult
    public func terminate(_ handle: ProcessHandle, grace: Duration) async -> Bool {
        guard isRunning(handle) else { return false }
        kill(handle.pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline {
            if !isRunning(handle) { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard isRunning(handle) else { return false }
        kill(handle.pid, SIGKILL)
        let killDeadline = ContinuousClock.now + .seconds(5)
        while isRunning(handle), ContinuousClock.now < killDeadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// The last `maxBytes` of a log file, as text; empty when there is none.
    public func consoleOutput(_ logPath: String, maxBytes: Int = 64 * 1024) -> String {
        guard let handle = FileHandle(forReadingAtPath: logPath) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let start = size > UInt64(maxBytes) ? size - UInt64(maxBytes) : 0
        try? handle.seek(toOffset: start)
        let data = (try? handle.readToEnd()) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// How the process of `handle` ended, in words ("exited with status 1", "was killed by
    /// signal 9 (SIGKILL)"), when it was a child of this server that has been reaped; nil while it
    /// runs or when it was started by an earlier run of the server (whose status nobody can read).
    public func exitDescription(_ handle: ProcessHandle) -> String? {
        reap(handle.pid)
        guard let status = ProcessSupervisor.exits.withLock({ $0[handle.pid] }) else { return nil }
        return ProcessSupervisor.describe(status)
    }

    /// A wait status in words.
    static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exited with status \((status >> 8) & 0xff)" }
        let name = strsignal(signal).map { String(cString: $0) } ?? "signal \(signal)"
        return "was killed by signal \(signal) (\(name))"
    }

    /// The wait statuses of children reaped, by pid (the last few hundred).
    private static let exits = Mutex<[Int32: Int32]>([:])

    /// Collects the exit status of a child of ours, so that it does not linger as a zombie, and
    /// keeps it for `exitDescription`.
    private func reap(_ pid: Int32) {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return }
        ProcessSupervisor.exits.withLock { exits in
            if exits.count > 512 { exits.removeAll() }
            exits[pid] = status
        }
    }

    /// The start time of a running process, in clock ticks since boot.
    static func startTicks(of pid: Int32) -> UInt64? {
        stat(of: pid)?.ticks
    }

    /// Field 22 (start time) and field 3 (state) of `/proc/PID/stat`. The command name in field
    /// 2 may contain spaces and parentheses, so fields are counted after its last `)`.
    static func stat(of pid: Int32) -> (ticks: UInt64, state: Character)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After ")": state is field 3, start time field 22 → indices 0 and 19.
        guard fields.count > 19, let ticks = UInt64(fields[19]), let state = fields[0].first else { return nil }
        return (ticks, state)
    }
}
