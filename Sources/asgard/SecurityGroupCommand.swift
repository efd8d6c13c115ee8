import ArgumentParser
import AsgardAPI
import AsgardCore
import Foundation

/// `asgard sg …`: security groups of AWS regions.
struct SecurityGroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sg",
        abstract: "Create, list, show and delete security groups and open or close their ingress (AWS regions).",
        subcommands: [Create.self, List.self, Show.self, Authorize.self, Revoke.self, Delete.self])

    static func print(_ g: SecurityGroupJSON) {
        Swift.print(TableOutput.properties([
            ("Security group", g.groupName), ("Id", g.groupId), ("Description", g.description), ("VPC", g.vpcId ?? ""),
            ("Ingress", g.rules.isEmpty ? "none" : g.rules.joined(separator: ", ")),
        ]))
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a security group with no ingress.",
            discussion: "Example:\n  asgard sg create shop-web --description \"Shop's web servers\" --region us-east-1")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The name: app[-anything].") var name: String
        @Option(help: "What it is for.") var description: String?

        func run() async throws {
            try await runReporting {
                var document: [String: Any] = ["name": name]
                if let description { document["description"] = description }
                let reply = try await global.client().post("/\(pathSegment(global.region))/security/save", document: document)
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let group = try APIJSON.decoder().decode(SecurityGroupJSON.self, from: reply.body)
                Swift.print("Created security group \(group.groupName) (\(group.groupId)) with no ingress (task \(reply.headers.first(name: "X-Task-Id") ?? "?")); open it with `asgard sg authorize \(group.groupName) tcp:PORT:SOURCE`")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List security groups.", discussion: "Example:\n  asgard sg list --region us-east-1")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/\(pathSegment(global.region))/security/list.json")
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let groups = try APIJSON.decoder().decode([SecurityGroupJSON].self, from: reply.body)
                if groups.isEmpty { return Swift.print("No security groups in \(global.region) (the local cloud has none).") }
                Swift.print(TableOutput.render(headers: ["SECURITY GROUP", "ID", "INGRESS"], rows: groups.map {
                    [$0.groupName, $0.groupId, $0.rules.joined(separator: " ")]
                }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a security group and its ingress.", discussion: "Example:\n  asgard sg show shop-web --region us-east-1")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The security group.") var name: String

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/\(pathSegment(global.region))/security/show/\(pathSegment(name)).json")
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                SecurityGroupCommand.print(try APIJSON.decoder().decode(SecurityGroupJSON.self, from: reply.body))
            }
        }
    }

    /// Sends rules to open or close.
    static func change(_ global: GlobalOptions, _ name: String, _ rules: [String], field: String) async throws {
        let reply = try await global.client().post("/\(pathSegment(global.region))/security/update", document: ["name": name, field: rules])
        if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
        SecurityGroupCommand.print(try APIJSON.decoder().decode(SecurityGroupJSON.self, from: reply.body))
    }

    struct Authorize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open ingress rules: protocol:ports:source, the source a CIDR block or a security group's name.",
            discussion: "Examples:\n  asgard sg authorize shop-web tcp:7001:10.0.0.0/8 --region us-east-1\n  asgard sg authorize shop-db tcp:5432:shop-web --region us-east-1")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The security group.") var name: String
        @Argument(help: "Rules, e.g. tcp:7001:10.0.0.0/8, tcp:8080-8081:shop-web, all:all:0.0.0.0/0.") var rules: [String]

        func run() async throws {
            try await runReporting { try await SecurityGroupCommand.change(global, name, rules, field: "authorize") }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close ingress rules, written as when they were opened.",
            discussion: "Example:\n  asgard sg revoke shop-web tcp:7001:10.0.0.0/8 --region us-east-1")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The security group.") var name: String
        @Argument(help: "Rules as `asgard sg show` lists them.") var rules: [String]

        func run() async throws {
            try await runReporting { try await SecurityGroupCommand.change(global, name, rules, field: "revoke") }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a security group (AWS refuses while it is in use).", discussion: "Example:\n  asgard sg delete shop-web --force --region us-east-1")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The security group.") var name: String
        @Flag(help: "Confirm.") var force = false

        func run() async throws {
            try await runReporting {
                guard force else { throw CLIError(description: "Deleting security group '\(name)' cannot be undone; add --force to confirm") }
                _ = try await global.client().post("/\(pathSegment(global.region))/security/delete", fields: ["name": name])
                Swift.print("Deleted security group \(name)")
            }
        }
    }
}
