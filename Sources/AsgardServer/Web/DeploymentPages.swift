import AsgardAPI
import AsgardCore

/// The pages of deployments.
enum DeploymentPages {
    static func list(_ deployments: [DeploymentJSON]) -> String {
        let rows = deployments.map { d -> [String] in
            ["<a href=\"/deployment/show/\(d.id)\">\(d.id)</a>", HTML.escape(d.cluster), d.strategy.rawValue, "\(d.imageId)",
             HTML.escape(d.newGroup ?? ""), "<span class=\"status-\(d.status.rawValue)\">\(d.status.rawValue)</span>", HTML.escape(d.user),
             HTML.date(d.startTime)]
        }
        return "<h1>Deployments</h1>" + HTML.table(id: "deployments", headers: ["Task", "Cluster", "Strategy", "Image", "New group", "Status", "User", "Started"],
                                                    rows: rows, empty: "No deployments yet. Start one with asgard deploy.")
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
        var body = "<h2>Deployment steps</h2><p><a href=\"/deployment/show/\(d.id)\">Deployment \(d.id)</a> of \(d.imageId) to \(HTML.escape(d.cluster)) (\(d.strategy.rawValue))"
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
            ("Strategy", d.strategy.rawValue), ("Image", "<a href=\"/\(HTML.pathSegment(d.region))/image/show/\(d.imageId)\">\(d.imageId)</a>"),
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
