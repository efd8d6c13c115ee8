import AsgardAPI
import AsgardCore
import Foundation
import Testing

@Suite("Server groups from the CLI", .serialized)
struct ServerGroupCLITests {
    @Test func createsWatchesResizesAndDeletesAGroup() async throws {
        let scratch = try Scratch("asg-cli")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let env = ["ASGARD_URL": server.url, "ASGARD_TOKEN": adminToken]
        func asgard(_ args: String...) throws -> (status: Int32, stdout: String, stderr: String) {
            try run(Binaries.asgard, args, environment: env)
        }
        #expect(try asgard("app", "create", "shop", "--owner", "team", "--email", "shop@example.com").status == 0)
        let registered = try asgard("image", "register", "shop", "1.0.0", "--", LocalCloudTests.sampleApp)
        let imageId = String(try #require(registered.stdout.split(separator: "\n").first).split(separator: " ")[2])

        let created = try asgard("asg", "create", "shop", "--stack", "prod", "--image", imageId, "--desired", "3")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.hasPrefix("Created server group shop-prod-v000"))
        try await waitUntil("three instances in service") {
            try asgard("instance", "list", "shop").stdout.components(separatedBy: "InService").count - 1 == 3
        }
        let listed = try asgard("asg", "list")
        #expect(listed.stdout.contains("shop-prod-v000  \(imageId)  1    3        3    3"))
        let clusters = try asgard("cluster", "list")
        #expect(clusters.stdout.contains("shop-prod  shop-prod-v000  3"))
        #expect(try asgard("cluster", "show", "shop-prod").stdout.contains("Size          min 1, desired 3, max 3"))

        let resized = try asgard("asg", "resize", "shop-prod-v000", "--desired", "5")
        #expect(resized.status == 1)
        #expect(resized.stderr == "error: desiredCapacity: must be between minSize (1) and maxSize (3)\n")
        #expect(try asgard("asg", "resize", "shop-prod-v000", "--desired", "1").status == 0)
        try await waitUntil("one instance left") {
            try asgard("instance", "list").stdout.split(separator: "\n").count == 2
        }
        let instanceId = String(try #require(try asgard("instance", "list").stdout.split(separator: "\n").last).split(separator: " ")[0])
        #expect(try asgard("instance", "show", instanceId).stdout.contains("State         InService"))
        #expect(try asgard("instance", "console", instanceId).status == 0)
        let terminated = try asgard("instance", "terminate", instanceId, "--shrink")
        #expect(terminated.stdout == "Terminated \(instanceId) and shrank its group\n")
        #expect(try asgard("asg", "delete", "shop-prod-v000").status == 1)
        #expect(try asgard("asg", "delete", "shop-prod-v000", "--force").stdout == "Deleted server group shop-prod-v000\n")
        #expect(try asgard("asg", "list").stdout.hasPrefix("No server groups yet"))
    }
}
