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

    static func show(_ d: DeploymentJSON) -> String {
        var body = "<h1>Deployment \(d.id): \(HTML.escape(d.cluster))</h1>"
        body += HTML.properties(id: "deployment", [
            ("Status", "<span id=\"deployment-status\" class=\"status-\(d.status.rawValue)\">\(d.status.rawValue)</span>"),
            ("Strategy", d.strategy.rawValue), ("Image", "<a href=\"/local/image/show/\(d.imageId)\">\(d.imageId)</a>"),
            ("Capacity", "min \(d.capacity.min), desired \(d.capacity.desired), max \(d.capacity.max)"),
            ("New group", d.newGroup.map { "<a href=\"/local/autoScaling/show/\(HTML.pathSegment($0))\">\(HTML.escape($0))</a>" } ?? "not yet named"),
            ("Previous groups", d.previousGroups.isEmpty ? "none" : d.previousGroups.map { HTML.escape($0) }.joined(separator: ", ")),
            ("User", HTML.escape(d.user)), ("Started", HTML.date(d.startTime)), ("Task", "<a href=\"/task/show/\(d.id)\">\(d.id)</a>"),
        ])
        body += "<h2>Steps</h2>" + HTML.table(id: "deployment-steps", headers: ["Step", "State", "Finished"], rows: d.steps.map {
            [$0.name.rawValue, "<span class=\"status-\($0.state)\">\($0.state)</span>", $0.finishedTime.map(HTML.date) ?? ""]
        }, empty: "No steps.")
        let lines = (d.log ?? []).map { "\(HTML.date($0.time))  \(HTML.escape($0.message))" }.joined(separator: "\n")
        return body + "<h2>Log</h2><pre class=\"log\" id=\"deployment-log\">\(lines)</pre>"
    }
}
