import ArgumentParser
import AsgardAPI
import AsgardCore
import Foundation

/// `asgard lb …`: local load balancers.
struct LoadBalancerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lb",
        abstract: "Create, list, show, update and delete load balancers.",
        subcommands: [Create.self, List.self, Show.self, Update.self, Delete.self])

    /// The settings options both create and update take.
    struct Settings: ParsableArguments {
        @Option(help: "Health check path (default /health).") var healthCheck: String?
        @Option(help: "Seconds between checks (default 5).") var interval: Int?
        @Option(help: "Seconds to wait for an answer (default 2).") var timeout: Int?
        @Option(help: "Passes that make an instance healthy (default 2).") var healthyThreshold: Int?
        @Option(help: "Failures that make an instance unhealthy (default 2).") var unhealthyThreshold: Int?
        @Option(help: "round_robin (default) or least_outstanding_requests.") var algorithm: String?
        @Option(help: "Seconds a deregistered instance may finish its requests (default 30).") var drainingTimeout: Int?
        @Option(help: "Seconds an instance may take to answer before the load balancer answers 504 (default 60, 1 to 4000).") var idleTimeout: Int?
        @Option(help: "A traffic weight, serverGroup=weight (repeatable; replaces the weights).") var weight: [String] = []
        @Flag(help: "Remove the traffic weights.") var noWeights = false

        var document: [String: Any] {
            var document: [String: Any] = [:]
            if let healthCheck { document["target"] = healthCheck }
            if let interval { document["interval"] = String(interval) }
            if let timeout { document["timeout"] = String(timeout) }
            if let healthyThreshold { document["healthyThreshold"] = String(healthyThreshold) }
            if let unhealthyThreshold { document["unhealthyThreshold"] = String(unhealthyThreshold) }
            if let algorithm { document["algorithm"] = algorithm }
            if let drainingTimeout { document["drainingTimeout"] = String(drainingTimeout) }
            if let idleTimeout { document["idleTimeoutSeconds"] = String(idleTimeout) }
            if noWeights { document["trafficWeights"] = [String]() } else if !weight.isEmpty { document["trafficWeights"] = weight }
            return document
        }
    }

    static func print(_ b: LoadBalancerJSON) {
        let c = b.healthCheck
        Swift.print(TableOutput.properties([
            ("Load balancer", b.loadBalancerName), ("Type", b.type.rawValue), ("URL", b.url), ("Status", b.status),
            ("Health check", "GET \(c.target) every \(c.interval) s, timeout \(c.timeout) s, healthy after \(c.healthyThreshold), unhealthy after \(c.unhealthyThreshold)"),
            ("Algorithm", b.type == .proxy ? b.algorithm.rawValue : "AWS's"), ("Draining timeout", "\(b.drainingTimeout) s"),
            ("Idle timeout", b.type == .proxy ? "\(b.idleTimeoutSeconds) s" : "AWS's"),
            ("Traffic weights", b.trafficWeights.isEmpty ? "none" : b.trafficWeights.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")),
            ("Server groups", b.serverGroups.isEmpty ? "none" : b.serverGroups.joined(separator: ", ")),
            ("Created", TableOutput.date(b.createdTime)),
        ]))
        let instances = (b.traffic?.groups ?? []).flatMap { g in g.instances.map { (g.name, $0) } } + (b.traffic?.draining ?? []).map { ("", $0) }
        guard !instances.isEmpty else { return }
        Swift.print("")
        Swift.print(TableOutput.render(headers: ["INSTANCE", "SERVER GROUP", "PORT", "HEALTH", "IN FLIGHT", "REQUESTS", "5XX", "P99 MS", "REASON"],
                                       rows: instances.map { group, i in
            [i.instanceId.rawValue, group, i.port == 0 ? "-" : String(i.port), i.health.rawValue, String(i.inFlight), String(i.requests.total),
             String(i.requests.status5xx), String(format: "%.1f", i.latency.p99), i.healthReason ?? ""]
        }))
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a load balancer listening on PORT (locally on 127.0.0.1).",
            discussion: "Examples:\n  asgard lb create shop-prod --port 7001 --health-check /health\n  asgard lb create shop-prod --port 80 --type application --region us-east-1")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The name: app[-stack[-detail]].") var name: String
        @Option(help: "The listener port (locally on 127.0.0.1).") var port: Int
        @Option(help: "AWS regions: classic (the default) or application (weighted target groups, for canaries).") var type: String?
        @OptionGroup var settings: Settings

        func run() async throws {
            try await runReporting {
                var document = settings.document
                document["name"] = name
                document["listenerPort"] = String(port)
                if let type { document["type"] = type }
                let reply = try await global.client().post("/\(pathSegment(global.region))/loadBalancer/save", document: document)
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let balancer = try APIJSON.decoder().decode(LoadBalancerJSON.self, from: reply.body)
                Swift.print("Created load balancer \(balancer.loadBalancerName) at \(balancer.url) (task \(reply.headers.first(name: "X-Task-Id") ?? "?")); add it to a server group with --load-balancer")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List load balancers.", discussion: "Example:\n  asgard lb list")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/\(pathSegment(global.region))/loadBalancer/list.json")
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let balancers = try APIJSON.decoder().decode([LoadBalancerJSON].self, from: reply.body)
                if balancers.isEmpty { return Swift.print("No load balancers yet. Create one with `asgard lb create`.") }
                Swift.print(TableOutput.render(headers: ["LOAD BALANCER", "TYPE", "URL", "STATUS", "SERVER GROUPS", "HEALTHY", "REQUESTS"], rows: balancers.map { b in
                    let instances = b.traffic?.groups.flatMap(\.instances) ?? []
                    return [b.loadBalancerName, b.type.rawValue, b.url, b.status, b.serverGroups.joined(separator: ","),
                            "\(instances.filter { $0.health == .healthy }.count)/\(instances.count)",
                            String(b.traffic.map { $0.groups.reduce(0) { $0 + $1.requests.total } + $0.unrouted.total } ?? 0)]
                }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a load balancer with its instances' health and traffic.",
                                                        discussion: "Example:\n  asgard lb show shop-prod")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The load balancer.") var name: String

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/\(pathSegment(global.region))/loadBalancer/show/\(pathSegment(name)).json")
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                LoadBalancerCommand.print(try APIJSON.decoder().decode(LoadBalancerJSON.self, from: reply.body))
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a load balancer's port, health check, algorithm, draining timeout or traffic weights.",
            discussion: "Example:\n  asgard lb update shop-prod --weight shop-prod-v001=95 --weight shop-prod-v002=5")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The load balancer.") var name: String
        @Option(help: "A new listener port (the process restarts).") var port: Int?
        @OptionGroup var settings: Settings

        func run() async throws {
            try await runReporting {
                var document = settings.document
                document["name"] = name
                if let port { document["listenerPort"] = String(port) }
                let reply = try await global.client().post("/\(pathSegment(global.region))/loadBalancer/update", document: document)
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                LoadBalancerCommand.print(try APIJSON.decoder().decode(LoadBalancerJSON.self, from: reply.body))
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a load balancer no server group uses.", discussion: "Example:\n  asgard lb delete shop-prod --force")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The load balancer.") var name: String
        @Flag(help: "Confirm.") var force = false

        func run() async throws {
            try await runReporting {
                guard force else { throw CLIError(description: "Deleting load balancer '\(name)' stops it serving; add --force to confirm") }
                _ = try await global.client().post("/\(pathSegment(global.region))/loadBalancer/delete", fields: ["name": name])
                Swift.print("Deleted load balancer \(name)")
            }
        }
    }
}
