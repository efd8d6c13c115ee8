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
        let asgard = CLI(server)
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
        // Images by application and version, with the id.
        #expect(listed.stdout.contains("shop-prod-v000  shop 1.0.0 (\(imageId))  1    3        3    3"), "\(listed.stdout)")
        let clusters = try asgard("cluster", "list")
        #expect(clusters.stdout.contains("shop-prod  shop-prod-v000  3"))
        #expect(try asgard("cluster", "show", "shop-prod").stdout.contains("Size            min 1, desired 3, max 3"))

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
        let notAGroup = try asgard("cluster", "delete", "shop-prod")
        #expect(notAGroup.status == 1 && notAGroup.stderr.contains("not found") && !notAGroup.stderr.contains("--force"),
                "a cluster's name is no group: said before asking for --force; \(notAGroup.stderr)")
        #expect(try asgard("asg", "delete", "shop-prod-v000", "--force").stdout == "Deleted server group shop-prod-v000\n")
        #expect(try asgard("asg", "list").stdout.hasPrefix("No server groups yet"))
    }

    @Test func loadBalancersFromTheCLI() async throws {
        let scratch = try Scratch("lb-cli")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let asgard = CLI(server)
        #expect(try asgard("app", "create", "shop", "--owner", "team", "--email", "shop@example.com").status == 0)
        let registered = try asgard("image", "register", "shop", "1.0.0", "--", LocalCloudTests.sampleApp)
        let imageId = String(try #require(registered.stdout.split(separator: "\n").first).split(separator: " ")[2])
        let port = try freePort()

        let bad = try asgard("lb", "create", "shop_prod", "--port", String(port))
        #expect(bad.status == 1)
        #expect(bad.stderr == "error: name: 'shop_prod' may contain only letters, digits and hyphens\n")
        let created = try asgard("lb", "create", "shop-prod", "--port", String(port), "--interval", "2", "--timeout", "1")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.hasPrefix("Created load balancer shop-prod at http://127.0.0.1:\(port)/"))
        #expect(try asgard("asg", "create", "shop", "--stack", "prod", "--image", imageId, "--desired", "2", "--load-balancer", "shop-prod").status == 0)
        try await waitUntil("two healthy instances in `lb show`") {
            try asgard("lb", "show", "shop-prod").stdout.components(separatedBy: "  healthy  ").count - 1 == 2
        }
        #expect(try await HTTP.get("http://127.0.0.1:\(port)/", accept: "*/*", token: nil).status == 200)
        #expect(try asgard("lb", "list").stdout.contains("shop-prod      proxy  http://127.0.0.1:\(port)/  running  shop-prod-v000  2/2"))
        #expect(try asgard("asg", "show", "shop-prod-v000").stdout.contains("Traffic         enabled"))

        let weighted = try asgard("lb", "update", "shop-prod", "--weight", "shop-prod-v000=3", "--algorithm", "least_outstanding_requests")
        #expect(weighted.status == 0, "\(weighted.stderr)")
        #expect(weighted.stdout.contains("Traffic weights   shop-prod-v000=3"))
        #expect(weighted.stdout.contains("Algorithm         least_outstanding_requests"))
        let wrongWeight = try asgard("lb", "update", "shop-prod", "--weight", "shop-prod-v009=3")
        #expect(wrongWeight.status == 1)
        #expect(wrongWeight.stderr.contains("'shop-prod-v009' is not a server group"))

        #expect(try asgard("lb", "delete", "shop-prod").status == 1)
        let inUse = try asgard("lb", "delete", "shop-prod", "--force")
        #expect(inUse.status == 1)
        #expect(inUse.stderr.contains("is used by server group shop-prod-v000"))
        #expect(try asgard("asg", "delete", "shop-prod-v000", "--force").status == 0)
        #expect(try asgard("lb", "delete", "shop-prod", "--force").stdout == "Deleted load balancer shop-prod\n")
        #expect(try asgard("lb", "list").stdout.hasPrefix("No load balancers yet"))
        try await waitUntil("the listener port closed") {
            try await run("/usr/bin/env", ["python3", "-c", "import socket; socket.create_connection(('127.0.0.1', \(port)), 1)"]).status != 0
        }
    }
}
