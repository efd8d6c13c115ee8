import ArgumentParser
import AsgardAPI
import AsgardCore
import Foundation

/// `asgard app …`: manage applications.
struct AppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app",
        abstract: "Register, list, show, update and delete applications.",
        subcommands: [Create.self, List.self, Show.self, Update.self, Delete.self]
    )

    static func print(_ app: AppRecord) {
        Swift.print(TableOutput.properties([
            ("Name", app.name.rawValue), ("Type", app.type.rawValue), ("Owner", app.owner), ("Email", app.email), ("Webhook", app.webhookUrl ?? "none"),
            ("Description", app.description), ("Created", TableOutput.date(app.createTime)),
            ("Updated", TableOutput.date(app.updateTime)),
        ]))
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register an application.",
            discussion: "Example:\n  asgard app create shop --owner \"Shop team\" --email shop@example.com --description \"The web shop\"")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "At most 28 characters of a-z, 0-9, '.' and '_'.") var name: String
        @Option(help: "The team or person responsible.") var owner: String
        @Option(help: "Where notifications go.") var email: String
        @Option(help: "What it does.") var description: String?
        @Option(help: "'Web Service' (default), 'Web Application' or 'Standalone Application'.") var type: String?
        @Option(help: "An http(s) URL that gets a JSON POST on each event of the application's deployments.") var webhookUrl: String?

        func run() async throws {
            try await runReporting {
                var fields = ["name": name, "owner": owner, "email": email]
                if let description { fields["description"] = description }
                if let type { fields["type"] = type }
                if let webhookUrl { fields["webhookUrl"] = webhookUrl }
                let reply = try await global.client().post("/application/save", fields: fields)
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let app = try APIJSON.decoder().decode(AppRecord.self, from: reply.body)
                Swift.print("Created application \(app.name) (task \(reply.headers.first(name: "X-Task-Id") ?? "?"))")
                AppCommand.print(app)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List applications.", discussion: "Example:\n  asgard app list --output json")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/application/list.json")
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let apps = try APIJSON.decoder().decode([AppRecord].self, from: reply.body)
                if apps.isEmpty { return Swift.print("No applications yet. Register one with `asgard app create`.") }
                Swift.print(TableOutput.render(headers: ["NAME", "TYPE", "OWNER", "EMAIL", "DESCRIPTION"],
                                               rows: apps.map { [$0.name.rawValue, $0.type.rawValue, $0.owner, $0.email, $0.description] }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one application.", discussion: "Example:\n  asgard app show shop")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The application's name.") var name: String

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/application/show/\(pathSegment(name)).json")
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let shown = try APIJSON.decoder().decode(ApplicationJSON.self, from: reply.body)
                AppCommand.print(shown.app)
                // Its clusters in every region, from the same answer.
                var rows: [[String]] = []
                for region in shown.regions {
                    if let error = region.error {
                        rows.append([region.region, "(cannot be read now: \(error))", "", ""])
                        continue
                    }
                    for cluster in region.clusters {
                        let instances = cluster.autoScalingGroups.reduce(0) { $0 + $1.instances.count }
                        rows.append([region.region, cluster.cluster, String(cluster.autoScalingGroups.count), String(instances)])
                    }
                }
                Swift.print(rows.isEmpty ? "\nNo clusters in any region." : "\n" + TableOutput.render(headers: ["REGION", "CLUSTER", "GROUPS", "INSTANCES"], rows: rows))
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an application's owner, email, description, type or webhook.",
            discussion: "Fields not given keep their values.\n\nExample:\n  asgard app update shop --owner \"Checkout team\"")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The application's name.") var name: String
        @Option(help: "The team or person responsible.") var owner: String?
        @Option(help: "Where notifications go.") var email: String?
        @Option(help: "What it does.") var description: String?
        @Option(help: "'Web Service', 'Web Application' or 'Standalone Application'.") var type: String?
        @Option(help: "Deployment events go to this http(s) URL; an empty string removes it.") var webhookUrl: String?

        func run() async throws {
            try await runReporting {
                var fields = ["name": name]
                if let webhookUrl { fields["webhookUrl"] = webhookUrl }
                if let owner { fields["owner"] = owner }
                if let email { fields["email"] = email }
                if let description { fields["description"] = description }
                if let type { fields["type"] = type }
                let reply = try await global.client().post("/application/update", fields: fields)
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let app = try APIJSON.decoder().decode(AppRecord.self, from: reply.body)
                Swift.print("Updated application \(app.name) (task \(reply.headers.first(name: "X-Task-Id") ?? "?"))")
                AppCommand.print(app)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an application that owns no server groups, load balancers or images.",
            discussion: "Example:\n  asgard app delete shop --force")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The application's name.") var name: String
        @Flag(help: "Confirm the deletion; required.") var force = false

        func run() async throws {
            try await runReporting {
                guard force else {
                    throw CLIError(description: "Deleting application '\(name)' cannot be undone; add --force to confirm")
                }
                let reply = try await global.client().post("/application/delete", fields: ["name": name])
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let deleted = try APIJSON.decoder().decode(DeletedJSON.self, from: reply.body)
                Swift.print("Deleted application \(deleted.name) (task \(deleted.taskId))")
            }
        }
    }
}

/// `s` percent-encoded for one URL path segment or query value.
func pathSegment(_ s: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
}
