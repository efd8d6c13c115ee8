import AsgardAPI
import AsgardCore
import Foundation
import Testing

/// `GET /metrics` on the real server: what a Prometheus scraper with a token reads.
@Suite("Prometheus metrics", .serialized)
struct MetricsTests {
    /// The samples of metric `name` in an exposition text: each one's labels and value.
    static func samples(_ text: String, _ name: String) -> [(labels: [String: String], value: Double)] {
        text.split(separator: "\n").compactMap { line -> ([String: String], Double)? in
            guard line.hasPrefix(name), !line.hasPrefix("#") else { return nil }
            let rest = line.dropFirst(name.count)
            var labels: [String: String] = [:]
            var valueText = rest
            if rest.hasPrefix("{") {
                guard let close = rest.lastIndex(of: "}") else { return nil }
                for pair in rest[rest.index(after: rest.startIndex)..<close].split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
                }
                valueText = rest[rest.index(after: close)...]
            } else if !rest.hasPrefix(" ") {
                return nil
            }
            guard let value = Double(valueText.trimmingCharacters(in: .whitespaces)) else { return nil }
            return (labels, value)
        }
    }

    /// `--log-format json`: every line of the log is a JSON object, and the request id a 500
    /// names (in its body and its X-Request-Id header) is found in the log's line about it.
    @Test func jsonLogLinesParseAndCarryTheRequestIdOfA500() async throws {
        let scratch = try Scratch("json-log")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data", extraArguments: ["--log-format", "json"],
                                             environment: ["ASGARD_FAULT_INTERNAL_ERROR_PATH": "/application/list.json"])
        defer { server.stop() }
        let fine = try await HTTP.get(server.url + "/server/version.json")
        #expect(fine.status == 200 && (fine.headers["x-request-id"] ?? "").count >= 8, "\(fine.headers)")
        let failed = try await HTTP.get(server.url + "/application/list.json")
        #expect(failed.status == 500)
        let id = try #require(failed.headers["x-request-id"])
        #expect(failed.text.contains(id), "the body names the request id: \(failed.text)")
        try await waitUntil("the failure in the log") { server.log.contains(id) }
        let lines = server.log.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(!lines.isEmpty)
        var found: [String: Any]?
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
            #expect(object["time"] is String && object["level"] is String && object["message"] is String, "\(line)")
            if object["requestId"] as? String == id { found = object }
        }
        #expect(found?["level"] as? String == "error" && found?["message"] as? String == "Request failed", "\(String(describing: found))")
        // Log lines that are not JSON are only what the process prints for people (its address).
        #expect(server.log.split(separator: "\n").allSatisfy { $0.hasPrefix("{") || $0.hasPrefix("Asgard is serving") || $0.hasPrefix("Created") || $0.isEmpty },
                "\(server.log.prefix(2000))")
    }

    @Test func metricsNeedATokenCountDeploymentsAndKeepRouteLabelsBounded() async throws {
        let scratch = try Scratch("metrics")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }

        let anonymous = try await HTTP.get(server.url + "/metrics", accept: "*/*", token: nil)
        #expect(anonymous.status == 401)
        #expect(anonymous.text.contains("/metrics needs a token"), "\(anonymous.text)")

        // A red/black that succeeds and one whose instances exit at once, which fails.
        let deployments = DeploymentTests()
        try await registerShop(server)
        let good = try await deployments.registerVersion(server, "1.0.0")
        let balancerPort = try await LoadBalancerTests().createBalancer(server)
        _ = try await deployments.finish(server, try await deployments.start(server, image: good, strategy: "redBlack", desired: 1, loadBalancers: ["shop-prod"]))
        let broken = try JSONSerialization.data(withJSONObject: ["name": "shop", "version": "broken", "command": ["/bin/sh", "-c", "echo broken; exit 3"]])
        let registered = try await HTTP.postJSON(server.url + "/local/image/register", broken)
        let brokenImage = try APIJSON.decoder().decode(ImageRecord.self, from: registered.body).imageId.rawValue
        let failing = try await deployments.start(server, image: brokenImage, strategy: "redBlack", desired: 1)
        #expect(failing.status == 202, "\(failing.text)")
        let failingId = try APIJSON.decoder().decode(TaskAccepted.self, from: failing.body).taskId.rawValue
        try await waitUntil("the broken deployment to end", seconds: 90) { try await deployments.deployment(server, failingId).status.isFinished }

        // Requests through the local load balancer are counted by server group and status class.
        for _ in 0..<5 { #expect(try await HTTP.get("http://127.0.0.1:\(balancerPort)/", accept: "*/*", token: nil).status == 200) }
        try await waitUntil("the load balancer's counts in the metrics") {
            let text = try await HTTP.get(server.url + "/metrics", accept: "*/*").text
            return Self.samples(text, "asgard_lb_requests_total").contains {
                $0.labels == ["load_balancer": "shop-prod", "server_group": "shop-prod-v000", "status_class": "2xx"] && $0.value >= 5
            }
        }

        // A scan of made-up paths: each is a 404, and all share one route label.
        for index in 0..<100 { _ = try await HTTP.get(server.url + "/made-up/\(index)/path") }

        let reply = try await HTTP.get(server.url + "/metrics", accept: "*/*")
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true, "\(reply.headers)")
        let text = reply.text
        let outcomes = Self.samples(text, "asgard_deployments_total").map { ($0.labels["strategy"] ?? "", $0.labels["outcome"] ?? "", $0.value) }
        #expect(outcomes.contains { $0 == ("redBlack", "succeeded", 1) }, "\(outcomes)")
        #expect(outcomes.contains { $0.0 == "redBlack" && $0.1 == "failed" && $0.2 == 1 }, "\(outcomes)")
        #expect(Self.samples(text, "asgard_deployment_duration_seconds_count").contains { $0.labels["strategy"] == "redBlack" && $0.value == 2 })
        #expect(Self.samples(text, "asgard_deployments_running").first?.value == 0)

        let requests = Self.samples(text, "asgard_http_requests_total")
        let routes = Set(requests.compactMap { $0.labels["route"] })
        #expect(requests.contains { $0.labels["route"] == "unmatched" && $0.labels["status"] == "404" && $0.value >= 100 }, "\(requests.filter { $0.labels["status"] != "200" })")
        #expect(!routes.contains { $0.contains("made-up") }, "\(routes)")
        #expect(routes.count < 30, "routes are patterns, not paths: \(routes.sorted())")
        #expect(routes.contains("/{region}/deployment/start"), "\(routes.sorted())")
        #expect(Self.samples(text, "asgard_http_request_duration_seconds_bucket").contains { $0.labels["route"] == "/{region}/deployment/start" })

        let buckets = Self.samples(text, "asgard_lb_request_duration_seconds_bucket").filter { $0.labels["server_group"] == "shop-prod-v000" }
        #expect(buckets.first { $0.labels["le"] == "+Inf" }?.value ?? 0 >= 5, "\(buckets)")
        #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0.value <= $1.value }, "cumulative: \(buckets)")
        #expect(Self.samples(text, "asgard_instances").contains { $0.labels["region"] == "local" && $0.labels["state"] == "InService" && $0.value >= 1 })
        #expect((Self.samples(text, "process_resident_memory_bytes").first?.value ?? 0) > 1_000_000)
        #expect((Self.samples(text, "process_open_fds").first?.value ?? 0) > 3)
        #expect((Self.samples(text, "process_cpu_seconds_total").first?.value ?? 0) > 0)
    }
}
