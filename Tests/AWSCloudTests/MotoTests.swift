import AWSCloud
import AsgardTestSupport
import Foundation
import Testing

@Suite("The AWS client against moto", .serialized)
struct MotoTests {
    func client(_ moto: MotoServer, _ service: String, _ version: String, _ credentials: AWSCredentials, region: String = "us-east-1") -> AWSQueryClient {
        AWSQueryClient(endpoint: moto.url, service: service, version: version, region: region, credentials: credentials, attempts: 1)
    }

    @Test func signedCallsPassMotosSignatureCheckAndAWrongSecretIsAClearAuthenticationError() async throws {
        // moto checks signatures after its first 3 requests: those create our user and its key.
        let moto = try await MotoServer(environment: ["INITIAL_NO_AUTH_ACTION_COUNT": "3"])
        defer { moto.stop() }
        let bootstrap = client(moto, "iam", "2010-05-08", AWSCredentials(accessKeyId: "test", secretAccessKey: "test"))
        _ = try await bootstrap.call("CreateUser", [("UserName", "swift-client")])
        _ = try await bootstrap.call("PutUserPolicy", [("UserName", "swift-client"), ("PolicyName", "all"),
            ("PolicyDocument", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)])
        let created = try await bootstrap.call("CreateAccessKey", [("UserName", "swift-client")])
        let key = try #require(created.find("AccessKey"))
        let credentials = AWSCredentials(accessKeyId: try #require(key.string("AccessKeyId")), secretAccessKey: try #require(key.string("SecretAccessKey")))

        let regions = try await client(moto, "ec2", "2016-11-15", credentials).call("DescribeRegions")
        #expect(regions.list("regionInfo").compactMap { $0.string("regionName") }.contains("eu-west-1"))
        let groups = try await client(moto, "autoscaling", "2011-01-01", credentials).call("DescribeAutoScalingGroups", [("MaxRecords", "10")])
        #expect(groups.find("AutoScalingGroups") != nil)
        // A value with spaces and reserved characters signs and passes too.
        _ = try await client(moto, "autoscaling", "2011-01-01", credentials).call("DescribeAutoScalingGroups", [("AutoScalingGroupNames.member.1", "a b/c:d=é")])

        let wrong = AWSCredentials(accessKeyId: credentials.accessKeyId, secretAccessKey: "not-the-secret")
        await #expect {
            _ = try await client(moto, "autoscaling", "2011-01-01", wrong).call("DescribeAutoScalingGroups")
        } throws: { error in
            guard let error = error as? AWSError else { return false }
            return error.status == 403 && error.code == "SignatureDoesNotMatch" && "\(error)".contains("check the account's access key and secret")
        }
        await #expect {
            _ = try await client(moto, "ec2", "2016-11-15", wrong).call("DescribeRegions")
        } throws: { error in (error as? AWSError).map { $0.status == 401 && $0.code == "AuthFailure" } ?? false }
    }

    @Test func everyPageOfOneHundredAndTwentyOneGroupsComesBack() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let autoscaling = client(moto, "autoscaling", "2011-01-01", AWSCredentials(accessKeyId: "test", secretAccessKey: "test"))
        _ = try await autoscaling.call("CreateLaunchConfiguration", [("LaunchConfigurationName", "shop-lc"), ("ImageId", "ami-12c6146b"), ("InstanceType", "t3.micro")])
        for index in 0..<121 {
            _ = try await autoscaling.call("CreateAutoScalingGroup", [
                ("AutoScalingGroupName", String(format: "shop-v%03d", index)), ("LaunchConfigurationName", "shop-lc"), ("MinSize", "0"),
                ("MaxSize", "1"), ("DesiredCapacity", "0"), ("AvailabilityZones.member.1", "us-east-1a")])
        }
        let pages = try await autoscaling.pages("DescribeAutoScalingGroups", [("MaxRecords", "25")])
        let names = pages.flatMap { $0.find("DescribeAutoScalingGroupsResult")?.list("AutoScalingGroups") ?? [] }.compactMap { $0.string("AutoScalingGroupName") }
        #expect(pages.count == 5)
        #expect(names.count == 121 && Set(names).count == 121)
    }

    @Test func motoErrorsComeBackTypedWithTheirCodeAndMessage() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let autoscaling = client(moto, "autoscaling", "2011-01-01", AWSCredentials(accessKeyId: "test", secretAccessKey: "test"))
        await #expect {
            _ = try await autoscaling.call("DeleteAutoScalingGroup", [("AutoScalingGroupName", "no-such-group")])
        } throws: { error in
            guard let error = error as? AWSError else { return false }
            return error.status == 400 && error.code == "ValidationError" && error.message.contains("no-such-group") && !error.isRetryable
        }
        // moto answers what it does not implement with an HTML page: still a typed error.
        await #expect {
            _ = try await autoscaling.call("SetDesiredCapacity", [("AutoScalingGroupName", "no-such-group"), ("DesiredCapacity", "2")])
        } throws: { error in (error as? AWSError).map { $0.status == 500 && $0.code == "InternalFailure" } ?? false }
    }
}

@Suite("Retries")
struct RetryTests {
    /// A server that answers Throttling to its first `failures` requests, then a small XML answer;
    /// it writes how many requests it got to `counter`.
    static let flaky = #"""
import http.server, sys
failures, counter, seen = int(sys.argv[2]), sys.argv[3], [0]
class Flaky(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        seen[0] += 1
        open(counter, "w").write(str(seen[0]))
        if seen[0] <= failures:
            body, status = b"<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>", 400
        else:
            body, status = b"<DescribeResponse><Result><Done>yes</Done></Result></DescribeResponse>", 200
        self.send_response(status); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Flaky).serve_forever()
"""#

    @Test func throttlingIsRetriedWithBackoffAndGivenUpAfterTheLastTry() async throws {
        for (failures, attempts, succeeds) in [(2, 4, true), (3, 3, false)] {
            let port = try FreePort().port
            let counter = NSTemporaryDirectory() + "flaky-\(port)"
            let server = Process()
            server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            server.arguments = ["python3", "-c", Self.flaky, String(port), String(failures), counter]
            try server.run()
            defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit(); try? FileManager.default.removeItem(atPath: counter) }
            let deadline = Date().addingTimeInterval(10)
            while !FreePort.isOpen(port), Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            var client = AWSQueryClient(endpoint: URL(string: "http://127.0.0.1:\(port)/")!, service: "autoscaling", version: "2011-01-01", region: "us-east-1",
                                        credentials: AWSCredentials(accessKeyId: "test", secretAccessKey: "test"), attempts: attempts, baseDelay: .milliseconds(10))
            // This test counts tries, not time: on a busy machine the tests all start together and
            // a 10 ms pause can end 40 s later, past the usual deadline, which would end the call early.
            client.deadline = .seconds(3_600)
            if succeeds {
                let answer = try await client.call("Describe")
                #expect(answer.find("Done")?.string() == "yes")
            } else {
                await #expect { _ = try await client.call("Describe") } throws: { ($0 as? AWSError)?.code == "Throttling" }
            }
            #expect((try? String(contentsOfFile: counter, encoding: .utf8)) == String(succeeds ? failures + 1 : attempts))
        }
    }

    /// A call AWS keeps throttling ends at the client's deadline, not after all its tries: no
    /// try starts once the deadline has passed since the first. (A 2 s deadline left a loaded
    /// CI machine time for only one slow try.)
    @Test func aCallAWSKeepsFailingEndsAtItsDeadline() async throws {
        let port = try FreePort().port
        let counter = NSTemporaryDirectory() + "throttled-\(port)"
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-c", Self.flaky, String(port), "1000000", counter]
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit(); try? FileManager.default.removeItem(atPath: counter) }
        let ready = Date().addingTimeInterval(10)
        while !FreePort.isOpen(port), Date() < ready { try await Task.sleep(for: .milliseconds(20)) }
        var client = AWSQueryClient(endpoint: URL(string: "http://127.0.0.1:\(port)/")!, service: "autoscaling", version: "2011-01-01", region: "us-east-1",
                                    credentials: AWSCredentials(accessKeyId: "test", secretAccessKey: "test"), attempts: 1000, baseDelay: .milliseconds(50))
        // Long enough for a second try even when a loaded machine answers the first slowly.
        client.deadline = .seconds(5)
        let started = ContinuousClock.now
        await #expect { _ = try await client.call("Describe") } throws: { ($0 as? AWSError)?.code == "Throttling" }
        let took = ContinuousClock.now - started
        let tries = Int((try? String(contentsOfFile: counter, encoding: .utf8)) ?? "") ?? 0
        // At least the deadline; at most the deadline, plus the last pause (whose cap doubles
        // from 50 ms at each try), plus a loaded machine's slack.
        #expect(tries >= 2 && tries < 40, "\(tries) tries of 1000 allowed")
        let lastCap = Duration.milliseconds(50) * (1 << max(0, min(tries - 2, 20)))
        #expect(took >= .seconds(5) && took < .seconds(5) + lastCap + .seconds(10), "\(took) for \(tries) tries")
    }
}

@Suite("Auto Scaling through our client, checked with boto3")
struct AutoScalingTests {
    /// What boto3 sees of a group in the same moto, as JSON.
    func boto3(_ moto: MotoServer, _ group: String) throws -> [String: Any] {
        let script = """
            import boto3, json, sys
            client = boto3.client("autoscaling", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
            groups = client.describe_auto_scaling_groups(AutoScalingGroupNames=[sys.argv[2]])["AutoScalingGroups"]
            print(json.dumps([{"desired": g["DesiredCapacity"], "max": g["MaxSize"], "instances": len(g["Instances"]),
                               "suspended": sorted(p["ProcessName"] for p in g["SuspendedProcesses"]), "tags": {t["Key"]: t["Value"] for t in g["Tags"]}} for g in groups]))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, moto.url.absoluteString, group]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ((try JSONSerialization.jsonObject(with: data) as? [[String: Any]])?.first) ?? [:]
    }

    @Test func aGroupCreatedChangedAndDeletedThroughOurClientIsWhatBoto3Sees() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let autoscaling = AWSAutoScaling(client: AWSQueryClient(endpoint: moto.url, service: "autoscaling", version: "2011-01-01", region: "us-east-1",
                                                                credentials: AWSCredentials(accessKeyId: "test", secretAccessKey: "test")))
        try await autoscaling.createLaunchConfiguration("shop-prod-v000-lc", imageId: "ami-12c6146b", instanceType: "t3.micro")
        try await autoscaling.createGroup("shop-prod-v000", launchConfiguration: "shop-prod-v000-lc", minSize: 1, maxSize: 4, desiredCapacity: 2,
                                          zones: ["us-east-1a"], healthCheckType: "EC2", tags: ["owner": "shop team"])
        let created = try #require(try await autoscaling.groups(named: ["shop-prod-v000"]).first)
        #expect(created.desiredCapacity == 2 && created.maxSize == 4 && created.instances.count == 2)
        #expect(created.instances.allSatisfy { $0.lifecycleState == "InService" })
        #expect(created.tags["owner"] == "shop team")
        var seen = try boto3(moto, "shop-prod-v000")
        #expect(seen["desired"] as? Int == 2 && seen["instances"] as? Int == 2)
        #expect((seen["tags"] as? [String: String])?["owner"] == "shop team")

        try await autoscaling.updateGroup("shop-prod-v000", desiredCapacity: 3)
        try await autoscaling.setProcesses("shop-prod-v000", ["Launch", "Terminate", "AddToLoadBalancer"], suspended: true)
        seen = try boto3(moto, "shop-prod-v000")
        #expect(seen["desired"] as? Int == 3)
        #expect(seen["suspended"] as? [String] == ["AddToLoadBalancer", "Launch", "Terminate"])
        #expect(try await autoscaling.groups(named: ["shop-prod-v000"]).first?.suspendedProcesses.sorted() == ["AddToLoadBalancer", "Launch", "Terminate"])

        try await autoscaling.deleteGroup("shop-prod-v000", force: true)
        #expect(try await autoscaling.groups(named: ["shop-prod-v000"]).isEmpty)
        #expect(try boto3(moto, "shop-prod-v000").isEmpty)
    }
}
