import AsgardTestSupport
import Foundation
import Testing

/// A free TCP port on 127.0.0.1.
func freePort() throws -> Int {
    try FreePort().port
}

/// The sample application as a process.
final class SampleAppProcess: @unchecked Sendable {
    let process = Process()
    let url: String

    init(_ arguments: [String], environment: [String: String] = [:]) async throws {
        let port = try freePort()
        url = "http://127.0.0.1:\(port)"
        process.executableURL = URL(fileURLWithPath: URL(fileURLWithPath: Binaries.asgard).deletingLastPathComponent()
            .appendingPathComponent("asgard-sample-app").path)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["PORT"] = String(port)
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let url = self.url
        try await waitUntil("the sample app to listen") {
            if !self.process.isRunning { return true }
            return (try? await HTTP.get(url + "/health", accept: "*/*", token: nil)) != nil
        }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

@Suite("The sample application", .serialized)
struct SampleAppTests {
    @Test func answersItsVersionAndInstanceAndFailsInTheAskedShare() async throws {
        let app = try await SampleAppProcess(["--version-label", "2.1.0", "--error-rate", "0.2"],
                                             environment: ["ASGARD_INSTANCE_ID": "i-0123abcd"])
        defer { app.stop() }
        var failures = 0
        var body = ""
        for _ in 0..<100 {
            let reply = try await HTTP.get(app.url + "/", token: nil)
            if reply.status == 500 { failures += 1 } else { body = reply.text }
        }
        #expect(failures == 20)
        #expect(body == "{\"version\": \"2.1.0\", \"instanceId\": \"i-0123abcd\"}\n")
        #expect(try await HTTP.get(app.url + "/health", token: nil).status == 200)
    }

    @Test func canBeUnhealthySlowAndShortLived() async throws {
        let sick = try await SampleAppProcess([], environment: ["SAMPLE_UNHEALTHY": "1", "SAMPLE_LATENCY_MS": "150"])
        defer { sick.stop() }
        #expect(try await HTTP.get(sick.url + "/health", token: nil).status == 503)
        let started = Date()
        #expect(try await HTTP.get(sick.url + "/", token: nil).status == 200)
        #expect(Date().timeIntervalSince(started) >= 0.15)

        let brief = try await SampleAppProcess(["--exit-after-s", "0.5"])
        try await waitUntil("the sample app to exit by itself", seconds: 10) { !brief.process.isRunning }
        #expect(brief.process.terminationStatus == 1)
    }

    @Test func refusesAnErrorRateOutsideZeroToOne() async throws {
        let path = URL(fileURLWithPath: Binaries.asgard).deletingLastPathComponent().appendingPathComponent("asgard-sample-app").path
        let result = try await run(path, ["--error-rate", "1.5"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--error-rate must be from 0.0 to 1.0"))
    }
}
