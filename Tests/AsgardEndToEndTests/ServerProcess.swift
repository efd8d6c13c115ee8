import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// Where the built `asgard` binary is: next to the test bundle, as `swift build` puts it.
enum Binaries {
    static var asgard: String {
        if let path = ProcessInfo.processInfo.environment["ASGARD_BINARY"] { return path }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        // On Linux the runner is `<bin>/asgardPackageTests.xctest`; elsewhere it sits inside a bundle.
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("asgard").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/asgard").path
    }

    /// The package's root directory.
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}

/// A fresh temporary directory for one test.
struct Scratch {
    let path: String

    init(_ label: String) throws {
        path = NSTemporaryDirectory() + "asgard-e2e-\(label)-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Waits until `condition` holds, checking every 50 ms, or fails after `seconds`.
func waitUntil(_ what: String, seconds: Double = 30, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw E2EError("Timed out after \(seconds) s waiting for \(what)")
}

struct E2EError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The admin's API token of every server the end-to-end tests start.
let adminToken = "e2e-admin-token-0123456789abcdef"
/// The user that token belongs to.
let adminName = "admin"

/// A real `asgard serve` process on a free loopback port.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let dataDir: String
    let logPath: String
    private(set) var url = ""

    /// Starts the server with its data in `dataDir` and waits until it serves, or, with
    /// `untilExit`, until it ends by itself (a crash it was told to have).
    init(dataDir: String, extraArguments: [String] = [], adminToken: String? = adminToken, environment extra: [String: String] = [:],
         untilExit: Bool = false) async throws {
        self.dataDir = dataDir
        logPath = NSTemporaryDirectory() + "asgard-server-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: Binaries.asgard)
        process.arguments = ["serve", "--port", "0", "--data-dir", dataDir] + extraArguments
        var environment = ProcessInfo.processInfo.environment
        environment["ASGARD_ADMIN_TOKEN"] = adminToken
        environment.merge(extra) { _, new in new }
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        try process.run()
        if untilExit {
            let process = process
            try await waitUntil("the server to end by itself (log: \(logPath))", seconds: 60) { !process.isRunning }
            return
        }
        var found = ""
        let logPath = logPath
        try await waitUntil("the server to listen (log: \(logPath))") {
            let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: "Asgard is serving ") {
                found = String(text[range.upperBound...].prefix { !$0.isWhitespace })
                return true
            }
            if !self.process.isRunning { throw E2EError("The server exited: \(text)") }
            return false
        }
        url = found
    }

    /// Waits until the server ends by itself.
    func waitForExit(seconds: Double = 60) async throws {
        let process = process
        try await waitUntil("the server to end by itself (log: \(logPath))", seconds: seconds) { !process.isRunning }
    }

    /// Ends the server with `kill -9`: no chance to flush or clean up.
    func crash() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Ends the server as Ctrl-C would.
    func stop() {
        if process.isRunning {
            process.interrupt()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// What the server wrote to its console.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// Minimal HTTP for the end-to-end tests.
enum HTTP {
    struct Reply {
        var status: Int
        var body: Data
        /// The answer's headers, by lowercased name (the last of a repeated one).
        var headers: [String: String] = [:]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func get(_ url: String, accept: String = "application/json", token: String? = adminToken,
                    headers: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: accept)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        return try await send(request)
    }

    static func postForm(_ url: String, _ fields: [(String, String)], token: String? = adminToken, accept: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let accept { request.headers.add(name: "Accept", value: accept) }
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: body))
        return try await send(request)
    }

    static func postJSON(_ url: String, _ body: Data, token: String? = adminToken) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await send(request)
    }

    private static func send(_ request: HTTPClientRequest) async throws -> Reply {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        let headers = Dictionary(response.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        return Reply(status: Int(response.status.code), body: Data(body.readableBytesView), headers: headers)
    }
}

/// Registers the application `shop`, which most end-to-end tests deploy.
func registerShop(_ server: ServerProcess) async throws {
    let app = try await HTTP.postForm(server.url + "/application/save", [("name", "shop"), ("owner", "team"), ("email", "shop@example.com")])
    #expect(app.status == 201, "\(app.text)")
}

/// The built `asgard` CLI, talking to `server` as the admin: `try asgard("app", "list")`.
struct CLI {
    let environment: [String: String]

    init(_ server: ServerProcess) {
        environment = ["ASGARD_URL": server.url, "ASGARD_TOKEN": adminToken]
    }

    func callAsFunction(_ args: String...) throws -> (status: Int32, stdout: String, stderr: String) {
        try runBlocking(Binaries.asgard, args, environment: environment)
    }

    /// The same without holding a thread while it runs: for suites that run many commands.
    func nonBlocking(_ args: String...) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await nonBlocking(arguments: args)
    }

    /// The same with the arguments in an array.
    func nonBlocking(arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runWithoutBlocking(Binaries.asgard, arguments, environment: environment)
    }

    /// The same for a command that may take up to `seconds` (a deployment waited for).
    func nonBlocking(seconds: Double, _ args: String...) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runWithoutBlocking(Binaries.asgard, args, environment: environment, seconds: seconds)
    }
}

/// Runs a program to completion on a thread of its own and answers its exit code and output.
///
/// The tests' shared threads (one per core) are not held while it runs: a browser script or a
/// fuzzer runs for minutes, and two of them holding both threads stalled every other test's
/// timers on a 2-core machine (a 10 ms retry pause ended 40 s late).
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
         workingDirectory: String? = nil, input: String? = nil) async throws -> (status: Int32, stdout: String, stderr: String) {
    try await withCheckedThrowingContinuation { (done: CheckedContinuation<(status: Int32, stdout: String, stderr: String), any Error>) in
        Thread.detachNewThread {
            done.resume(with: Result {
                try runBlocking(executable, arguments, environment: environment, workingDirectory: workingDirectory, input: input)
            })
        }
    }
}

/// The same, holding the caller's thread: for a `defer`, which cannot wait.
func runBlocking(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                 workingDirectory: String? = nil, input: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "ASGARD_URL")
    env.removeValue(forKey: "ASGARD_TOKEN")
    env.merge(environment) { _, new in new }
    process.environment = env
    if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
    // Output goes to files rather than pipes, so a chatty child can never block on a full pipe.
    let base = NSTemporaryDirectory() + "asgard-run-" + UUID().uuidString
    _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: base + ".out")
        try? FileManager.default.removeItem(atPath: base + ".err")
    }
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
    if let input {
        _ = FileManager.default.createFile(atPath: base + ".in", contents: Data(input.utf8))
        process.standardInput = FileHandle(forReadingAtPath: base + ".in")
    } else {
        process.standardInput = FileHandle.nullDevice
    }
    defer { try? FileManager.default.removeItem(atPath: base + ".in") }
    try process.run()
    process.waitUntilExit()
    let stdout = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
    let stderr = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
    return (process.terminationStatus, stdout, stderr)
}

