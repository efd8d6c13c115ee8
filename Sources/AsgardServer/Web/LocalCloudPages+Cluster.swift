import AsgardAPI
import AsgardCore

extension LocalCloudPages {
    /// A custom deployment's steps as the deploy form suggests them: a canary of one instance, a
    /// judgment, then the whole capacity and the previous group disabled.
    static let exampleSteps = """
    [{"type": "createGroup"}, {"type": "resize", "capacity": 1}, {"type": "judgment", "minutes": 30},
     {"type": "resize", "percent": 100}, {"type": "disableGroup", "target": "previous"}]
    """

    /// The cluster page's deploy and roll back forms.
    /// While a deployment holds the cluster, the deploy form is disabled. The deploy form offers
    /// the application's images, newest first, marking those that failed; the rollback says
    /// what it does.
    static func clusterActions(_ cluster: ClusterJSON, context: ClusterContext, region: String, csrf: String) -> String {
        let name = HTML.escape(cluster.cluster)
        let busy = context.busy != nil
        let newest = cluster.autoScalingGroups.last
        let app = cluster.autoScalingGroups.first?.appName ?? cluster.cluster
        let offered = context.images.values.filter { $0.name == app }.sorted { ($0.createTime, $0.imageId) > ($1.createTime, $1.imageId) }
        // The newest image that did not fail is the suggestion; one that failed is marked, never preselected.
        let suggested = offered.first { context.failedImages[$0.imageId] == nil }?.imageId ?? newest?.imageId
        // A form sent back keeps what was chosen and says what was wrong next to each field.
        let sent = context.deployForm?.values
        let errors = context.deployForm?.errors ?? []
        let fields = ["imageId", "strategy", "desired", "canaryWeights", "analysisSeconds", "judge", "minimumSeconds", "prometheusMetric", "watchSeconds", "steps"]
        func value(_ key: String, _ fallback: String) -> String { HTML.escape(sent?[key] ?? fallback) }
        func error(_ key: String) -> String { HTML.fieldErrors(errors, for: key) }
        func invalid(_ key: String) -> String {
            errors.contains { $0.field == key } ? " class=\"invalid\" aria-invalid=\"true\" aria-describedby=\"\(key)-error\"" : ""
        }
        let general = errors.filter { !fields.contains($0.field) }
        let chosenImage = sent?["imageId"].flatMap { $0.isEmpty ? nil : ImageID(rawValue: $0) } ?? suggested
        let imageField: String
        if offered.isEmpty {
            imageField = "<input id=\"deploy-image\" name=\"imageId\"\(invalid("imageId")) value=\"\(value("imageId", newest?.imageId.rawValue ?? ""))\">"
        } else {
            imageField = "<select id=\"deploy-image\" name=\"imageId\"\(invalid("imageId"))>" + offered.map { image in
                let failed = context.failedImages[image.imageId].map { " — failed or rolled back in deployment \($0)" } ?? ""
                return "<option value=\"\(image.imageId)\"\(image.imageId == chosenImage ? " selected" : "")>\(HTML.escape(image.version)) (\(image.imageId))\(failed)</option>"
            }.joined() + "</select>"
        }
        let strategies = [("redBlack", "red/black: keep the previous group disabled"), ("highlander", "highlander: delete the previous groups"),
                          ("rolling", "rolling push: replace the instances in place"), ("custom", "custom: the steps below, with judgments"),
                          ("canary", "canary: the weights below, each judged against the current version")]
        let strategyOptions = strategies.map { "<option value=\"\($0.0)\"\(sent?["strategy"] == $0.0 ? " selected" : "")>\($0.1)</option>" }.joined()
        let judges = [("fixed", "fixed: the window judged every 10 s (Kayenta's way)"), ("sequential", "sequential: anytime-valid tests every second, early promotion")]
        let judgeOptions = judges.map { "<option value=\"\($0.0)\"\(sent?["judge"] == $0.0 ? " selected" : "")>\($0.1)</option>" }.joined()
        let rollback: String
        if let target = context.rollback {
            rollback = "<p id=\"rollback-target\">Enables \(HTML.escape(target.previous)) (\(HTML.escape(imageLabel(target.image, context.images)))), waits until it is healthy, then disables \(HTML.escape(target.current)).</p>"
                + "<div class=\"actions\"><button class=\"danger\" type=\"submit\" id=\"rollback\">Roll back to \(HTML.escape(target.previous)) — \(HTML.escape(imageLabel(target.image, context.images)))</button></div>"
        } else {
            rollback = "<p id=\"rollback-target\">Nothing to roll back to: no disabled group older than the one that serves.</p>"
                + "<div class=\"actions\"><button class=\"danger\" type=\"submit\" id=\"rollback\" disabled>Roll back</button></div>"
        }
        return """
        <h2>Deploy</h2>
        <form class="edit" method="post" action="/\(region)/deployment/start" id="deploy-form">\(csrf)<input type="hidden" name="cluster" value="\(name)">
        \(general.isEmpty ? "" : "<div class=\"flash error\" id=\"deploy-error\" role=\"alert\">" + general.map { HTML.escape($0.message) }.joined(separator: "<br>") + "</div>")
        \(busy ? "<p class=\"hint\" id=\"deploy-busy\">A deployment runs on this cluster: deploy again once it ends.</p><fieldset disabled>" : "<fieldset>")
        <label for="deploy-image">Image</label>\(imageField)\(error("imageId"))
        <label for="deploy-strategy">Strategy</label><select id="deploy-strategy" name="strategy"\(invalid("strategy"))>\(strategyOptions)</select>\(error("strategy"))
        <label for="deploy-desired">Instances</label><input id="deploy-desired" name="desired"\(invalid("desired")) value="\(value("desired", String(newest?.desiredCapacity ?? 1)))">\(error("desired"))
        <div class="only-canary"><label for="deploy-canary-weights">Canary weights</label><input id="deploy-canary-weights" name="canaryWeights"\(invalid("canaryWeights")) value="\(value("canaryWeights", "10,50,100"))">\(error("canaryWeights"))
        <label for="deploy-analysis">Seconds of analysis per weight</label><input id="deploy-analysis" name="analysisSeconds"\(invalid("analysisSeconds")) value="\(value("analysisSeconds", "60"))">\(error("analysisSeconds"))
        <label for="deploy-judge">Judge</label><select id="deploy-judge" name="judge"\(invalid("judge"))>\(judgeOptions)</select>\(error("judge"))
        <label for="deploy-minimum">Sequential judge: seconds before a weight may pass early</label><input id="deploy-minimum" name="minimumSeconds"\(invalid("minimumSeconds")) value="\(value("minimumSeconds", "30"))">\(error("minimumSeconds"))
        <label for="deploy-promql">Or judge on PromQL (fixed judge): name=query with {{serverGroup}}</label><input id="deploy-promql" name="prometheusMetric"\(invalid("prometheusMetric")) value="\(value("prometheusMetric", ""))" placeholder="errorRatio=sum(rate(http_requests_total{server_group=&quot;{{serverGroup}}&quot;,code=~&quot;5..&quot;}[1m])) / sum(rate(http_requests_total{server_group=&quot;{{serverGroup}}&quot;}[1m]))">\(error("prometheusMetric"))</div>
        <div class="only-rolling"><label for="deploy-watch">Seconds the judge watches each batch (0: not watched)</label><input id="deploy-watch" name="watchSeconds"\(invalid("watchSeconds")) value="\(value("watchSeconds", "0"))">\(error("watchSeconds"))</div>
        <div class="only-custom"><label for="deploy-steps">Steps</label><textarea id="deploy-steps" name="steps" rows="3"\(invalid("steps"))>\(value("steps", exampleSteps))</textarea>\(error("steps"))</div>
        <span class="hint">The new group comes up behind the newest group's load balancers and takes the traffic once healthy; a failure rolls back. The steps are used only by a custom deployment.</span>
        <div class="actions"><button type="submit" id="deploy">Deploy</button></div></fieldset></form>
        <h2>Roll back</h2>
        <form class="edit" method="post" action="/\(region)/cluster/rollback" id="rollback-form">\(csrf)<input type="hidden" name="name" value="\(name)">
        \(rollback)</form>
        """
    }

    /// The cluster's primitives on a group chosen by name: create the next, enable or disable,
    /// resize, delete.
    static func groupActions(_ cluster: ClusterJSON, region: String, csrf: String) -> String {
        let name = HTML.escape(cluster.cluster)
        let newest = cluster.autoScalingGroups.last
        let options = cluster.autoScalingGroups.reversed().map {
            "<option value=\"\(HTML.escape($0.autoScalingGroupName))\">\(HTML.escape($0.autoScalingGroupName)) (\($0.trafficState), \($0.desiredCapacity) instance\($0.desiredCapacity == 1 ? "" : "s"))</option>"
        }.joined()
        func groupSelect(_ id: String, preselect: Bool = true) -> String {
            // A destructive action names its target itself: nothing is chosen for it.
            let none = preselect ? "" : "<option value=\"\" selected disabled>choose a server group</option>"
            return "<label for=\"\(id)\">Server group</label><select id=\"\(id)\" name=\"name\">\(none)\(options)</select>"
        }
        return """
        <h2>Server group actions</h2>
        <details id="create-next-details"><summary>Create the next group…</summary>
        <form class="edit" method="post" action="/\(region)/cluster/createNextGroup" id="create-next-form">\(csrf)<input type="hidden" name="name" value="\(name)">
        <label for="next-image">Image</label><input id="next-image" name="imageId" value="\(newest.map { HTML.escape($0.imageId.rawValue) } ?? "")">
        <label for="next-desired">Instances</label><input id="next-desired" name="desiredCapacity" value="\(newest?.desiredCapacity ?? 1)">
        <label for="next-traffic">Traffic</label><select id="next-traffic" name="trafficAllowed"><option value="true">enabled: takes traffic once healthy</option><option value="false">disabled: enable it later</option></select>
        <span class="hint">Inherits the newest group's load balancers and health check.</span>
        <div class="actions"><button type="submit" id="create-next">Create next group</button></div></form></details>
        <details id="traffic-details"><summary>Enable or disable a group…</summary>
        <form class="edit" method="post" action="/\(region)/cluster/activate" id="enable-form">\(csrf)\(groupSelect("enable-group"))
        <div class="actions"><button type="submit" id="enable-group-button">Enable traffic</button></div></form>
        <form class="edit" method="post" action="/\(region)/cluster/deactivate" id="disable-form">\(csrf)\(groupSelect("disable-group", preselect: false))
        <label class="check" for="disable-force"><input type="checkbox" id="disable-force" name="force" value="true"> Even if it is the last enabled group</label>
        <div class="actions"><button class="danger" type="submit" id="disable-group-button">Disable traffic</button></div></form></details>
        <details id="resize-details"><summary>Resize a group…</summary>
        <form class="edit" method="post" action="/\(region)/cluster/resize" id="cluster-resize-form">\(csrf)\(groupSelect("resize-group"))
        <label for="resize-desired">Instances</label><input id="resize-desired" name="desiredCapacity" value="\(newest?.desiredCapacity ?? 1)">
        <label for="resize-batch">Batch size</label><input id="resize-batch" name="batchSize" value="">
        <span class="hint">Grows in batches, each waited for until healthy in the load balancers; empty: all at once.</span>
        <div class="actions"><button type="submit" id="cluster-resize">Resize</button></div></form></details>
        <details id="delete-details"><summary>Delete a group…</summary>
        <form class="edit" method="post" action="/\(region)/cluster/delete" id="cluster-delete-form">\(csrf)\(groupSelect("delete-group", preselect: false))
        <p>Its instances leave their load balancers, finish their requests and end first.</p>
        <label for="delete-group-confirm">Type the group's name to confirm</label><input id="delete-group-confirm" name="confirm" autocomplete="off">
        <div class="actions"><button class="danger" type="submit" id="cluster-delete">Delete group</button></div></form></details>
        """
    }
}
