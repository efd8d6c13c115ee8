import Foundation
import AsgardAPI
import AsgardCore
import AsgardStore
import HTTPTypes
import Hummingbird
import ServiceLifecycle

extension Console {
    /// The largest page of tasks a list answers.
    static let maxTaskPage = 1000

    /// `/task/list` and `/task/show/{id}`.
    func addTaskRoutes(to table: RouteTable) {
        table.page("/task/list", doc: EndpointDoc(
            summary: "List tasks, newest first; X-Total-Count gives how many match", tag: "Task",
            parameters: [
                .query("status", "Only tasks with this status: running, waiting, succeeded, failed or canceled"),
                .query("objectType", "Only tasks about this kind of object, e.g. application"),
                .query("objectId", "Only tasks about this object"),
                .query("user", "Only tasks of this user"),
                .query("topLevel", "true: only the tasks people started, each with its inner tasks' count on the page; false: every task (the default in JSON, "
                       + "true on the page)", type: "boolean"),
                .query("parent", "Only the inner tasks of this task (a deployment's group changes)", type: "integer"),
                .query("limit", "At most this many (default 100, at most 1000)", type: "integer"),
                .query("offset", "Skip this many of the newest (default 0)", type: "integer"),
            ],
            answers: [.ok("[TaskSummary]"), .badRequest]
        )) { input in
            let query = try taskQuery(input.fields, topLevelByDefault: !input.wantsJSON)
            let result = try await tasks.tasks(query)
            if input.wantsJSON {
                var headers = HTTPFields()
                headers[HTTPField.Name("X-Total-Count")!] = String(result.total)
                return try Responses.json(result.tasks.map { TaskJSON($0, includeLog: false) }, headers: headers)
            }
            let inner = query.topLevelOnly ? try await tasks.innerTaskCounts(of: result.tasks.map(\.id)) : [:]
            return page(input, title: "Tasks", section: .task, body: TaskPages.list(result, query: query, inner: inner))
        }

        table.page("/task/show/{id}", doc: EndpointDoc(
            summary: "Show a task with its whole log", tag: "Task",
            parameters: [.path("id", "The task's number")],
            answers: [.ok("Task"), .notFound]
        )) { input in
            let text = input.path("id")
            guard let id = TaskID(text), let task = try await tasks.task(id) else {
                throw ConsoleError.notFound("Task '\(text)' not found; see /task/list")
            }
            if input.wantsJSON { return try Responses.json(TaskJSON(task, includeLog: true)) }
            let deployment = DeploymentJSON(task, includeLog: false).map { DeploymentPages.controls($0, csrf: Console.csrfField(input)) } ?? ""
            let inner = try await tasks.tasks(TaskQuery(limit: Console.maxTaskPage, parent: task.id)).tasks
            return page(input, title: "Task \(task.id)", section: .task, body: TaskPages.show(task, deployment: deployment, inner: inner))
        }
    }

    /// `GET /task/follow/{id}`: the task's log as Server-Sent Events, the lines so far and then each
    /// new one as it is written, ending with an `end` event when the task ends; and the small
    /// script (same origin, no library) that shows them live on the task page.
    func addTaskFollowRoutes(to table: RouteTable) {
        table.get("/task/follow/{id}", doc: EndpointDoc(
            summary: "Follow a task's log live: text/event-stream with a `log` event per line ({time, message}) and an `end` event ({status}) when it ends",
            tag: "Task", parameters: [.path("id", "The task's number")], answers: [.ok("Object"), .unauthorized, .notFound]
        )) { input in
            let text = input.path("id")
            guard let id = TaskID(text), try await tasks.task(id) != nil else {
                throw ConsoleError.notFound("Task '\(text)' not found; see /task/list")
            }
            let store = tasks
            let body = ResponseBody { writer in
                // One line per event: SSE data may not span lines.
                let encoder = JSONEncoder()
                encoder.dateEncodingStrategy = .iso8601
                var sent = 0
                var lastWrite = ContinuousClock.now
                // A stream ends with its task, or when the server stops: a waiting task must not
                // hold up a shutdown.
                while !Task.isShuttingDownGracefully, let task = try await store.task(id) {
                    for line in task.log.dropFirst(sent) {
                        let data = String(decoding: try encoder.encode(line), as: UTF8.self)
                        try await writer.write(ByteBuffer(string: "event: log\ndata: \(data)\n\n"))
                        lastWrite = .now
                    }
                    sent = task.log.count
                    // A comment now and then finds out that a reader left while nothing happened.
                    if ContinuousClock.now - lastWrite > .seconds(10) {
                        try await writer.write(ByteBuffer(string: ": waiting\n\n"))
                        lastWrite = .now
                    }
                    if task.status.isFinished {
                        try await writer.write(ByteBuffer(string: "event: end\ndata: {\"status\":\"\(task.status.rawValue)\"}\n\n"))
                        break
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
        }

        table.htmlOnly("/static/task-live.js", access: .open) { _ in
            Responses.text(TaskPages.liveScript, contentType: "text/javascript; charset=utf-8")
        }
    }

    private func taskQuery(_ fields: FormFields, topLevelByDefault: Bool) throws -> TaskQuery {
        var query = TaskQuery()
        switch fields["topLevel"] ?? "" {
        case "": query.topLevelOnly = topLevelByDefault
        case "true": query.topLevelOnly = true
        case "false": query.topLevelOnly = false
        case let text: throw ConsoleError.invalid("topLevel", "'\(text)' must be true or false")
        }
        if let text = fields["parent"], !text.isEmpty {
            guard let id = TaskID(text), id.rawValue > 0 else { throw ConsoleError.invalid("parent", "'\(text)' is not a task number; see /task/list") }
            query.parent = id
            query.topLevelOnly = false
        }
        if let text = fields["user"], !text.isEmpty { query.user = text }
        if let text = fields["status"], !text.isEmpty {
            guard let status = TaskStatus(rawValue: text) else {
                throw ConsoleError.invalid("status", "'\(text)' is not one of \(TaskStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.status = status
        }
        if let text = fields["objectType"], !text.isEmpty {
            guard let type = TaskObjectType(rawValue: text) else {
                throw ConsoleError.invalid("objectType", "'\(text)' is not one of \(TaskObjectType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.objectType = type
        }
        if let text = fields["objectId"], !text.isEmpty { query.objectId = text }
        let page = try fields.page(maxLimit: Console.maxTaskPage)
        query.limit = page.limit ?? query.limit
        query.offset = page.offset ?? query.offset
        return query
    }
}
