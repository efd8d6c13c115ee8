import AsgardAPI
import Foundation
import Testing

/// Drives the real pages in headless Chromium through Selenium: the pattern for every UI test.
@Suite("The web UI in a real browser", .serialized, .heavy)
struct BrowserTests {
    @Test func createAnApplicationThroughTheFormAndFindItInTheList() async throws {
        let scratch = try Scratch("browser")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        // A person with the owner role on the application to be, who signs in with a password.
        let user = try await HTTP.postForm(server.url + "/user/save", [("name", "browser"), ("password", "correct horse battery"),
                                                                      ("roles", "viewer"), ("applications", "browserapp:owner")])
        #expect(user.status == 201, "\(user.text)")
        let script = Binaries.packageRoot.appendingPathComponent("Tests/browser/create_application.py").path
        let result = try await run("/usr/bin/env", ["python3", script, server.url, "browser", "correct horse battery"])
        #expect(result.status == 0, "browser test failed:\n\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS create application through the form"))
        // What the browser did is in the store, as the API sees it.
        let app = try await HTTP.get(server.url + "/application/show/browserapp.json")
        #expect(app.status == 200)
        #expect(app.text.contains("\"owner\" : \"Browser team\""))
    }

    @Test func createALoadBalancerAndAServerGroupBehindItThroughTheFormsAndTerminateAnInstance() async throws {
        let scratch = try Scratch("browser-asg")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let user = try await HTTP.postForm(server.url + "/user/save", [("name", "deployer"), ("password", "correct horse battery"),
                                                                      ("roles", "viewer"), ("applications", "shop:deployer")])
        #expect(user.status == 201)
        try await registerShop(server)
        let sample = URL(fileURLWithPath: Binaries.asgard).deletingLastPathComponent().appendingPathComponent("asgard-sample-app").path
        let image = try await HTTP.postJSON(server.url + "/local/image/register",
                                            try JSONSerialization.data(withJSONObject: ["name": "shop", "version": "1", "command": [sample]]))
        let imageId = try #require((try JSONSerialization.jsonObject(with: image.body) as? [String: Any])?["imageId"] as? String)
        let script = Binaries.packageRoot.appendingPathComponent("Tests/browser/server_group.py").path
        let result = try await run("/usr/bin/env", ["python3", script, server.url, "deployer", "correct horse battery", imageId, String(try freePort())])
        #expect(result.status == 0, "browser test failed:\n\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS terminate and shrink from the instance page"))
        #expect(result.stdout.contains("PASS deploy from the cluster page and watch it succeed"))
    }

    @Test func aRunningTaskPageFollowsItsLogLive() async throws {
        let scratch = try Scratch("browser-live")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let user = try await HTTP.postForm(server.url + "/user/save", [("name", "deployer"), ("password", "correct horse battery"),
                                                                      ("roles", "viewer"), ("applications", "shop:deployer")])
        #expect(user.status == 201)
        try await registerShop(server)
        let image = try await DeploymentTests().registerVersion(server, "1.0.0", extra: ["--startup-delay-ms", "4000"])
        _ = try await LoadBalancerTests().createBalancer(server)
        let started = try await DeploymentTests().start(server, image: image, strategy: "redBlack", loadBalancers: ["shop-prod"])
        let id = try APIJSON.decoder().decode(TaskAccepted.self, from: started.body).taskId.rawValue
        let script = Binaries.packageRoot.appendingPathComponent("Tests/browser/task_live.py").path
        let result = try await run("/usr/bin/env", ["python3", script, server.url, "deployer", "correct horse battery", String(id)])
        #expect(result.status == 0, "browser test failed:\n\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS the task page follows the log live"))
    }

    @Test func aJudgmentIsAnsweredFromTheTaskPageAndAGroupResizedFromTheClusterPage() async throws {
        let scratch = try Scratch("browser-judgment")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let user = try await HTTP.postForm(server.url + "/user/save", [("name", "deployer"), ("password", "correct horse battery"),
                                                                      ("roles", "viewer"), ("applications", "shop:deployer")])
        #expect(user.status == 201)
        let custom = CustomDeploymentTests()
        let (_, v2, _) = try await custom.shopOnVersion1(server)
        let id = try await custom.start(server, ["imageId": v2, "strategy": "custom", "capacity": ["min": 1, "desired": 2, "max": 4],
                                                 "steps": CustomDeploymentTests.canarySteps])
        let script = Binaries.packageRoot.appendingPathComponent("Tests/browser/judgment.py").path
        let result = try await run("/usr/bin/env", ["python3", script, server.url, "deployer", "correct horse battery", String(id)])
        #expect(result.status == 0, "browser test failed:\n\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS proceed from the task page"))
        #expect(result.stdout.contains("PASS resize a group from the cluster page"))
        #expect(try await LocalCloudTests().group(server, "shop-prod-v001").desiredCapacity == 3)
    }

    @Test func aCanarysChartsFollowItsAnalysisLiveOnTheTaskPage() async throws {
        let scratch = try Scratch("browser-canary")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let user = try await HTTP.postForm(server.url + "/user/save", [("name", "deployer"), ("password", "correct horse battery"),
                                                                      ("roles", "viewer"), ("applications", "shop:deployer")])
        #expect(user.status == 201)
        let custom = CustomDeploymentTests()
        let (_, v2, port) = try await custom.shopOnVersion1(server)
        let (load, result) = try await Load.during("http://127.0.0.1:\(port)/") { _ in
            let id = try await CanaryTests().canary(server, image: v2, steps: [
                ["setWeight": 30], ["analyze": ["durationSeconds": 12, "intervalSeconds": 1]], ["pause": [String: Int]()], ["setWeight": 100]],
                analysis: ["minimumRequests": 5])
            // The browser runs as a child process; this task waits for it without blocking a thread.
            let script = Binaries.packageRoot.appendingPathComponent("Tests/browser/canary.py").path
            return try await runWithoutBlocking("/usr/bin/env", ["python3", script, server.url, "deployer", "correct horse battery", String(id)])
        }
        #expect(result.status == 0, "browser test failed:\n\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS the canary's charts and judgments appear and grow live"))
        #expect(result.stdout.contains("PASS proceed at the canary's pause"))
        #expect(load.failures.isEmpty)
    }

    @Test func aSequentialCanaryStartedFromTheFormShowsItsEvidenceLive() async throws {
        let scratch = try Scratch("browser-sequential")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let user = try await HTTP.postForm(server.url + "/user/save", [("name", "deployer"), ("password", "correct horse battery"),
                                                                      ("roles", "viewer"), ("applications", "shop:deployer")])
        #expect(user.status == 201)
        let (_, _, port) = try await CustomDeploymentTests().shopOnVersion1(server)
        let (load, result) = try await Load.during("http://127.0.0.1:\(port)/") { _ in
            let script = Binaries.packageRoot.appendingPathComponent("Tests/browser/sequential.py").path
            return try await runWithoutBlocking("/usr/bin/env", ["python3", script, server.url, "deployer", "correct horse battery"], seconds: 300)
        }
        #expect(result.status == 0, "browser test failed:\n\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS the evidence grows live against its threshold"))
        #expect(result.stdout.contains("PASS the step passed and the decision is marked"))
        #expect(load.failures.isEmpty)
        #expect(try await CustomDeploymentTests().versions(port) == ["2.0.0"])
    }
}

extension BrowserTests {
    @Test func anInstanceItsLoadBalancerFindsUnhealthyIsShownUnhealthyWherePeopleLook() async throws {
        let scratch = try Scratch("browser-health")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let user = try await HTTP.postForm(server.url + "/user/save", [("name", "viewer"), ("password", "correct horse battery"), ("roles", "viewer")])
        #expect(user.status == 201)
        try await registerShop(server)
        // Its process runs and its port answers (the cloud counts it in service), but GET /health answers 503.
        let image = try await DeploymentTests().registerVersion(server, "1.0.0", extra: ["--unhealthy"])
        _ = try await LoadBalancerTests().createBalancer(server)
        let group = try await LoadBalancerTests().createGroup(server, image: image, desired: 1)
        var instance = ""
        try await waitUntil("the instance to be in service in the cloud") {
            let json = try APIJSON.decoder().decode(ServerGroupJSON.self, from: try await HTTP.get(server.url + "/local/autoScaling/show/\(group).json").body)
            instance = json.instances.first { $0.lifecycleState == .inService }?.instanceId.rawValue ?? ""
            return !instance.isEmpty
        }
        let script = Binaries.packageRoot.appendingPathComponent("Tests/browser/health.py").path
        let result = try await runWithoutBlocking("/usr/bin/env", ["python3", script, server.url, "viewer", "correct horse battery", "shop-prod", group, instance])
        #expect(result.status == 0, "browser test failed:\n\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS the instance page shows it unhealthy with the load balancer's reason"))
        // The API says the same.
        let json = try APIJSON.decoder().decode(ServerGroupJSON.self, from: try await HTTP.get(server.url + "/local/autoScaling/show/\(group).json").body)
        #expect(json.health?.summary == .unhealthy)
        #expect(json.instanceHealth?.first?.loadBalancers.first?.state == .unhealthy)
    }

    @Test func theHomePageAndTheClusterBannerShowARunningCanaryAndItsStep() async throws {
        let scratch = try Scratch("browser-deploying")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let user = try await HTTP.postForm(server.url + "/user/save", [("name", "deployer"), ("password", "correct horse battery"),
                                                                      ("roles", "viewer"), ("applications", "shop:deployer")])
        #expect(user.status == 201)
        let custom = CustomDeploymentTests()
        let (_, v2, _) = try await custom.shopOnVersion1(server)
        let id = try await CanaryTests().canary(server, image: v2, steps: [["setWeight": 20], ["pause": [String: Int]()], ["setWeight": 100]])
        try await waitUntil("the canary to pause", seconds: 60) { try await custom.base.deployment(server, id).status == .waiting }
        let script = Binaries.packageRoot.appendingPathComponent("Tests/browser/deploying.py").path
        let result = try await runWithoutBlocking("/usr/bin/env", ["python3", script, server.url, "deployer", "correct horse battery", "shop-prod", String(id)])
        #expect(result.status == 0, "browser test failed:\n\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS the cluster page carries the banner and its deploy form is disabled"))
        #expect(result.stdout.contains("PASS rolling back from the banner frees the cluster"))
        #expect(try await custom.base.deployment(server, id).status == .rolledBack)
    }

    /// axe-core over every kind of page: no serious or critical violation.
    @Test func everyKindOfPagePassesTheAccessibilitySweep() async throws {
        let scratch = try Scratch("browser-axe")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let user = try await HTTP.postJSON(server.url + "/user/save", Data(#"{"name": "ann", "password": "correct horse battery", "roles": ["admin"]}"#.utf8))
        #expect(user.status == 201)
        let custom = CustomDeploymentTests()
        let (v1, v2, port) = try await custom.shopOnVersion1(server)
        let deployments = try APIJSON.decoder().decode([DeploymentJSON].self, from: try await HTTP.get(server.url + "/deployment/list.json").body)
        let deployment = try #require(deployments.first)
        // A canary judged by the sequential judge, for its evidence charts and tables.
        let (_, sequential) = try await Load.during("http://127.0.0.1:\(port)/") { _ in
            let id = try await CanaryTests().canary(server, image: v2, steps: [["setWeight": 20], ["analyze": ["durationSeconds": 5, "intervalSeconds": 1]], ["setWeight": 100]],
                                                    analysis: ["judge": "sequential"])
            return try await custom.ended(server, id, seconds: 120)
        }
        #expect(sequential.status == .succeeded && sequential.evidence?.isEmpty == false, "\(sequential.log?.map(\.message) ?? [])")
        let group = try APIJSON.decoder().decode(ServerGroupJSON.self, from: try await HTTP.get(server.url + "/local/autoScaling/show/shop-prod-v000.json").body)
        let instance = try #require(group.instances.first).instanceId.rawValue
        let policy = try await HTTP.postForm(server.url + "/local/scalingPolicy/save", [("policyName", "keep-requests"), ("autoScalingGroupName", "shop-prod-v000"),
                                                                                         ("predefinedMetricType", "ALBRequestCountPerTarget"), ("targetValue", "600")])
        #expect(policy.status == 200, "\(policy.text)")
        let paths = ["/", "/application/list", "/application/show/shop", "/application/create", "/local/cluster/list", "/local/cluster/show/shop-prod",
                     "/local/autoScaling/list", "/local/autoScaling/show/shop-prod-v000", "/local/autoScaling/create", "/local/instance/list",
                     "/local/instance/show/\(instance)", "/local/loadBalancer/list", "/local/loadBalancer/show/shop-prod", "/local/loadBalancer/create",
                     "/local/image/list", "/local/image/show/\(v1)", "/local/scalingPolicy/list", "/local/scalingPolicy/show/keep-requests",
                     "/deployment/list", "/deployment/show/\(deployment.id)", "/deployment/show/\(sequential.id)", "/task/list", "/task/show/\(deployment.id)",
                     "/task/show/\(sequential.id)", "/user/list", "/token/list",
                     "/audit/list", "/local/search?q=shop-prod-v", "/no/such/page"]
        let script = Binaries.packageRoot.appendingPathComponent("Tests/browser/accessibility.py").path
        let result = try await runWithoutBlocking("/usr/bin/env", ["python3", script, server.url, "ann", "correct horse battery"] + paths, seconds: 300)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS \(paths.count + 1) pages"), "\(result.stdout)")
    }

    @Test func aTargetTrackingPolicyAttachedFromTheGroupPageGrowsTheGroupInFrontOfTheUser() async throws {
        let scratch = try Scratch("browser-scaling")
        defer { scratch.remove() }
        let scaling = ScalingTests()
        let (server, port) = try await scaling.shop(scratch)
        defer { server.stop() }
        let user = try await HTTP.postForm(server.url + "/user/save", [("name", "deployer"), ("password", "correct horse battery"),
                                                                      ("roles", "viewer"), ("applications", "shop:deployer")])
        #expect(user.status == 201)
        let ready = scratch.path + "/policy-saved"
        let script = Binaries.packageRoot.appendingPathComponent("Tests/browser/scaling.py").path
        async let browser = runWithoutBlocking("/usr/bin/env", ["python3", script, server.url, "deployer", "correct horse battery", "shop-prod-v000", ready])
        try await waitUntil("the policy saved in the browser", seconds: 60) { FileManager.default.fileExists(atPath: ready) }
        let (load, _) = try await Load.during("http://127.0.0.1:\(port)/") { _ in
            try await waitUntil("the group to grow", seconds: 60) { try await scaling.group(server).desiredCapacity > 1 }
        }
        let result = try await browser
        #expect(result.status == 0, "browser test failed:\n\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS watch the group grow with the reasons listed"))
        #expect(load.failures.isEmpty)
    }
}

/// Runs a program to completion, polling for its end so that no thread waits on it.
func runWithoutBlocking(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                        seconds: Double = 120) async throws -> (status: Int32, stdout: String, stderr: String) {
    let scratch = NSTemporaryDirectory() + "run-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: scratch + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: scratch + ".err", contents: nil)
    defer { try? FileManager.default.removeItem(atPath: scratch + ".out"); try? FileManager.default.removeItem(atPath: scratch + ".err") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !environment.isEmpty {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "ASGARD_URL")
        env.removeValue(forKey: "ASGARD_TOKEN")
        process.environment = env.merging(environment) { _, new in new }
    }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + ".out"))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + ".err"))
    try process.run()
    try await waitUntil("\(arguments.joined(separator: " ")) to end", seconds: seconds) { !process.isRunning }
    return (process.terminationStatus, (try? String(contentsOfFile: scratch + ".out", encoding: .utf8)) ?? "",
            (try? String(contentsOfFile: scratch + ".err", encoding: .utf8)) ?? "")
}
