import ArgumentParser
import AsgardAPI
import AsgardCore
import Foundation

/// `asgard deploy`: start a deployment and, with `--wait`, follow it to its end.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy an image to a cluster with a strategy (redBlack, highlander, rolling, custom or canary).",
        discussion: """
        Creates the cluster's next server group from the image, waits until it is healthy in its
        load balancers, then moves traffic to it; a failure rolls it back. With --wait, shows the
        steps as they progress (in place on a terminal, as plain log lines otherwise) and exits 0
        only when the deployment succeeded: 3 when someone rolled it back, 1 when it failed or was
        canceled, 2 when the server stayed out of reach for a minute (the deployment goes on
        when it runs again).

        A custom deployment takes its steps from a JSON file, e.g.
          [{"type": "createGroup"}, {"type": "resize", "capacity": 1}, {"type": "judgment", "minutes": 30},
           {"type": "resize", "percent": 100}, {"type": "disableGroup", "target": "previous"}]

        Examples:
          asgard deploy shop-prod --image img-1a2b3c4d --strategy redBlack --desired 3 --wait
          asgard deploy shop-prod --image img-1a2b3c4d --strategy custom --steps-file canary.json --desired 3 --wait
          asgard deploy shop-prod --image img-1a2b3c4d --strategy canary --steps 5,25,50,100 --analysis-seconds 60 --desired 2 --wait
          asgard deploy shop-prod --image img-1a2b3c4d --strategy canary --steps 50,100 --desired 2 --wait \\
            --prometheus-metric 'errorRatio=sum(rate(http_requests_total{server_group="{{serverGroup}}",code=~"5.."}[1m])) / sum(rate(http_requests_total{server_group="{{serverGroup}}"}[1m]))'
        """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The cluster, e.g. shop-prod.") var cluster: String
    @Option(help: "The image to deploy.") var image: String
    @Option(help: "redBlack, highlander, rolling, custom or canary.") var strategy: String = "redBlack"
    @Option(help: "Fewest instances (default: desired).") var min: Int?
    @Option(help: "Instances to run (rolling: the group keeps its sizes).") var desired: Int?
    @Option(help: "Rolling: instances replaced at a time (default 1).") var concurrentRelaunches: Int?
    @Option(help: "Rolling: seconds the sequential judge watches each batch against the old instances (default 0: not watched).") var watchSeconds: Int?
    @Option(help: "Most instances (default: desired).") var max: Int?
    @Option(help: "A load balancer of the new group (repeatable; default: the newest group's).") var loadBalancer: [String] = []
    @Option(help: "custom: a JSON file with the steps (- for standard input).") var stepsFile: String?
    @Option(help: "canary: the weights in percent, each but 100 analyzed, e.g. 5,25,50,100.") var steps: String?
    @Option(help: "canary: seconds each weight is analyzed (default 60).") var analysisSeconds: Int?
    @Option(help: "canary: seconds between judgments (default 10).") var intervalSeconds: Int?
    @Option(help: "canary (sequential judge) and watched rolling push: seconds before a step or batch may pass early, once the canary is shown within its tolerance (default 30).") var minimumSeconds: Int?
    @Option(help: "canary: existing (the group that serves, the default) or fresh (a new group of its image).") var baseline: String?
    @Option(help: "canary: fixed (the default: the window judged every interval) or sequential (anytime-valid tests every second).") var judge: String?
    @Option(help: "canary (sequential judge) and watched rolling push: the false-alarm probability (default 0.01).") var alpha: String?
    @Option(help: "canary: judge on a PromQL query instead of the console's metrics, NAME=QUERY with {{serverGroup}} filled in for canary and baseline (repeatable; a worse canary fails at once; needs prometheus.url in the server's configuration).")
    var prometheusMetric: [String] = []
    @Option(help: "A URL that gets a JSON POST on each event of the deployment.") var webhook: String?
    @Option(help: "Seconds a new group may take to become healthy before the deployment rolls back (default 600).") var startupTimeout: Int?
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
            if let watchSeconds { document["watchSeconds"] = String(watchSeconds) }
            if !loadBalancer.isEmpty { document["loadBalancers"] = loadBalancer }
            if let webhook { document["notification"] = ["webhookUrl": webhook] }
            if let startupTimeout { document["startupTimeoutSeconds"] = String(startupTimeout) }
            if let steps { document["canaryWeights"] = steps }
            if let analysisSeconds { document["analysisSeconds"] = String(analysisSeconds) }
            if let intervalSeconds { document["intervalSeconds"] = String(intervalSeconds) }
            if let minimumSeconds { document["minimumSeconds"] = String(minimumSeconds) }
            if let baseline { document["baseline"] = baseline }
            if let judge { document["judge"] = judge }
            if let alpha { document["alpha"] = alpha }
            if !prometheusMetric.isEmpty { document["prometheusMetric"] = prometheusMetric }
            if let stepsFile {
                let data = stepsFile == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: stepsFile)
                guard let data, let steps = try? JSONSerialization.jsonObject(with: data) else {
                    throw CLIError(description: "--steps-file: cannot read a JSON list of steps from '\(stepsFile)'")
                }
                document["steps"] = steps
            }
            let client = global.client()
            let reply = try await client.post("/\(pathSegment(global.region))/deployment/start", document: document)
            let accepted = try APIJSON.decoder().decode(TaskAccepted.self, from: reply.body)
            if global.output == .json, !wait { return print(TableOutput.raw(reply.body)) }
            print("Started deployment \(accepted.taskId) of \(image) to \(cluster) (\(strategy)); follow it with `asgard deployment follow \(accepted.taskId)`")
            guard wait else { return }
            // The progress writes straight to the file descriptor: what print buffered goes first.
            fflush(nil)
            let deployment = try await DeploymentProgress.follow(accepted.taskId, client: client, inPlace: isatty(STDOUT_FILENO) == 1)
            guard deployment.status == .succeeded else { throw CLIError(deployment) }
            print("Deployment \(deployment.id) succeeded: \(deployment.newGroup ?? cluster) serves \(cluster)")
        }
    }
}

/// `asgard deployment …`.
struct DeploymentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deployment", abstract: "List, show, follow and judge deployments.",
        subcommands: [List.self, Show.self, Follow.self, Proceed.self, Rollback.self])

    struct Follow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a deployment's steps as they progress until it ends; exit 0 only if it succeeded.",
                                                        discussion: "Example:\n  asgard deployment follow 12")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The deployment's task id.") var id: Int

        func run() async throws {
            try await runReporting {
                let deployment = try await DeploymentProgress.follow(TaskID(Int64(id)), client: global.client(), inPlace: isatty(STDOUT_FILENO) == 1)
                guard deployment.status == .succeeded else { throw CLIError(deployment) }
            }
        }
    }

    struct Proceed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Answer a deployment's judgment: go on with the next step.",
                                                        discussion: "Example:\n  asgard deployment proceed 12")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The deployment's task id.") var id: Int

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().post("/deployment/proceed", fields: ["id": String(id)])
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                print("Deployment \(id) proceeds with its next step (see `asgard deployment follow \(id)`)")
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Roll a running deployment back: the previous group serves again, the new one is disabled and kept.",
            discussion: "Also the answer 'no' to a judgment. For a deployment that already ended, use `asgard cluster rollback CLUSTER`.\n\nExample:\n  asgard deployment rollback 12")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The deployment's task id.") var id: Int

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().post("/deployment/rollback", fields: ["id": String(id)])
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                print("Deployment \(id) rolls back at its next safe point (see `asgard deployment follow \(id)`)")
            }
        }
    }

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
                    [$0.id.description, $0.cluster, $0.strategy.rawValue, $0.imageLabel, $0.newGroup ?? "", $0.status.rawValue,
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
                    ("Deployment", d.id.description), ("Cluster", d.cluster), ("Strategy", d.strategy.rawValue), ("Image", d.imageLabel),
                    ("Status", d.status.rawValue), ("New group", d.newGroup ?? "not yet named"),
                    ("Previous groups", d.previousGroups.isEmpty ? "none" : d.previousGroups.joined(separator: ", ")),
                ] + (d.rollbackReason.map { [("Rolled back", $0)] } ?? [])))
                print("")
                for (index, step) in d.steps.enumerated() { print("  \(index + 1). \(DeploymentProgress.mark(step.state)) \(step.description) (\(step.state))") }
                print("")
                for line in d.log ?? [] { print("\(TableOutput.date(line.time))  \(line.message)") }
            }
        }
    }
}

extension CLIError {
    /// How a deployment that did not succeed ended: exit 3 when a person had it rolled back,
    /// 1 when it failed or was canceled.
    init(_ deployment: DeploymentJSON) {
        switch deployment.status {
        case .rolledBack:
            self.init(description: "deployment \(deployment.id) was rolled back" + (deployment.rollbackReason.map { ": \($0)" } ?? ""), exitCode: 3)
        default:
            self.init(description: "deployment \(deployment.id) \(deployment.status.rawValue)"
                + (deployment.rollbackReason.map { " and was rolled back: \($0)" } ?? ""))
        }
    }
}
