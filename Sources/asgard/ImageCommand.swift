import ArgumentParser
import AsgardAPI
import AsgardCore
import Foundation

/// `asgard image …`: local images, versioned command lines.
struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Register, list, show and delete local images.",
        subcommands: [Register.self, List.self, Show.self, Tag.self, Delete.self])

    static func print(_ image: ImageRecord) {
        Swift.print(TableOutput.properties([
            ("Image", image.imageId.rawValue), ("Application", image.name), ("Version", image.version),
            ("Command", image.command.joined(separator: " ")),
            (image.command.isEmpty ? "Tags" : "Environment", image.env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")),
            ("Directory", image.workingDirectory ?? "-"), ("Registered", TableOutput.date(image.createTime)),
        ].filter { !image.command.isEmpty || !["Command", "Directory"].contains($0.0) }))
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a versioned command line as an image (admin).",
            discussion: """
            Everything after -- is the command: its first word an absolute path or a name on PATH. It runs
            without a shell, with PORT set for each instance.

            Example:
              asgard image register sample 1.0.0 --env SAMPLE_LATENCY_MS=5 -- $PWD/.build/debug/asgard-sample-app --version-label 1.0.0
            """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The application the image packages.") var name: String
        @Argument(help: "The version, e.g. 1.0.0.") var version: String
        @Option(name: .customLong("env"), help: "An environment variable KEY=value (repeatable).") var env: [String] = []
        @Option(name: .customLong("workdir"), help: "The absolute path its instances start in.") var workingDirectory: String?
        @Argument(parsing: .postTerminator, help: "The command after --.") var command: [String] = []

        func run() async throws {
            try await runReporting {
                var environment: [String: String] = [:]
                for entry in env {
                    guard let equals = entry.firstIndex(of: "=") else { throw CLIError(description: "--env '\(entry)' must look like KEY=value") }
                    environment[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
                }
                var document: [String: Any] = ["name": name, "version": version, "command": command, "env": environment]
                if let workingDirectory { document["workingDirectory"] = workingDirectory }
                let reply = try await global.client().post("/\(pathSegment(global.region))/image/register", document: document)
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let image = try APIJSON.decoder().decode(ImageRecord.self, from: reply.body)
                Swift.print("Registered image \(image.imageId) (task \(reply.headers.first(name: "X-Task-Id") ?? "?"))")
                ImageCommand.print(image)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List images.", discussion: "Example:\n  asgard image list")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/\(pathSegment(global.region))/image/list.json")
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let images = try APIJSON.decoder().decode([ImageRecord].self, from: reply.body)
                if images.isEmpty {
                    return Swift.print(global.region == "local" ? "No images yet. Register one with `asgard image register`."
                        : "No AMIs in \(global.region) yet: they appear here once registered with AWS (Packer, aws ec2 register-image), at the console's next read.")
                }
                Swift.print(TableOutput.render(headers: ["IMAGE", "APPLICATION", "VERSION", "COMMAND"],
                                               rows: images.map { [$0.imageId.rawValue, $0.name, $0.version, $0.command.joined(separator: " ")] }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an image.", discussion: "Example:\n  asgard image show img-1a2b3c4d")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The image's id.") var imageId: String

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/\(pathSegment(global.region))/image/show/\(pathSegment(imageId)).json")
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                ImageCommand.print(try APIJSON.decoder().decode(ImageRecord.self, from: reply.body))
            }
        }
    }

    struct Tag: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set or remove tags of an AMI (AWS regions).",
            discussion: "Example:\n  asgard image tag ami-0abc1234 appversion=shop-1.2.0-h7 team=shop --remove owner --region us-east-1")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The AMI.") var imageId: String
        @Argument(help: "Tags to set, key=value.") var tags: [String] = []
        @Option(help: "A tag key to remove (repeatable).") var remove: [String] = []

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().post("/\(pathSegment(global.region))/image/tag",
                                                           document: ["imageId": imageId, "tags": tags, "removeTags": remove])
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                ImageCommand.print(try APIJSON.decoder().decode(ImageRecord.self, from: reply.body))
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an image no server group uses.", discussion: "Example:\n  asgard image delete img-1a2b3c4d --force")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The image's id.") var imageId: String
        @Flag(help: "Confirm the deletion; required.") var force = false

        func run() async throws {
            try await runReporting {
                guard force else { throw CLIError(description: "Deleting image '\(imageId)' cannot be undone; add --force to confirm") }
                let reply = try await global.client().post("/\(pathSegment(global.region))/image/delete", fields: ["imageId": imageId])
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                Swift.print("Deleted image \(imageId)")
            }
        }
    }
}
