import Foundation
import Testing

@Suite("Fuzzing the API", .serialized, .heavy)
struct FuzzTests {
    /// schemathesis generates well over a thousand requests from /openapi.json, signed in as an
    /// admin whose user and token names it cannot guess (so it cannot revoke its own access).
    @Test func schemathesisFindsNoServerErrorsAndEvery4xxHasAMessage() async throws {
        let scratch = try Scratch("fuzz")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let user = try await HTTP.postForm(server.url + "/user/save", [("name", "fuzz-\(suffix)"), ("roles", "admin")])
        #expect(user.status == 201, "\(user.text)")
        let created = try await HTTP.postForm(server.url + "/token/create", [("name", "fuzz-\(suffix)"), ("user", "fuzz-\(suffix)")])
        let token = try #require((try JSONSerialization.jsonObject(with: created.body) as? [String: Any])?["token"] as? String)

        let script = Binaries.packageRoot.appendingPathComponent("Tests/fuzz/schemathesis_run.py").path
        let result = try await run("/usr/bin/env", ["python3", script, server.url, token, scratch.path + "/report"])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS "))
        // And the server is still up and answering.
        #expect(try await HTTP.get(server.url + "/healthcheck", accept: "*/*").status == 200)
    }

    /// Every numeric and boolean field of every mutation gets 0, ±1, 2^31, 2^53, ±2^63, 1e308,
    /// 1e-300, NaN and Infinity as JSON numbers, JSON strings and form fields; scaling policies
    /// that accept extremes are made to act at the next metrics tick. No answer may be a 5xx and
    /// the server must still be up after the sweep.
    @Test func theBoundaryFuzzerFindsNoServerErrorAndNoCrash() async throws {
        let scratch = try Scratch("boundary")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data", extraArguments: ["--metrics-interval", "1"])
        defer { server.stop() }
        let script = Binaries.packageRoot.appendingPathComponent("Tests/fuzz/boundary_fuzz.py").path
        let sample = URL(fileURLWithPath: Binaries.asgard).deletingLastPathComponent().appendingPathComponent("asgard-sample-app").path
        let result = try await run("/usr/bin/env", ["python3", script, server.url, adminToken, sample],
                             environment: ["ASGARD_SERVER_PID": String(server.process.processIdentifier), "ASGARD_SERVER_LOG": server.logPath])
        #expect(result.status == 0, "\(result.stdout.suffix(6000))\n\(result.stderr.suffix(2000))")
        let last = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("PASS "), "\(last)")
        // Thousands of requests went out, not a handful.
        let count = Int(last.split(separator: " ").dropFirst().first ?? "") ?? 0
        #expect(count > 3000, "\(last)")
        #expect(server.process.isRunning)
        #expect(try await HTTP.get(server.url + "/healthcheck", accept: "*/*").status == 200)
    }
}
