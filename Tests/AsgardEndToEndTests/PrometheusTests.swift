import AsgardAPI
import AsgardCore
import Foundation
import Testing

/// A real Prometheus (Debian's package), started by the test: it scrapes the console's
/// `/metrics` with a token and the instances it finds through `/prometheus/targets.json`, and
/// canaries are judged on PromQL queries to it.
@Suite("Prometheus", .serialized, .heavy)
struct PrometheusTests {
    /// Prometheus on a free loopback port with a scratch store, scraping every second.
    final class PrometheusServer: Sendable {
        let port: Int
        let process: Process
        var url: String { "http://127.0.0.1:\(port)" }

        init(console: ServerProcess, directory: String, port: Int) async throws {
            self.port = port
            let consoleAddress = console.url.replacingOccurrences(of: "http://", with: "")
            let config = """
                global: {scrape_interval: 1s, evaluation_interval: 1s}
                scrape_configs:
                  - job_name: asgard
                    authorization: {credentials: \(adminToken)}
                    static_configs: [{targets: ['\(consoleAddress)']}]
                  - job_name: instances
                    http_sd_configs:
                      - url: \(console.url)/prometheus/targets.json
                        refresh_interval: 1s
                        authorization: {type: Bearer, credentials: \(adminToken)}
                """
            try config.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)
            let binary = FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus") ? "/usr/bin/prometheus" : "prometheus"
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [binary, "--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data",
                                 "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]
            let log = FileHandle(forWritingAtPath: directory + "/prometheus.log") ?? FileHandle.nullDevice
            process.standardOutput = log
            process.standardError = log
            try process.run()
            let url = "http://127.0.0.1:\(port)"
            try await waitUntil("Prometheus to be ready", seconds: 60) {
                (try? await HTTP.get(url + "/-/ready", accept: "*/*", token: nil))?.status == 200
            }
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }

        /// The result of an instant query: each series' labels and value.
        func query(_ promql: String) async throws -> [(labels: [String: String], value: Double)] {
            var components = URLComponents(string: url + "/api/v1/query")
            components?.percentEncodedQueryItems = [URLQueryItem(name: "query", value: promql.addingPercentEncoding(withAllowedCharacters: .alphanumerics))]
            let reply = try await HTTP.get(components?.url?.absoluteString ?? url, accept: "application/json", token: nil)
            let answer = try JSONSerialization.jsonObject(with: reply.body) as? [String: Any]
            let result = (answer?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
            return result.map { series in
                ((series["metric"] as? [String: String]) ?? [:], Double(((series["value"] as? [Any])?.last as? String) ?? "") ?? .nan)
            }
        }
    }

    static let errorRatio = #"sum(rate(http_requests_total{server_group="{{serverGroup}}",code=~"5.."}[10s])) / sum(rate(http_requests_total{server_group="{{serverGroup}}"}[10s]))"#

    /// A canary judged on one PromQL metric: 50 % of the traffic, analysed for up to 40 s.
    func promqlCanary(_ server: ServerProcess, image: String, query: String) async throws -> Int64 {
        try await CustomDeploymentTests().start(server, [
            "imageId": image, "strategy": "canary", "capacity": ["min": 1, "desired": 1, "max": 2],
            "canary": ["steps": [["setWeight": 50], ["analyze": ["durationSeconds": 40, "intervalSeconds": 10]], ["setWeight": 100]],
                       "analysis": ["minimumSamples": 5,
                                    "metrics": [["name": "errorRatio", "source": "prometheus", "query": query, "critical": true]]]],
        ])
    }

    @Test func canariesAreJudgedOnPromQLAndPrometheusSeesTheConsolesDeployments() async throws {
        let scratch = try Scratch("prometheus")
        defer { scratch.remove() }
        let prometheusPort = try freePort()
        let config = scratch.path + "/asgard.yaml"
        try "prometheus:\n  url: http://127.0.0.1:\(prometheusPort)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let server = try await ServerProcess(dataDir: scratch.path + "/data", extraArguments: ["--config", config])
        defer { server.stop() }
        try FileManager.default.createDirectory(atPath: scratch.path + "/prometheus", withIntermediateDirectories: true)
        let prometheus = try await PrometheusServer(console: server, directory: scratch.path + "/prometheus", port: prometheusPort)
        defer { prometheus.stop() }

        let base = DeploymentTests()
        try await registerShop(server)
        let v1 = try await base.registerVersion(server, "1.0.0")
        let broken = try await base.registerVersion(server, "1.1.0", extra: ["--error-rate", "0.3"])
        let v2 = try await base.registerVersion(server, "2.0.0")
        let port = try await LoadBalancerTests().createBalancer(server)
        _ = try await base.finish(server, try await base.start(server, image: v1, strategy: "redBlack", desired: 1, loadBalancers: ["shop-prod"]))

        // The targets file lists the group's instance with its labels.
        let targets = try JSONSerialization.jsonObject(with: try await HTTP.get(server.url + "/prometheus/targets.json").body) as? [[String: Any]] ?? []
        let first = try #require(targets.first { ($0["labels"] as? [String: String])?["server_group"] == "shop-prod-v000" }, "\(targets)")
        #expect(first["labels"] as? [String: String] == ["app": "shop", "cluster": "shop-prod", "server_group": "shop-prod-v000", "region": "local", "version": "1.0.0"])
        #expect((first["targets"] as? [String])?.count == 1)
        #expect(try await HTTP.get(server.url + "/prometheus/targets.json", token: nil).status == 401)

        let (_, outcomes) = try await Load.during("http://127.0.0.1:\(port)/") { load in
            try await waitUntil("traffic before the canaries", seconds: 60) { load.ok > 100 }
            // Prometheus scrapes the instance through the targets file.
            try await waitUntil("Prometheus to scrape the instance", seconds: 60) {
                try await prometheus.query(#"sum(http_requests_total{server_group="shop-prod-v000"})"#).first.map { $0.value > 0 } ?? false
            }
            // A canary answering 30 % errors fails on its PromQL error ratio and is rolled back.
            let bad = try await promqlCanary(server, image: broken, query: Self.errorRatio)
            let failed = try await CustomDeploymentTests().ended(server, bad, seconds: 180)
            // A good one passes.
            let good = try await promqlCanary(server, image: v2, query: Self.errorRatio)
            let passed = try await CustomDeploymentTests().ended(server, good, seconds: 180)
            // A query for a metric nobody exports is no data: the canary waits for a person.
            let nothing = try await promqlCanary(server, image: v1, query: #"sum(rate(no_such_metric_total{server_group="{{serverGroup}}"}[10s]))"#)
            try await waitUntil("the canary without data to wait for a person", seconds: 180) {
                try await base.deployment(server, nothing).status == .waiting
            }
            let waiting = try await base.deployment(server, nothing)
            #expect(try await HTTP.postForm(server.url + "/deployment/rollback", [("id", String(nothing))]).status == 200)
            _ = try await CustomDeploymentTests().ended(server, nothing, seconds: 120)
            return (failed, passed, waiting)
        }
        let (failed, passed, waiting) = outcomes
        #expect(failed.status == .failed, "\(failed.log?.map(\.message) ?? [])")
        #expect(failed.rollbackReason?.contains("canary failed") == true && failed.rollbackReason?.contains("errorRatio") == true,
                "\(String(describing: failed.rollbackReason))")
        #expect(passed.status == .succeeded, "\(passed.log?.map(\.message) ?? [])")
        // The task page charts the queried series like the console's own.
        let page = try await HTTP.get(server.url + "/deployment/show/\(failed.id)", accept: "text/html").text
        #expect(page.contains("id=\"chart-query-errorratio\"") && page.contains("errorRatio (PromQL)"), "\(page.count) bytes")
        #expect(passed.intervals?.last?.verdict.outcome == .pass, "\(passed.intervals?.map(\.verdict.reason) ?? [])")
        let reasons = waiting.intervals?.map(\.verdict.reason) ?? []
        #expect(waiting.intervals?.last?.verdict.outcome == .inconclusive, "\(reasons)")
        #expect(reasons.last?.contains("no_such_metric_total") == true && reasons.last?.contains("returned no data") == true, "\(reasons)")

        // Prometheus has the console's own counts of those deployments.
        try await waitUntil("the deployments in Prometheus", seconds: 60) {
            let series = try await prometheus.query("asgard_deployments_total")
            func value(_ strategy: String, _ outcome: String) -> Double? {
                series.first { $0.labels["strategy"] == strategy && $0.labels["outcome"] == outcome && $0.labels["job"] == "asgard" }?.value
            }
            return value("redBlack", "succeeded") == 1 && value("canary", "failed") == 1 && value("canary", "succeeded") == 1
                && value("canary", "rolledBack") == 1
        }
        let verdicts = try await prometheus.query("asgard_canary_verdicts_total")
        #expect(verdicts.contains { $0.labels["outcome"] == "fail" } && verdicts.contains { $0.labels["outcome"] == "inconclusive" }, "\(verdicts)")
    }
}
