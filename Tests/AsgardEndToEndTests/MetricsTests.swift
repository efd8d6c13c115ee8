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
        _ = try await LoadBalancerTests().createBalancer(server)
        _ = try await deployments.finish(server, try await deployments.start(server, image: good, strategy: "redBlack", desired: 1, loadBalancers: ["shop-prod"]))
        let broken = try JSONSerialization.data(withJSONObject: ["name": "shop", "version": "broken", "command": ["/bin/sh", "-c", "echo broken; exit 3"]])
        let registered = try await HTTP.postJSON(server.url + "/local/image/register", broken)
        let brokenImage = try APIJSON.decoder().decode(ImageRecord.self, from: registered.body).imageId.rawValue
        let failing = try await deployments.start(server, image: brokenImage, strategy: "redBlack", desired: 1)
        #expect(failing.status == 202, "\(failing.text)")
        let failingId = try APIJSON.decoder().decode(TaskAccepted.self, from: failing.body).taskId.rawValue
        try await waitUntil("the broken deployment to end", seconds: 90) { try await deployments.deployment(server, failingId).status.isFinished }

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

        #expect(Self.samples(text, "asgard_instances").contains { $0.labels["region"] == "local" && $0.labels["state"] == "InService" && $0.value >= 1 })
        #expect((Self.samples(text, "process_resident_memory_bytes").first?.value ?? 0) > 1_000_000)
        #expect((Self.samples(text, "process_open_fds").first?.value ?? 0) > 3)
        #expect((Self.samples(text, "process_cpu_seconds_total").first?.value ?? 0) > 0)
    }
}
