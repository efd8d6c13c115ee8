import ArgumentParser
import AsgardAPI
import Foundation

/// `asgard refresh`: reads from the cloud now what the console caches (AWS regions).
struct RefreshCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Read an object, or the whole region, from the cloud now instead of waiting for the console's next read.",
        discussion: """
        A change made outside the console (the AWS console, another tool) shows once the console
        reads it again: every refresh interval, or now with this command. The local cloud is
        always current.

        Example:
          asgard refresh --region us-east-1 --server-group shop-prod-v042
          asgard refresh --region us-east-1
        """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "Read this server group and its instances.") var serverGroup: String?
    @Option(help: "Read each server group of this cluster.") var cluster: String?
    @Option(help: "Read this load balancer and its instances' health.") var loadBalancer: String?
    @Option(help: "Read this instance's server group.") var instance: String?

    func run() async throws {
        try await runReporting {
            var fields: [String: String] = [:]
            for (key, value) in [("serverGroup", serverGroup), ("cluster", cluster), ("loadBalancer", loadBalancer), ("instance", instance)] {
                if let value { fields[key] = value }
            }
            let reply = try await global.client().post("/\(pathSegment(global.region))/cache/refresh", fields: fields)
            if global.output == .json { return print(TableOutput.raw(reply.body)) }
            let done = try APIJSON.decoder().decode(CacheRefreshJSON.self, from: reply.body)
            let what = done.refreshed == "region" ? "the whole region \(done.region)" : done.refreshed
            guard done.cache.cached else { return print("Region \(done.region) is read directly: always current") }
            print("Read \(what) from the cloud in \(String(format: "%.2f", done.seconds)) s")
        }
    }
}
