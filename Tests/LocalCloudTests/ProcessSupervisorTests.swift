import Foundation
@testable import LocalCloud
import Testing

/// Waits until `condition` holds, checking every 20 ms, or fails after `seconds`.
func waitUntil(_ what: String, seconds: Double = 10, _ condition: () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("Timed out after \(seconds) s waiting for \(what)")
    throw CancellationError()
}

@Suite("Process supervisor", .serialized)
struct ProcessSupervisorTests {
    let supervisor = ProcessSupervisor()

    func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "asgard-supervisor-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func runsTheArgvWithItsEnvironmentDirectoryAndLogInItsOwnSession() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = LaunchSpec(command: ["/bin/sh", "-c", "echo port=$PORT dir=$(pwd) arg=\"$0\"; echo oops >&2; exec sleep 30", "two words"],
                              environment: ["PORT": "4321", "PATH": "/usr/bin:/bin"], workingDirectory: dir, logPath: dir + "/console.log")
        let handle = try supervisor.launch(spec)
        defer { kill(handle.pid, SIGKILL) }
        #expect(supervisor.isRunning(handle))
        try await waitUntil("the log to fill") { supervisor.consoleOutput(spec.logPath).contains("oops") }
        let output = supervisor.consoleOutput(spec.logPath)
        #expect(output.contains("port=4321 dir=\(dir) arg=two words"))
        // Its own session: the session id (field 6 of /proc/PID/stat) is its pid.
        let stat = try String(contentsOfFile: "/proc/\(handle.pid)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        #expect(Int32(fields[3]) == handle.pid)
    }

    @Test func terminateSendsSIGTERMAndKillsWhatIgnoresIt() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let polite = try supervisor.launch(LaunchSpec(command: ["sleep", "30"], environment: ["PATH": "/usr/bin:/bin"],
                                                      workingDirectory: dir, logPath: dir + "/a.log"))
        #expect(await supervisor.terminate(polite, grace: .seconds(5)) == false)
        #expect(!supervisor.isRunning(polite))

        let stubborn = try supervisor.launch(LaunchSpec(command: ["/bin/sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done"],
                                                        environment: ["PATH": "/usr/bin:/bin"], workingDirectory: dir, logPath: dir + "/b.log"))
        try await waitUntil("the trap to be set") { supervisor.consoleOutput(dir + "/b.log").contains("ready") }
        let started = ContinuousClock.now
        #expect(await supervisor.terminate(stubborn, grace: .milliseconds(300)) == true)
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        #expect(!supervisor.isRunning(stubborn))
    }

    @Test func aReusedPidIsNotOurs() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let handle = try supervisor.launch(LaunchSpec(command: ["sleep", "30"], environment: ["PATH": "/usr/bin:/bin"],
                                                      workingDirectory: dir, logPath: dir + "/a.log"))
        defer { kill(handle.pid, SIGKILL) }
        #expect(supervisor.isRunning(handle))
        #expect(!supervisor.isRunning(ProcessHandle(pid: handle.pid, startTicks: handle.startTicks + 1)))
        #expect(!supervisor.isRunning(ProcessHandle(pid: Int32.max - 7, startTicks: 1)))
    }

    @Test func aProcessThatExitsIsSeenAsEnded() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let handle = try supervisor.launch(LaunchSpec(command: ["/bin/sh", "-c", "exit 3"], environment: [:],
                                                      workingDirectory: dir, logPath: dir + "/a.log"))
        try await waitUntil("the process to end") { !supervisor.isRunning(handle) }
        #expect(throws: LaunchError.self) {
            try supervisor.launch(LaunchSpec(command: ["/nonexistent/program"], environment: [:], workingDirectory: dir, logPath: dir + "/b.log"))
        }
    }

    @Test func consoleOutputIsTheLastBytesOfTheLog() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/big.log"
        let text = (0..<20_000).map { "line \($0)\n" }.joined()
        try text.write(toFile: log, atomically: true, encoding: .utf8)
        let tail = supervisor.consoleOutput(log, maxBytes: 1024)
        #expect(tail.utf8.count == 1024)
        #expect(tail.hasSuffix("line 19999\n"))
        #expect(supervisor.consoleOutput(dir + "/missing.log") == "")
    }
}

@Suite("Process supervisor descriptors", .serialized)
struct ProcessSupervisorDescriptorTests {
    @Test func instancesInheritNoDescriptorOfTheServer() async throws {
        let dir = NSTemporaryDirectory() + "asgard-supervisor-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A descriptor the "server" holds open without close-on-exec.
        let fd = open(dir + "/held", O_CREAT | O_WRONLY, 0o600)
        #expect(fd >= 3)
        defer { close(fd) }
        let supervisor = ProcessSupervisor()
        let handle = try supervisor.launch(LaunchSpec(command: ["/bin/sh", "-c", "ls /proc/$$/fd; exec sleep 30"], environment: ["PATH": "/usr/bin:/bin"],
                                                      workingDirectory: dir, logPath: dir + "/console.log"))
        defer { kill(handle.pid, SIGKILL) }
        try await waitUntil("the descriptor list") { supervisor.consoleOutput(dir + "/console.log").contains("2") }
        let descriptors = supervisor.consoleOutput(dir + "/console.log").split(whereSeparator: { $0 == "\n" || $0 == " " }).compactMap { Int($0) }
        #expect(!descriptors.contains(Int(fd)), "\(descriptors)")
        #expect(descriptors.allSatisfy { $0 <= 3 })   // 0, 1, 2, and the shell's own directory handle for ls
    }
}
