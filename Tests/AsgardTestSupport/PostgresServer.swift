import Foundation

/// A throwaway PostgreSQL server for a test: `initdb` in a temporary directory, `pg_ctl start` on
/// a free loopback port (socket in the same directory, fsync off), one database `asgard`. As
/// root it runs as the `postgres` user, which Debian's package creates. `stop()` removes it all.
public final class PostgresServer: @unchecked Sendable {
    public let port: Int
    public let directory: String
    public let user = "asgard"
    public let password = "asgard-test-password"
    public let database = "asgard"
    let binaries: String
    let runAs: String?

    /// `postgres://asgard:…@127.0.0.1:PORT/asgard?sslmode=disable`.
    public var url: String { "postgres://\(user):\(password)@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    public init() async throws {
        guard let bin = PostgresServer.findBinaries() else {
            throw PostgresUnavailable(message: "no PostgreSQL server binaries under /usr/lib/postgresql; install Debian's postgresql (scripts/test does)")
        }
        binaries = bin
        runAs = getuid() == 0 ? "postgres" : nil
        port = try FreePort().port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("asgard-pg-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let runAs { try PostgresServer.run("/bin/chown", ["-R", runAs, directory]) }
        let passwordFile = directory + "/pw"
        try password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        if let runAs { try PostgresServer.run("/bin/chown", [runAs, passwordFile]) }
        try await run("initdb", ["-D", directory + "/data", "-U", user, "--pwfile", passwordFile, "-A", "scram-sha-256", "--no-sync", "-E", "UTF8"])
        try await run("pg_ctl", ["-D", directory + "/data", "-l", directory + "/log", "-w", "-t", "30", "-o",
                           "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                           "start"])
        try await run("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
                         "-c", "CREATE DATABASE \(database)"], environment: ["PGPASSWORD": password])
    }

    /// Runs `sql` on the test's database with psql, as the tests' user (to set up what only an
    /// older version or a crash could leave behind).
    public func psql(_ sql: String) async throws {
        try await run("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
                environment: ["PGPASSWORD": password])
    }

    /// Stops the server at once and removes its directory.
    public func stop() {
        try? runBlocking("pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stops the server, keeping its data: its connections drop as in an outage. (A fast stop,
    /// not an immediate one: with fsync off for speed, a crash would lose recent commits.)
    public func halt() async throws {
        try await run("pg_ctl", ["-D", directory + "/data", "-m", "fast", "-w", "stop"])
    }

    /// Starts it again after `halt()`: the same data, the same port.
    public func resume() async throws {
        try await run("pg_ctl", ["-D", directory + "/data", "-l", directory + "/log", "-w", "-t", "30", "-o",
                           "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                           "start"])
    }

    static func findBinaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        return versions.map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    /// The program and arguments that run `tool` (as the postgres user when run as root).
    func invocation(_ tool: String, _ arguments: [String], environment: [String: String]) -> (String, [String], [String: String]) {
        let path = binaries + "/" + tool
        let executable = FileManager.default.isExecutableFile(atPath: path) ? path : "/usr/bin/" + tool
        guard let runAs else { return (executable, arguments, environment) }
        let env = environment.map { "\($0.key)=\($0.value)" }
        return ("/usr/sbin/runuser", ["-u", runAs, "--", "/usr/bin/env"] + env + [executable] + arguments, [:])
    }

    /// Runs `tool` to its end on a thread of its own: the tests' shared threads are not held
    /// while initdb or pg_ctl works (on a busy machine that starved every other test's timers).
    func run(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) async throws {
        let (executable, arguments, environment) = invocation(tool, arguments, environment: environment)
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread {
                do {
                    try PostgresServer.run(executable, arguments, environment: environment)
                    done.resume()
                } catch {
                    done.resume(throwing: error)
                }
            }
        }
    }

    /// The same, holding the caller's thread: for `stop()`, which a `defer` calls.
    func runBlocking(_ tool: String, _ arguments: [String]) throws {
        let (executable, arguments, environment) = invocation(tool, arguments, environment: [:])
        try PostgresServer.run(executable, arguments, environment: environment)
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        // A file, not a pipe: the server pg_ctl starts would inherit the pipe and hold it open.
        let outputPath = NSTemporaryDirectory() + "asgard-pg-output-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = output
        process.standardError = output
        process.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        try process.run()
        // waitpid, not waitUntilExit: Foundation learns of the exit through a descriptor the
        // server pg_ctl starts inherits, so it would wait for the server to stop as well.
        var status: Int32 = 0
        while waitpid(process.processIdentifier, &status, 0) == -1 && errno == EINTR {}
        try? output.close()
        let data = FileManager.default.contents(atPath: outputPath) ?? Data()
        let exited = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard exited == 0 else {
            throw PostgresUnavailable(message: "\(executable) \(arguments.joined(separator: " ")) exited \(exited): "
                                      + String(decoding: data, as: UTF8.self))
        }
    }
}

public struct PostgresUnavailable: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
