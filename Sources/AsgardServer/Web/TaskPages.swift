import AsgardCore
import AsgardStore
import Foundation

/// The task pages' content.
enum TaskPages {
    /// Tasks as rows; `inner` counts the inner tasks of those that have some.
    static func table(_ tasks: [TaskRecord], empty: String, inner: [TaskID: Int] = [:], id: String = "tasks") -> String {
        let rows = tasks.map { t -> [String] in
            let steps = inner[t.id].map { "<br><a class=\"inner-count\" href=\"/task/show/\(t.id)#inner-tasks\">\($0) inner task\($0 == 1 ? "" : "s")</a>" } ?? ""
            return ["<a href=\"/task/show/\(t.id)\">\(t.id)</a>",
                    "<span class=\"status-\(t.status.rawValue)\">\(t.status.rawValue)</span>",
                    HTML.escape(t.operation) + steps, HTML.escape(t.objectType.rawValue), objectLink(t),
                    HTML.escape(t.user), HTML.date(t.startTime), HTML.date(t.updateTime)]
        }
        return HTML.table(id: id, headers: ["Id", "Status", "Operation", "Type", "Object", "User", "Started", "Updated"],
                          rows: rows, empty: empty)
    }

    /// The task list: filters, one row per action a person started (its inner tasks counted),
    /// and pages of `query.limit`.
    static func list(_ page: TaskPage, query: TaskQuery, inner: [TaskID: Int] = [:]) -> String {
        var base: [String] = []
        if let s = query.status { base.append("status=\(s.rawValue)") }
        if let t = query.objectType { base.append("objectType=\(t.rawValue)") }
        if let o = query.objectId { base.append("objectId=\(HTML.escape(HTML.pathSegment(o)))") }
        if let u = query.user { base.append("user=\(HTML.escape(HTML.pathSegment(u)))") }
        if let p = query.parent { base.append("parent=\(p)") }
        if !query.topLevelOnly, query.parent == nil { base.append("topLevel=false") }
        base.append("limit=\(query.limit)")
        func option(_ value: String, _ chosen: String?) -> String {
            "<option value=\"\(value)\"\(value == (chosen ?? "") ? " selected" : "")>\(value.isEmpty ? "any" : value)</option>"
        }
        var body = "<h1>Tasks</h1>"
        body += """
        <form class="filters" method="get" action="/task/list" id="task-filters">
        <div><label for="filter-status">Status</label><br><select id="filter-status" name="status">\(([""] + TaskStatus.allCases.map(\.rawValue)).map { option($0, query.status?.rawValue) }.joined())</select></div>
        <div><label for="filter-type">Object type</label><br><select id="filter-type" name="objectType">\(([""] + TaskObjectType.allCases.map(\.rawValue)).map { option($0, query.objectType?.rawValue) }.joined())</select></div>
        <div><label for="filter-object">Object</label><br><input id="filter-object" name="objectId" value="\(HTML.escape(query.objectId ?? ""))" placeholder="e.g. shop-prod"></div>
        <div><label for="filter-user">User</label><br><input id="filter-user" name="user" value="\(HTML.escape(query.user ?? ""))"></div>
        <div><label class="check" for="filter-inner"><input type="checkbox" id="filter-inner" name="topLevel" value="false"\(query.topLevelOnly ? "" : " checked")> Inner tasks too</label></div>
        <div><button type="submit" id="filter-tasks">Filter</button> <a href="/task/list">Clear</a></div></form>
        """
        body += "<div class=\"actions\"><span id=\"task-count\">\(page.total) task\(page.total == 1 ? "" : "s")"
            + (query.topLevelOnly ? " started by people or schedules" : "")
        if page.total > 0 {
            body += ", showing \(query.offset + 1)–\(query.offset + page.tasks.count)"
        }
        body += "</span>"
        if query.offset > 0 {
            let previous = max(0, query.offset - query.limit)
            body += "<a id=\"newer\" href=\"/task/list?\((base + ["offset=\(previous)"]).joined(separator: "&amp;"))\">Newer</a>"
        }
        if query.offset + page.tasks.count < page.total {
            body += "<a id=\"older\" href=\"/task/list?\((base + ["offset=\(query.offset + query.limit)"]).joined(separator: "&amp;"))\">Older</a>"
        }
        body += "</div>"
        return body + table(page.tasks, empty: "No tasks match. Every change made through the console leaves one here.", inner: inner)
    }

    /// A task's page; `deployment` is the steps and buttons of a deployment task, shown above its log.
    static func show(_ task: TaskRecord, deployment: String = "", inner: [TaskRecord] = []) -> String {
        let duration = Int(task.updateTime.timeIntervalSince(task.startTime).rounded())
        var body = "<h1>Task \(task.id): \(HTML.escape(task.operation))</h1>"
        body += HTML.properties(id: "task", [
            ("Status", "<span id=\"task-status\" class=\"status-\(task.status.rawValue)\">\(task.status.rawValue)</span>"),
            ("Operation", HTML.escape(task.operation)),
            ("Object", "\(HTML.escape(task.objectType.rawValue)) \(objectLink(task))"),
            ("User", HTML.escape(task.user)), ("Region", HTML.escape(task.region ?? "global")),
            ("Started", HTML.date(task.startTime)), ("Updated", HTML.date(task.updateTime)),
            ("Duration", "\(duration) s"),
        ] + (task.parentId.map { [("Part of", "<a id=\"parent-task\" href=\"/task/show/\($0)\">task \($0)</a>")] } ?? []))
        let log = task.log.map { "\(HTML.date($0.time)) \(HTML.escape($0.message))" }.joined(separator: "\n")
        let live = task.status.isFinished ? ""
            : "<p class=\"hint\" id=\"task-live\">New lines appear as they happen.</p><script src=\"/static/task-live.js\" data-task=\"\(task.id)\" data-lines=\"\(task.log.count)\"></script>"
        let steps = inner.isEmpty ? "" : "<h2>Inner tasks</h2>" + table(inner, empty: "", id: "inner-tasks")
        return body + deployment + "<h2>Log</h2><pre class=\"log\" id=\"task-log\">\(log)</pre>" + live + steps
    }

    /// Follows `/task/follow/{id}` with EventSource and appends the lines the page does not show
    /// yet; no library, served from the console itself (the CSP allows only same-origin scripts).
    static let liveScript = """
    (function () {
      var tag = document.currentScript, id = tag.getAttribute("data-task"), shown = parseInt(tag.getAttribute("data-lines"), 10), seen = 0;
      var log = document.getElementById("task-log"), status = document.getElementById("task-status");
      var source = new EventSource("/task/follow/" + id);
      var steps = document.getElementById("deployment-steps"), pending = false;
      // A deployment's steps and buttons follow its JSON, fetched again after each new log line.
      function refreshSteps() {
        if (!steps || pending) { return; }
        pending = true;
        fetch("/deployment/show/" + id + ".json", {headers: {"Accept": "application/json"}, credentials: "same-origin"})
          .then(function (reply) { return reply.json(); })
          .then(function (d) {
            pending = false;
            d.steps.forEach(function (step, index) {
              var cell = document.getElementById("step-state-" + index);
              if (cell) { cell.textContent = step.state; cell.className = "status-" + step.state; }
              var done = document.getElementById("step-finished-" + index);
              if (done && step.finishedTime) { done.textContent = step.finishedTime.replace("T", " ").replace("Z", " UTC"); }
            });
            var ended = d.status === "succeeded" || d.status === "failed" || d.status === "canceled" || d.status === "rolledBack";
            // The end is shown by the stream's end event, after the last log line.
            if (!ended) { status.textContent = d.status; status.className = "status-" + d.status; }
            var judgment = document.getElementById("judgment");
            if (judgment) { judgment.hidden = d.status !== "waiting"; }
            var controls = document.getElementById("deployment-controls");
            if (controls && ended) { controls.hidden = true; }
          })
          .catch(function () { pending = false; });
      }
      var analysis = document.getElementById("canary-analysis"), fetching = false;
      // A canary's charts and verdicts are drawn by the server; the page fetches them again.
      function refreshAnalysis() {
        if (!analysis || fetching) { return; }
        fetching = true;
        fetch("/deployment/analysis/" + id, {credentials: "same-origin"})
          .then(function (reply) { return reply.ok ? reply.text() : null; })
          .then(function (html) {
            fetching = false;
            if (html === null) { return; }
            var holder = document.createElement("div");
            holder.innerHTML = html;
            var fresh = holder.firstElementChild;
            if (fresh) { analysis.replaceWith(fresh); analysis = fresh; }
          })
          .catch(function () { fetching = false; });
      }
      source.addEventListener("log", function (event) {
        seen += 1;
        refreshAnalysis();
        if (seen <= shown) { return; }
        var line = JSON.parse(event.data);
        log.textContent += (log.textContent ? "\\n" : "") + line.time.replace("T", " ").replace("Z", " UTC") + " " + line.message;
        refreshSteps();
      });
      source.addEventListener("end", function (event) {
        var end = JSON.parse(event.data);
        status.textContent = end.status;
        status.className = "status-" + end.status;
        source.close();
        refreshSteps();
      });
    })();
    """

    private static func objectLink(_ task: TaskRecord) -> String {
        let id = HTML.escape(task.objectId)
        switch task.objectType {
        case .application: return "<a href=\"/application/show/\(HTML.pathSegment(task.objectId))\">\(id)</a>"
        default: return id
        }
    }
}
