import ArgumentParser
import AsgardAPI
import AsgardCore
import Foundation

/// `asgard deploy`: start a deployment and, with `--wait`, follow it to its end.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy an image to a cluster with a strategy (redBlack, highlander or rolling).",
        discussion: """
        Creates the cluster's next server group from the image, waits until it is healthy in its
        load balancers, then moves traffic to it. With --wait, prints the deployment's log as it
        happens and exits 0 only when it succeeded.

        Example:
          asgard deploy shop-prod --image img-1a2b3c4d --strategy redBlack --desired 3 --wait
        """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The cluster, e.g. shop-prod.") var cluster: String
    @Option(help: "The image to deploy.") var image: String
    @Option(help: "redBlack, highlander or rolling.") var strategy: String = "redBlack"
    @Option(help: "Fewest instances (default: desired).") var min: Int?
    @Option(help: "Instances to run (rolling: the group keeps its sizes).") var desired: Int?
    @Option(help: "Rolling: instances replaced at a time (default 1).") var concurrentRelaunches: Int?
    @Option(help: "Most instances (default: desired).") var max: Int?
    @Option(help: "A load balancer of the new group (repeatable; default: the newest group's).") var loadBalancer: [String] = []
    @Flag(help: "Follow the deployment until it ends.") var wait = false

    func run() async throws {
        try await runReporting {
            var capacity: [String: Any] = [:]
            if let desired { capacity["desired"] = desired }
            if let min { capacity["min"] = min }
            if let max { capacity["max"] = max }
            var document: [String: Any] = ["cluster": cluster, "imageId": image, "strategy": strategy]
            if !capacity.isEmpty { document["capacity"] = capacity }
            if let concurrentRelaunches { document["concurrentRelaunches"] = String(concurrentRelaunches) }
            if !loadBalancer.isEmpty { document["loadBalancers"] = loadBalancer }
            let client = global.client()
            let reply = try await client.post("/\(pathSegment(global.region))/deployment/start", document: document)
            let accepted = try APIJSON.decoder().decode(TaskAccepted.self, from: reply.body)
            if global.output == .json, !wait { return print(TableOutput.raw(reply.body)) }
            print("Started deployment \(accepted.taskId) of \(image) to \(cluster) (\(strategy)); follow it with `asgard deployment show \(accepted.taskId)`")
            guard wait else { return }
            let task = try await TaskCommand.follow(accepted.taskId.description, client: client)
            guard task.status == .succeeded else { throw CLIError(description: "deployment \(task.id) \(task.status.rawValue)") }
            let shown = try await client.get("/deployment/show/\(accepted.taskId).json")
            let deployment = try APIJSON.decoder().decode(DeploymentJSON.self, from: shown.body)
            print("Deployment \(deployment.id) succeeded: \(deployment.newGroup ?? cluster) serves \(cluster)")
        }
    }
}

/// `asgard deployment …`.
struct DeploymentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deployment", abstract: "List and show deployments.", subcommands: [List.self, Show.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List deployments, newest first.", discussion: "Example:\n  asgard deployment list")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/deployment/list.json")
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                let all = try APIJSON.decoder().decode([DeploymentJSON].self, from: reply.body)
                if all.isEmpty { return print("No deployments yet. Start one with `asgard deploy`.") }
                print(TableOutput.render(headers: ["ID", "CLUSTER", "STRATEGY", "IMAGE", "NEW GROUP", "STATUS", "STARTED"], rows: all.map {
                    [$0.id.description, $0.cluster, $0.strategy.rawValue, $0.imageId.rawValue, $0.newGroup ?? "", $0.status.rawValue,
                     TableOutput.date($0.startTime)]
                }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a deployment's steps and log.", discussion: "Example:\n  asgard deployment show 12")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The deployment's task id.") var id: Int

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/deployment/show/\(id).json")
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                let d = try APIJSON.decoder().decode(DeploymentJSON.self, from: reply.body)
                print(TableOutput.properties([
                    ("Deployment", d.id.description), ("Cluster", d.cluster), ("Strategy", d.strategy.rawValue), ("Image", d.imageId.rawValue),
                    ("Status", d.status.rawValue), ("New group", d.newGroup ?? "not yet named"),
                    ("Previous groups", d.previousGroups.isEmpty ? "none" : d.previousGroups.joined(separator: ", ")),
                    ("Steps", d.steps.map { "\($0.name.rawValue) \($0.state)" }.joined(separator: ", ")),
                ]))
                print("")
                for line in d.log ?? [] { print("\(TableOutput.date(line.time))  \(line.message)") }
            }
        }
    }
}
