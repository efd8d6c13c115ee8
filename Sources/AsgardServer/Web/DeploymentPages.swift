import Foundation
import AsgardAPI
import AsgardCore

/// The pages of deployments.
enum DeploymentPages {
    /// What the deployments list can be narrowed to.
    struct Filter: Sendable {
        var application: String?
        var region: String?
        var status: TaskStatus?
        var strategy: DeploymentStrategy?

        func admits(_ d: DeploymentJSON) -> Bool {
            (application.map { Names(parsing: d.cluster)?.app == $0 } ?? true) && (region.map { d.region == $0 } ?? true)
                && (status.map { d.status == $0 } ?? true) && (strategy.map { d.strategy == $0 } ?? true)
        }
    }

    /// A status as a badge: its word in colour and in text.
    static func statusBadge(_ status: TaskStatus, id: String? = nil) -> String {
        let tone: String
        switch status {
        case .succeeded: tone = "ok"
        case .running, .waiting: tone = "warn"
        case .canceled, .rolledBack: tone = "off"
        case .failed: tone = "bad"
        }
        let word = status == .rolledBack ? "rolled back" : status.rawValue
        return "<span class=\"badge \(tone) status-\(status.rawValue)\"\(id.map { " id=\"\($0)\"" } ?? "")>\(word)</span>"
    }

    /// Where a running deployment is: "step 3 of 5: wait for a judgment"; how it ended otherwise.
    static func progress(_ d: DeploymentJSON) -> String {
        if let index = d.steps.firstIndex(where: { $0.state == "running" || $0.state == "waiting" }) {
            return "step \(index + 1) of \(d.steps.count): \(d.steps[index].description)" + (d.steps[index].state == "waiting" ? " (waiting for a judgment)" : "")
        }
        if d.status == .succeeded { return "\(d.newGroup ?? "the new group") serves" }
        return d.rollbackReason.map { "rolled back: \($0)" } ?? d.status.rawValue
    }

    /// How long it ran, or has run so far.
    static func duration(_ d: DeploymentJSON, now: Date) -> String {
        let seconds = max(0, (d.status.isFinished ? d.updateTime : now).timeIntervalSince(d.startTime))
        if seconds < 60 { return "\(Int(seconds)) s" }
        if seconds < 3600 { return "\(Int(seconds) / 60) min \(Int(seconds) % 60) s" }
        return "\(Int(seconds) / 3600) h \(Int(seconds) % 3600 / 60) min"
    }

    /// Deployments as a table, newest first.
    static func table(_ deployments: [DeploymentJSON], id: String = "deployments", now: Date, empty: String) -> String {
        let rows = deployments.map { d -> [String] in
            ["<a href=\"/deployment/show/\(d.id)\">\(d.id)</a>",
             "<a href=\"/\(HTML.pathSegment(d.region))/cluster/show/\(HTML.pathSegment(d.cluster))\">\(HTML.escape(d.cluster))</a>",
             HTML.escape(d.region), d.strategy.rawValue, HTML.escape(d.imageLabel), statusBadge(d.status), HTML.escape(progress(d)),
             duration(d, now: now), HTML.escape(d.user), HTML.date(d.startTime)]
        }
        return HTML.table(id: id, headers: ["Task", "Cluster", "Region", "Strategy", "Image", "Status", "Where", "Duration", "User", "Started"],
                          rows: rows, empty: empty)
    }

    static func list(_ deployments: [DeploymentJSON], filter: Filter, regions: [String], now: Date) -> String {
        func options<T: RawRepresentable>(_ values: [T], _ chosen: T?, _ label: (T) -> String) -> String where T.RawValue == String {
            "<option value=\"\">any</option>" + values.map {
                "<option value=\"\($0.rawValue)\"\($0.rawValue == chosen?.rawValue ? " selected" : "")>\(label($0))</option>"
            }.joined()
        }
        let regionOptions = "<option value=\"\">any</option>" + regions.map { "<option value=\"\(HTML.escape($0))\"\($0 == filter.region ? " selected" : "")>\(HTML.escape($0))</option>" }.joined()
        let form = """
        <form class="filters" method="get" action="/deployment/list" id="deployment-filters">
        <label for="filter-app">Application <input id="filter-app" name="application" value="\(HTML.escape(filter.application ?? ""))"></label>
        <label for="filter-region">Region <select id="filter-region" name="region">\(regionOptions)</select></label>
        <label for="filter-status">Status <select id="filter-status" name="status">\(options(TaskStatus.allCases, filter.status) { $0.rawValue })</select></label>
        <label for="filter-strategy">Strategy <select id="filter-strategy" name="strategy">\(options(DeploymentStrategy.allCases, filter.strategy) { $0.rawValue })</select></label>
        <button type="submit" id="filter-deployments">Filter</button></form>
        """
        return "<h1>Deployments</h1>" + form + table(deployments, now: now, empty: "No deployments match. Start one with asgard deploy or from a cluster's page.")
    }

    /// The step timeline: each step, its state and when it finished.
    static func steps(_ d: DeploymentJSON) -> String {
        HTML.table(id: "deployment-steps", headers: ["#", "Step", "State", "Finished"], rows: d.steps.enumerated().map { index, step in
            ["\(index + 1)", HTML.escape(step.description), "<span id=\"step-state-\(index)\" class=\"status-\(step.state)\">\(step.state)</span>",
             "<span id=\"step-finished-\(index)\">\(step.finishedTime.map(HTML.date) ?? "")</span>"]
        }, empty: "No steps.")
    }

    /// What the task page of a deployment adds: its steps and the buttons that answer a
    /// judgment, roll back or cancel, while it runs.
    static func controls(_ d: DeploymentJSON, csrf: String) -> String {
        var body = "<h2>Deployment steps</h2><p><a href=\"/deployment/show/\(d.id)\">Deployment \(d.id)</a> of \(HTML.escape(d.imageLabel)) to \(HTML.escape(d.cluster)) (\(d.strategy.rawValue))"
            + (d.rollbackReason.map { "; rolled back: \(HTML.escape($0))" } ?? "") + "</p>" + steps(d) + CanaryCharts.section(d)
        guard !d.status.isFinished else { return body }
        func button(_ action: String, _ id: String, _ label: String, danger: Bool) -> String {
            "<form class=\"inline\" method=\"post\" action=\"\(action)\">\(csrf)<input type=\"hidden\" name=\"id\" value=\"\(d.id)\"><button type=\"submit\" id=\"\(id)\"\(danger ? " class=\"danger\"" : "")>\(label)</button></form>"
        }
        body += "<div class=\"actions\" id=\"deployment-controls\">"
        body += "<span id=\"judgment\"\(d.status == .waiting ? "" : " hidden")><b>Waiting for a judgment:</b> "
            + button("/deployment/proceed", "proceed", "Proceed", danger: false) + "</span>"
        body += button("/deployment/rollback", "rollback-deployment", "Roll back", danger: true)
        body += button("/task/cancel", "cancel-deployment", "Cancel", danger: true) + "</div>"
        return body
    }

    static func show(_ d: DeploymentJSON) -> String {
        var body = "<h1>Deployment \(d.id): \(HTML.escape(d.cluster))</h1>"
        body += HTML.properties(id: "deployment", [
            ("Status", "<span id=\"deployment-status\" class=\"status-\(d.status.rawValue)\">\(d.status.rawValue)</span>"),
            ("Strategy", d.strategy.rawValue), ("Image", "<a href=\"/\(HTML.pathSegment(d.region))/image/show/\(d.imageId)\">\(HTML.escape(d.imageLabel))</a>"),
            ("Capacity", "min \(d.capacity.min), desired \(d.capacity.desired), max \(d.capacity.max)"),
            ("New group", d.newGroup.map { "<a href=\"/\(HTML.pathSegment(d.region))/autoScaling/show/\(HTML.pathSegment($0))\">\(HTML.escape($0))</a>" } ?? "not yet named"),
            ("Previous groups", d.previousGroups.isEmpty ? "none" : d.previousGroups.map { HTML.escape($0) }.joined(separator: ", ")),
            ("User", HTML.escape(d.user)), ("Started", HTML.date(d.startTime)), ("Task", "<a href=\"/task/show/\(d.id)\">\(d.id)</a>"),
        ])
        body += "<h2>Steps</h2>" + steps(d) + CanaryCharts.section(d)
        let lines = (d.log ?? []).map { "\(HTML.date($0.time))  \(HTML.escape($0.message))" }.joined(separator: "\n")
        return body + "<h2>Log</h2><pre class=\"log\" id=\"deployment-log\">\(lines)</pre>"
    }
}
