import ArgumentParser
import AsgardAPI
import AsgardCore
import Foundation

/// `asgard asg …`: local server groups (auto scaling groups).
struct ServerGroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asg",
        abstract: "Create, list, show, resize, update and delete server groups, and show their activities.",
        subcommands: [Create.self, List.self, Show.self, Resize.self, Update.self, Delete.self, ActivitiesCommand.self])

    static func print(_ group: ServerGroupJSON) {
        Swift.print(TableOutput.properties([
            ("Server group", group.autoScalingGroupName), ("Cluster", group.cluster), ("Image", group.imageLabel),
            ("Size", "min \(group.minSize), desired \(group.desiredCapacity), max \(group.maxSize)"),
            ("Health check", "\(group.healthCheckType.rawValue), grace \(group.healthCheckGracePeriod) s"),
            ("Load balancers", group.loadBalancerNames.isEmpty ? "none" : group.loadBalancerNames.joined(separator: ", ")),
        ] + (group.securityGroups.isEmpty ? [] : [("Security groups", group.securityGroups.joined(separator: ", "))]) + [
            ("Traffic", group.trafficState),
            ("Suspended", group.suspendedProcesses.isEmpty ? "none" : group.suspendedProcesses.map(\.rawValue).joined(separator: ", ")),
            ("Created", TableOutput.date(group.createdTime)),
        ]))
        if !group.instances.isEmpty {
            Swift.print("")
            InstanceCommand.table(group.instances)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a server group: the cluster's next push version.",
            discussion: "Example:\n  asgard asg create shop --stack prod --image img-1a2b3c4d --desired 3 --max 5 --load-balancer shop-prod")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The application.") var app: String
        @Option(help: "The stack.") var stack: String?
        @Option(help: "The detail.") var detail: String?
        @Option(help: "The image to run.") var image: String
        @Option(help: "Fewest instances.") var min: Int?
        @Option(help: "Instances to run.") var desired = 1
        @Option(help: "Most instances.") var max: Int?
        @Option(help: "A load balancer to send it requests (repeatable).") var loadBalancer: [String] = []
        @Option(help: "AWS: a security group its instances launch into (repeatable); the cluster's next groups inherit them.") var securityGroup: [String] = []
        @Option(help: "EC2 (the process runs, the default) or ELB (its load balancers' checks pass).") var healthCheckType: String?
        @Option(help: "Seconds after launch before failed checks count.") var gracePeriod: Int?

        func run() async throws {
            try await runReporting {
                var fields: [String: Any] = ["appName": app, "imageId": image, "desiredCapacity": String(desired),
                                             "minSize": String(min ?? Swift.min(1, desired)), "maxSize": String(max ?? Swift.max(desired, 1))]
                if let stack { fields["stack"] = stack }
                if let detail { fields["detail"] = detail }
                if !loadBalancer.isEmpty { fields["selectedLoadBalancers"] = loadBalancer }
                if !securityGroup.isEmpty { fields["selectedSecurityGroups"] = securityGroup }
                if let healthCheckType { fields["healthCheckType"] = healthCheckType }
                if let gracePeriod { fields["healthCheckGracePeriod"] = String(gracePeriod) }
                let reply = try await global.client().post("/\(pathSegment(global.region))/autoScaling/save", document: fields)
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let group = try APIJSON.decoder().decode(ServerGroupJSON.self, from: reply.body)
                Swift.print("Created server group \(group.autoScalingGroupName) (task \(reply.headers.first(name: "X-Task-Id") ?? "?")); its instances are launching: follow them with `asgard asg show \(group.autoScalingGroupName)\(global.regionFlag)`")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List server groups.", discussion: "Example:\n  asgard asg list\n  asgard asg list --app shop --state enabled --limit 50")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var list: ListOptions

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/\(pathSegment(global.region))/autoScaling/list.json", query: list.query())
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let groups = try APIJSON.decoder().decode([ServerGroupJSON].self, from: reply.body)
                if groups.isEmpty, list.query().isEmpty { return Swift.print("No server groups yet. Create one with `asgard asg create`.") }
                Swift.print(TableOutput.render(headers: ["SERVER GROUP", "IMAGE", "MIN", "DESIRED", "MAX", "IN SERVICE"], rows: groups.map { g in
                    [g.autoScalingGroupName, g.imageLabel, String(g.minSize), String(g.desiredCapacity), String(g.maxSize),
                     String(g.instances.filter { $0.lifecycleState == .inService }.count)]
                }))
                if let footer = list.footer(shown: groups.count, total: reply.headers.first(name: "X-Total-Count")) { Swift.print(footer) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a server group and its instances.", discussion: "Example:\n  asgard asg show shop-prod-v000")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The server group.") var name: String

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/\(pathSegment(global.region))/autoScaling/show/\(pathSegment(name)).json")
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                ServerGroupCommand.print(try APIJSON.decoder().decode(ServerGroupJSON.self, from: reply.body))
            }
        }
    }

    struct Resize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a server group's size.", discussion: "Example:\n  asgard asg resize shop-prod-v000 --desired 4 --max 6")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The server group.") var name: String
        @Option(help: "Fewest instances.") var min: Int?
        @Option(help: "Instances to run.") var desired: Int?
        @Option(help: "Most instances.") var max: Int?

        func run() async throws {
            try await runReporting {
                var fields = ["name": name]
                if let min { fields["minSize"] = String(min) }
                if let desired { fields["desiredCapacity"] = String(desired) }
                if let max { fields["maxSize"] = String(max) }
                let reply = try await global.client().post("/\(pathSegment(global.region))/autoScaling/update", fields: fields)
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let group = try APIJSON.decoder().decode(ServerGroupJSON.self, from: reply.body)
                Swift.print("Resized \(group.autoScalingGroupName) to min \(group.minSize), desired \(group.desiredCapacity), max \(group.maxSize)")
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Suspend or resume processes, or change load balancers, health check, grace period and termination policies.",
            discussion: "Example:\n  asgard asg update shop-prod-v000 --suspend Launch --suspend ReplaceUnhealthy\n  asgard asg update shop-prod-v000 --resume-all")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The server group.") var name: String
        @Option(help: "A process to suspend: Launch, Terminate, HealthCheck, ReplaceUnhealthy, AddToLoadBalancer (repeatable; replaces the list).") var suspend: [String] = []
        @Flag(help: "Resume every suspended process.") var resumeAll = false
        @Option(help: "Seconds after launch before failed checks count.") var gracePeriod: Int?
        @Option(help: "OldestInstance, NewestInstance, OldestLaunchConfiguration or Default (repeatable).") var terminationPolicy: [String] = []
        @Option(help: "A load balancer to send it requests (repeatable; replaces the list).") var loadBalancer: [String] = []
        @Flag(help: "Take it out of every load balancer.") var noLoadBalancers = false
        @Option(help: "EC2 or ELB.") var healthCheckType: String?
        @Flag(help: "Take the traffic off the cluster's last enabled group (suspending AddToLoadBalancer or removing its load balancers).") var force = false

        func run() async throws {
            try await runReporting {
                var document: [String: Any] = ["name": name]
                if force { document["force"] = "true" }
                if noLoadBalancers { document["selectedLoadBalancers"] = [String]() } else if !loadBalancer.isEmpty { document["selectedLoadBalancers"] = loadBalancer }
                if let healthCheckType { document["healthCheckType"] = healthCheckType }
                if resumeAll { document["suspendedProcesses"] = [String]() } else if !suspend.isEmpty { document["suspendedProcesses"] = suspend }
                if let gracePeriod { document["healthCheckGracePeriod"] = String(gracePeriod) }
                if !terminationPolicy.isEmpty { document["terminationPolicies"] = terminationPolicy }
                let reply = try await global.client().post("/\(pathSegment(global.region))/autoScaling/update", document: document)
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                ServerGroupCommand.print(try APIJSON.decoder().decode(ServerGroupJSON.self, from: reply.body))
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a server group, terminating its instances.", discussion: "Example:\n  asgard asg delete shop-prod-v000 --force")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The server group.") var name: String
        @Flag(help: "Confirm; its instances are terminated first.") var force = false

        func run() async throws {
            try await runReporting {
                let client = global.client()
                // A name that is no group is said so before asking for confirmation.
                _ = try await client.get("/\(pathSegment(global.region))/autoScaling/show/\(pathSegment(name))")
                guard force else { throw CLIError(description: "Deleting server group '\(name)' terminates its instances; add --force to confirm") }
                _ = try await client.post("/\(pathSegment(global.region))/autoScaling/delete", fields: ["name": name, "force": "true"])
                Swift.print("Deleted server group \(name)")
            }
        }
    }
}

/// `asgard instance …`.
struct InstanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instance",
        abstract: "List, show, terminate, reboot and protect instances, and read their console.",
        subcommands: [List.self, Show.self, Terminate.self, Reboot.self, Protect.self, Console.self])

    struct Protect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Protect instances from scale-in: a group that shrinks ends others (AWS's SetInstanceProtection).",
            discussion: "Example:\n  asgard instance protect i-0123456789abcdef0\n  asgard instance protect i-0123456789abcdef0 --off")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The instances, of one group.") var instanceIds: [String]
        @Flag(help: "Stop protecting them.") var off = false

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().post("/\(pathSegment(global.region))/instance/setProtection",
                                                           document: ["instanceIds": instanceIds, "protectedFromScaleIn": off ? "false" : "true"])
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                print("\(off ? "No longer protected" : "Protected from scale-in"): \(instanceIds.joined(separator: ", "))")
            }
        }
    }

    static func table(_ instances: [InstanceRecord]) {
        print(TableOutput.render(headers: ["INSTANCE", "SERVER GROUP", "STATE", "HEALTH", "ADDRESS", "PID"], rows: instances.map {
            [$0.instanceId.rawValue, $0.autoScalingGroupName, $0.lifecycleState.rawValue, $0.healthStatus.rawValue,
             $0.address, $0.pid.map(String.init) ?? ""]
        }))
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List instances, of one application or all.",
                                                        discussion: "Example:\n  asgard instance list shop\n  asgard instance list --state InService --load-balancer shop-prod --limit 100")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Only this application's instances.") var application: String?
        @OptionGroup var list: ListOptions

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/\(pathSegment(global.region))/instance/list.json", query: list.query(app: application))
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                let instances = try APIJSON.decoder().decode([InstanceRecord].self, from: reply.body)
                if instances.isEmpty { return print("No instances.") }
                InstanceCommand.table(instances)
                if let footer = list.footer(shown: instances.count, total: reply.headers.first(name: "X-Total-Count")) { print(footer) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an instance.", discussion: "Example:\n  asgard instance show i-0123456789abcdef0")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The instance.") var instanceId: String

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/\(pathSegment(global.region))/instance/show/\(pathSegment(instanceId)).json")
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                let i = try APIJSON.decoder().decode(InstanceRecord.self, from: reply.body)
                print(TableOutput.properties([
                    ("Instance", i.instanceId.rawValue), ("Server group", i.autoScalingGroupName), ("Image", i.imageId.rawValue),
                    ("State", i.lifecycleState.rawValue), ("Health", i.healthStatus.rawValue), ("Address", "127.0.0.1:\(i.port)"),
                    ("Pid", i.pid.map(String.init) ?? "-"), ("Launched", TableOutput.date(i.launchTime)), ("Reason", i.statusReason ?? "-"),
                ]))
            }
        }
    }

    struct Terminate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Terminate an instance; its group replaces it unless --shrink.",
            discussion: "Example:\n  asgard instance terminate i-0123456789abcdef0 --shrink")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The instance.") var instanceId: String
        @Flag(help: "Also lower the group's desired capacity by one.") var shrink = false

        func run() async throws {
            try await runReporting {
                _ = try await global.client().post("/\(pathSegment(global.region))/instance/terminate",
                                                   fields: ["instanceId": instanceId, "shrink": shrink ? "true" : "false"])
                print("Terminated \(instanceId)\(shrink ? " and shrank its group" : "; its group launches a replacement")")
            }
        }
    }

    struct Reboot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Restart an instance's process.", discussion: "Example:\n  asgard instance reboot i-0123456789abcdef0")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The instance.") var instanceId: String

        func run() async throws {
            try await runReporting {
                _ = try await global.client().post("/\(pathSegment(global.region))/instance/reboot", fields: ["instanceId": instanceId])
                print("Rebooted \(instanceId)")
            }
        }
    }

    struct Console: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the last 64 KiB of an instance's output.", discussion: "Example:\n  asgard instance console i-0123456789abcdef0")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The instance.") var instanceId: String

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/\(pathSegment(global.region))/instance/consoleOutput/\(pathSegment(instanceId))")
                print(TableOutput.raw(reply.body), terminator: "")
            }
        }
    }
}

/// `asgard cluster …`.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "List and show clusters; enable and disable traffic to their server groups.",
        subcommands: [List.self, Show.self, CreateNextGroup.self, Resize.self, Enable.self, Disable.self, Rollback.self, Delete.self])

    struct CreateNextGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-next-group",
            abstract: "Create the cluster's next server group, inheriting the newest group's settings unless given.",
            discussion: "Example:\n  asgard cluster create-next-group shop-prod --image img-1a2b3c4d --desired 3 --check-health")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The cluster.") var name: String
        @Option(help: "The image (default: the newest group's).") var image: String?
        @Option(help: "Fewest instances.") var min: Int?
        @Option(help: "Instances to run.") var desired: Int?
        @Option(help: "Most instances.") var max: Int?
        @Flag(help: "Create it disabled: out of its load balancers.") var disabled = false
        @Flag(help: "Answer once it is healthy.") var checkHealth = false

        func run() async throws {
            try await runReporting {
                var fields = ["name": name, "trafficAllowed": disabled ? "false" : "true", "checkHealth": checkHealth ? "true" : "false"]
                if let image { fields["imageId"] = image }
                if let desired { fields["desiredCapacity"] = String(desired) }
                if let min { fields["minSize"] = String(min) }
                if let max { fields["maxSize"] = String(max) }
                let reply = try await global.client().post("/\(pathSegment(global.region))/cluster/createNextGroup", fields: fields)
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                let group = try APIJSON.decoder().decode(ServerGroupJSON.self, from: reply.body)
                print("Created \(group.autoScalingGroupName) (task \(reply.headers.first(name: "X-Task-Id") ?? "?"))\(checkHealth ? "; it is healthy" : "")")
            }
        }
    }

    struct Resize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resize a server group, growing in batches that each wait until healthy.",
            discussion: "Example:\n  asgard cluster resize shop-prod-v001 --desired 6 --max 6 --batch-size 2")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The server group.") var name: String
        @Option(help: "Fewest instances.") var min: Int?
        @Option(help: "Instances to run.") var desired: Int
        @Option(help: "Most instances.") var max: Int?
        @Option(help: "Instances added per batch.") var batchSize: Int?

        func run() async throws {
            try await runReporting {
                var fields = ["name": name, "desiredCapacity": String(desired)]
                if let min { fields["minSize"] = String(min) }
                if let max { fields["maxSize"] = String(max) }
                if let batchSize { fields["batchSize"] = String(batchSize) }
                let reply = try await global.client().post("/\(pathSegment(global.region))/cluster/resize", fields: fields)
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                let group = try APIJSON.decoder().decode(ServerGroupJSON.self, from: reply.body)
                print("Resized \(name) to min \(group.minSize), desired \(group.desiredCapacity), max \(group.maxSize) (task \(reply.headers.first(name: "X-Task-Id") ?? "?"))")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a server group after draining it from its load balancers.", discussion: "Example:\n  asgard cluster delete shop-prod-v000 --force")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The server group.") var name: String
        @Flag(help: "Confirm.") var force = false

        func run() async throws {
            try await runReporting {
                let client = global.client()
                _ = try await client.get("/\(pathSegment(global.region))/autoScaling/show/\(pathSegment(name))")
                guard force else { throw CLIError(description: "Deleting server group '\(name)' ends its instances; add --force to confirm") }
                _ = try await client.post("/\(pathSegment(global.region))/cluster/delete", fields: ["name": name])
                print("Deleted server group \(name)")
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put traffic back on the cluster's previous group after a deployment.",
            discussion: "Enables the newest disabled group, waits until it is healthy, then disables the newer one.\n\nExample:\n  asgard cluster rollback shop-prod")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The cluster.") var name: String

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().post("/\(pathSegment(global.region))/cluster/rollback", fields: ["name": name])
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                let task = try APIJSON.decoder().decode(TaskJSON.self, from: reply.body)
                for line in task.log ?? [] { print("\(TableOutput.date(line.time))  \(line.message)") }
                print("Rolled back \(name) (task \(task.id))")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a server group out of its load balancers (draining) and suspend Launch and Terminate.",
            discussion: "Refused for the cluster's last enabled group unless --force.\n\nExample:\n  asgard cluster disable shop-prod-v000")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The server group.") var name: String
        @Flag(help: "Disable it even if it is the last enabled group of its cluster.") var force = false

        func run() async throws {
            try await runReporting {
                var fields = ["name": name]
                if force { fields["force"] = "true" }
                let reply = try await global.client().post("/\(pathSegment(global.region))/cluster/deactivate", fields: fields)
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                print("Disabled traffic to \(name) (task \(reply.headers.first(name: "X-Task-Id") ?? "?")); its requests in flight finished")
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a server group back into its load balancers and resume Launch and Terminate.",
            discussion: "Example:\n  asgard cluster enable shop-prod-v000")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The server group.") var name: String

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().post("/\(pathSegment(global.region))/cluster/activate", fields: ["name": name])
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                print("Enabled traffic to \(name) (task \(reply.headers.first(name: "X-Task-Id") ?? "?")); its instances take requests once they pass the health check")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clusters.", discussion: "Example:\n  asgard cluster list\n  asgard cluster list --app shop")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var list: ListOptions

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/\(pathSegment(global.region))/cluster/list.json", query: list.query())
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                let clusters = try APIJSON.decoder().decode([ClusterJSON].self, from: reply.body)
                if clusters.isEmpty { return print(list.query().isEmpty ? "No clusters yet." : "No cluster matches.") }
                print(TableOutput.render(headers: ["CLUSTER", "SERVER GROUPS", "INSTANCES"], rows: clusters.map { c in
                    [c.cluster, c.autoScalingGroups.map(\.autoScalingGroupName).joined(separator: " "),
                     String(c.autoScalingGroups.reduce(0) { $0 + $1.instances.count })]
                }))
                if let footer = list.footer(shown: clusters.count, total: reply.headers.first(name: "X-Total-Count")) { print(footer) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a cluster's server groups and instances.", discussion: "Example:\n  asgard cluster show shop-prod")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The cluster.") var cluster: String

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/\(pathSegment(global.region))/cluster/show/\(pathSegment(cluster)).json")
                if global.output == .json { return print(TableOutput.raw(reply.body)) }
                let result = try APIJSON.decoder().decode(ClusterJSON.self, from: reply.body)
                for group in result.autoScalingGroups {
                    ServerGroupCommand.print(group)
                    print("")
                }
            }
        }
    }
}
