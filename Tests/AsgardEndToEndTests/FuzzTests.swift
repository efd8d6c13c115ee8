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
        let result = try run("/usr/bin/env", ["python3", script, server.url, token, scratch.path + "/report"])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS "))
        // And the server is still up and answering.
        #expect(try await HTTP.get(server.url + "/healthcheck", accept: "*/*").status == 200)
    }
}
