import ArgumentParser
import AsgardAPI
import AsgardCore
import Foundation

/// `asgard task …`: follow what changed.
struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "List and show tasks: the record every change leaves.",
        subcommands: [List.self, Show.self, Follow.self, Cancel.self]
    )

    /// Prints a task's log as it grows until the task ends; answers how it ended.
    static func follow(_ id: String, client: APIClient) async throws -> TaskJSON {
        var printed = 0
        while true {
            let reply = try await client.get("/task/show/\(pathSegment(id)).json")
            let task = try APIJSON.decoder().decode(TaskJSON.self, from: reply.body)
            let log = task.log ?? []
            for line in log.dropFirst(printed) { FileHandle.standardOutput.write(Data("\(TableOutput.date(line.time))  \(line.message)\n".utf8)) }
            printed = log.count
            if task.status.isFinished { return task }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    struct Follow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a task's log as it happens until the task ends; exit 0 only if it succeeded.",
            discussion: "Example:\n  asgard task follow 42")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The task's number.") var id: String

        func run() async throws {
            try await runReporting {
                let task = try await TaskCommand.follow(id, client: global.client())
                guard task.status == .succeeded else { throw CLIError(description: "task \(task.id) \(task.status.rawValue)") }
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a running deployment; at its next safe point it rolls back and ends as canceled.", discussion: "Example:\n  asgard task cancel 42")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The task's number.") var id: String

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().post("/task/cancel", fields: ["id": id])
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                Swift.print("Cancel requested for task \(id); it rolls back at its next safe point (see `asgard task follow \(id)`)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List tasks, newest first.",
            discussion: "Example:\n  asgard task list --status failed --limit 20")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only tasks with this status: running, waiting, succeeded, failed, canceled, rolledBack.") var status: String?
        @Option(help: "Only tasks about this object, e.g. an application's name.") var object: String?
        @Option(help: "At most this many (1–1000).") var limit: Int = 50
        @Option(help: "Skip this many of the newest.") var offset: Int = 0

        func run() async throws {
            try await runReporting {
                var query = [("limit", String(limit)), ("offset", String(offset))]
                if let status { query.append(("status", status)) }
                if let object { query.append(("objectId", object)) }
                let reply = try await global.client().get("/task/list.json", query: query)
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let tasks = try APIJSON.decoder().decode([TaskJSON].self, from: reply.body)
                if tasks.isEmpty { return Swift.print("No tasks match.") }
                Swift.print(TableOutput.render(
                    headers: ["ID", "STATUS", "STARTED", "REGION", "USER", "OPERATION"],
                    rows: tasks.map { [$0.id.description, $0.status.rawValue, TableOutput.date($0.startTime), $0.region ?? "-", $0.user, $0.operation] }))
                let total = reply.headers.first(name: "X-Total-Count").flatMap(Int.init) ?? tasks.count
                if total > offset + tasks.count {
                    Swift.print("… \(total - offset - tasks.count) older; add --offset \(offset + tasks.count)")
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a task and its log.", discussion: "Example:\n  asgard task show 42")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The task's number.") var id: String

        func run() async throws {
            try await runReporting {
                let reply = try await global.client().get("/task/show/\(pathSegment(id)).json")
                if global.output == .json { return Swift.print(TableOutput.raw(reply.body)) }
                let task = try APIJSON.decoder().decode(TaskJSON.self, from: reply.body)
                Swift.print(TableOutput.properties([
                    ("Task", task.id.description), ("Status", task.status.rawValue), ("Operation", task.operation),
                    ("Object", "\(task.objectType.rawValue) \(task.objectId)"), ("User", task.user),
                    ("Started", TableOutput.date(task.startTime)), ("Updated", TableOutput.date(task.updateTime)),
                ]))
                Swift.print("")
                for line in task.log ?? [] {
                    Swift.print("\(TableOutput.date(line.time))  \(line.message)")
                }
            }
        }
    }
}
