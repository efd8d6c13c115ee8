import AsgardAPI
import AsgardCore
import Foundation
import Testing

/// The CLI's live view of a deployment in a real (pseudo-)terminal: redrawn in place, wrapped
/// rows counted, nothing left of an earlier frame, step durations readable.
@Suite("The CLI's live view", .serialized, .heavy)
struct LiveViewTests {
    let custom = CustomDeploymentTests()

    @Test(arguments: [60, 200])
    func followRedrawsExactlyItsFrame(_ columns: Int) async throws {
        let scratch = try Scratch("live-\(columns)")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let (_, v2, _) = try await custom.shopOnVersion1(server)
        let steps: [[String: Any]] = [["type": "createGroup"], ["type": "wait", "seconds": 2], ["type": "judgment", "minutes": 5],
                                      ["type": "disableGroup"]]
        let id = try await custom.start(server, ["imageId": v2, "strategy": "custom", "capacity": ["desired": 1], "steps": steps])
        let script = Binaries.packageRoot.appendingPathComponent("Tests/cli/pty_follow.py").path
        async let viewed = runWithoutBlocking("/usr/bin/env", ["python3", script, Binaries.asgard, server.url, adminToken, String(id), String(columns)],
                                              seconds: 180)
        try await waitUntil("deployment \(id) to wait for its judgment", seconds: 90) {
            try await custom.base.deployment(server, id).status == .waiting
        }
        let rollback = try await HTTP.postForm(server.url + "/deployment/rollback", [("id", String(id))])
        #expect(rollback.status == 200, "\(rollback.text)")
        let result = try await viewed
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS \(columns) columns"), "\(result.stdout)")
        #expect(result.stdout.contains("EXIT=3"), "a person's rollback exits 3: \(result.stdout)")
    }
}
