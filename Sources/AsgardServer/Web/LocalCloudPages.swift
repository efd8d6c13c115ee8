import AsgardAPI
import AsgardCore
import Foundation

/// The pages of clusters, server groups and instances.
enum LocalCloudPages {
    /// A health badge: its word in colour and in text, with the reason after it.
    static func healthBadge(_ summary: HealthSummary, reason: String?, id: String? = nil) -> String {
        let (tone, words): (String, String)
        switch summary {
        case .healthy: (tone, words) = ("ok", "healthy")
        case .starting: (tone, words) = ("warn", "starting")
        case .outOfService: (tone, words) = ("off", "out of service")
        case .unhealthy: (tone, words) = ("bad", "unhealthy")
        }
        return "<span class=\"badge \(tone) health-\(summary.rawValue)\"\(id.map { " id=\"\($0)\"" } ?? "")>\(words)</span>"
            + (reason.map { " <span class=\"hint\">\(HTML.escape($0))</span>" } ?? "")
    }

    /// Each load balancer's view of an instance, in a few words.
    static func balancerHealth(_ view: InstanceHealthView?, region: String) -> String {
        guard let view, !view.loadBalancers.isEmpty else { return "" }
        return view.loadBalancers.map { b in
            "<a href=\"/\(region)/loadBalancer/show/\(HTML.pathSegment(b.loadBalancer))\">\(HTML.escape(b.loadBalancer))</a>: \(b.state?.rawValue ?? "not routed")"
        }.joined(separator: "<br>")
    }

    /// Instances with their health as the cloud and every load balancer see it; `health` by
    /// instance, when known. The group column is left out where one group's page shows them, the
    /// protection column when none is protected.
    static func instancesTable(_ instances: [InstanceRecord], health: [InstanceID: InstanceHealthView] = [:], region: String,
                               showGroup: Bool = true) -> String {
        let showProtection = instances.contains(where: \.isProtected)
        let rows = instances.map { i -> [String] in
            let view = health[i.instanceId]
            var row = ["<a href=\"/\(region)/instance/show/\(i.instanceId)\">\(i.instanceId)</a>"]
            if showGroup {
                row.append("<a href=\"/\(region)/autoScaling/show/\(HTML.pathSegment(i.autoScalingGroupName))\">\(HTML.escape(i.autoScalingGroupName))</a>")
            }
            row += ["<span class=\"state-\(i.lifecycleState.rawValue)\">\(i.lifecycleState.rawValue)</span>",
                    view.map { healthBadge($0.summary, reason: $0.reason) } ?? i.healthStatus.rawValue,
                    balancerHealth(view, region: region),
                    HTML.escape(i.address), i.pid.map(String.init) ?? ""]
            if showProtection { row.append(i.isProtected ? "yes" : "") }
            return row + [HTML.date(i.launchTime), HTML.escape(i.statusReason ?? "")]
        }
        let headers = ["Instance"] + (showGroup ? ["Server group"] : []) + ["State", "Health", "Load balancers", "Address", "Pid"]
            + (showProtection ? ["Protected"] : []) + ["Launched", "Reason"]
        return HTML.table(id: "instances", headers: headers, rows: rows, empty: "No instances.")
    }

    /// The health views of `groups`' instances, by instance.
    static func health(of groups: [ServerGroupJSON]) -> [InstanceID: InstanceHealthView] {
        Dictionary(groups.flatMap { $0.instanceHealth ?? [] }.map { ($0.instanceId, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// A group's share of the requests, in words.
    static func share(_ traffic: TrafficShareView?) -> String {
        guard let traffic else { return "" }
        var parts: [String] = []
        if let weight = traffic.weightPercent { parts.append("weight \(CanaryJudge.format(weight)) %") }
        if let served = traffic.servedPercent {
            parts.append("served \(CanaryJudge.format(served)) % (\(String(format: "%.1f", traffic.requestsPerSecond ?? 0)) req/s, last minute)")
        }
        return parts.joined(separator: "; ")
    }

    static func groupsTable(_ groups: [ServerGroupJSON], region: String) -> String {
        let rows = groups.map { g -> [String] in
            let inService = g.instances.filter { $0.lifecycleState == .inService }.count
            return ["<a href=\"/\(region)/autoScaling/show/\(HTML.pathSegment(g.autoScalingGroupName))\">\(HTML.escape(g.autoScalingGroupName))</a>",
                    "<a href=\"/\(region)/image/show/\(g.imageId)\">\(HTML.escape(g.imageLabel))</a>", "\(g.minSize) / \(g.desiredCapacity) / \(g.maxSize)",
                    "\(inService) of \(g.instances.count)",
                    g.health.map { healthBadge($0.summary, reason: "\($0.healthy) of \($0.desired) healthy") } ?? "",
                    loadBalancerLinks(g.loadBalancerNames, region: region),
                    "<span class=\"traffic-\(g.trafficState)\">\(g.trafficState)</span>", share(g.traffic),
                    HTML.escape(g.suspendedProcesses.map(\.rawValue).joined(separator: ", ")), HTML.date(g.createdTime)]
        }
        return HTML.table(id: "groups", headers: ["Server group", "Image", "Min / desired / max", "In service", "Health", "Load balancers", "Traffic",
                                                  "Share of requests", "Suspended", "Created"],
                          rows: rows, empty: "No server groups.")
    }

    static func loadBalancerLinks(_ names: [String], region: String) -> String {
        names.isEmpty ? "none" : names.map { "<a href=\"/\(region)/loadBalancer/show/\(HTML.pathSegment($0))\">\(HTML.escape($0))</a>" }
            .joined(separator: ", ")
    }

    static func groupList(_ groups: [ServerGroupJSON], region: String) -> String {
        "<h1>Server groups in \(HTML.escape(region))</h1><div class=\"actions\"><a class=\"button\" id=\"create-group\" href=\"/\(region)/autoScaling/create\">Create New Server Group</a></div>"
            + groupsTable(groups, region: region)
    }

    static func clusterList(_ clusters: [ClusterJSON], region: String) -> String {
        let rows = clusters.map { c -> [String] in
            ["<a href=\"/\(region)/cluster/show/\(HTML.pathSegment(c.cluster))\">\(HTML.escape(c.cluster))</a>",
             c.autoScalingGroups.map { HTML.escape($0.autoScalingGroupName) }.joined(separator: ", "),
             String(c.autoScalingGroups.reduce(0) { $0 + $1.instances.count })]
        }
        return "<h1>Clusters in \(HTML.escape(region))</h1><div class=\"actions\"><a class=\"button\" id=\"create-group\" href=\"/\(region)/autoScaling/create\">Create New Server Group</a></div>"
            + HTML.table(id: "clusters", headers: ["Cluster", "Server groups", "Instances"], rows: rows,
                         empty: "No clusters yet. Register an image, then create a server group.")
    }

    /// What a cluster's page shows besides its groups.
    struct ClusterContext: Sendable {
        /// The deployment that holds it now.
        var busy: DeploymentJSON?
        /// The region's images, to name them.
        var images: [ImageID: ImageRecord] = [:]
        /// Images whose last deployment to this cluster failed or was rolled back, with that deployment.
        var failedImages: [ImageID: TaskID] = [:]
        /// The group a rollback takes the traffic off, and the one it gives it back to.
        var rollback: (current: String, previous: String, image: ImageID)?
        /// Groups created by a deployment that failed or was rolled back, with that deployment.
        var failedGroups: [String: DeploymentJSON] = [:]
        /// A deploy form sent back: its values and what was wrong in it.
        var deployForm: (values: FormFields, errors: [FieldError])?
    }

    /// `text` cut at a word to at most about `limit` characters, with an ellipsis when cut.
    static func shortened(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        let cut = text.prefix(limit)
        return String(cut[..<(cut.lastIndex(of: " ") ?? cut.endIndex)]) + " …"
    }

    /// A traffic badge: whether the group's load balancers send it requests.
    static func trafficBadge(_ state: String, id: String? = nil) -> String {
        let tone = ["enabled": "ok", "disabled": "off"][state] ?? "off"
        let words = ["enabled": "traffic enabled", "disabled": "traffic disabled"][state] ?? "no load balancer"
        return "<span class=\"badge \(tone) traffic-\(state)\"\(id.map { " id=\"\($0)\"" } ?? "")>\(words)</span>"
    }

    /// The cluster's groups as cards, newest first: version, traffic, health and share at a
    /// glance, a chip per instance, a tag on the groups a failed deployment left, and their
    /// actions in a compact menu.
    static func groupCards(_ groups: [ServerGroupJSON], context: ClusterContext, region: String, csrf: String) -> String {
        guard !groups.isEmpty else { return "<p class=\"empty\" id=\"groups-empty\">No server groups.</p>" }
        let health = self.health(of: groups)
        let newestFirst = groups.sorted { ($0.createdTime, $0.autoScalingGroupName) > ($1.createdTime, $1.autoScalingGroupName) }
        return "<div class=\"cards\" id=\"groups\">" + newestFirst.map { g in
            let name = HTML.escape(g.autoScalingGroupName)
            let link = "/\(region)/autoScaling/show/\(HTML.pathSegment(g.autoScalingGroupName))"
            var card = "<article class=\"card\" id=\"card-\(name)\" aria-labelledby=\"card-\(name)-title\"><div class=\"card-head\">"
                + "<h2 id=\"card-\(name)-title\"><a href=\"\(link)\">\(name)</a></h2>" + trafficBadge(g.trafficState)
                + (g.health.map { " " + healthBadge($0.summary, reason: nil) } ?? "")
            if let failed = context.failedGroups[g.autoScalingGroupName] {
                card += " <span class=\"badge bad failed-tag\">\(failed.status == .rolledBack ? "rolled back" : "failed")</span>"
            }
            card += "</div><p class=\"card-image\"><a href=\"/\(region)/image/show/\(g.imageId)\">\(HTML.escape(g.imageName == nil ? imageLabel(g.imageId, context.images) : g.imageLabel))</a></p>"
            if let failed = context.failedGroups[g.autoScalingGroupName] {
                card += "<p class=\"failed-note\">Left by <a href=\"/deployment/show/\(failed.id)\">deployment \(failed.id)</a>"
                    + (failed.rollbackReason.map { ": \(HTML.escape(shortened($0, to: 140)))" } ?? "") + "</p>"
            }
            let shareText = share(g.traffic)
            card += "<p>\(g.minSize) / \(g.desiredCapacity) / \(g.maxSize) instances (min / desired / max)"
                + (g.health.map { ", \($0.healthy) of \($0.desired) healthy" } ?? "") + (shareText.isEmpty ? "" : "; \(shareText)") + "</p>"
            if !g.instances.isEmpty {
                card += "<ul class=\"chips\" aria-label=\"Instances of \(name)\">" + g.instances.map { i in
                    let view = health[i.instanceId]
                    let word = view?.summary ?? (i.lifecycleState == .inService ? .healthy : .starting)
                    return "<li>" + "<a href=\"/\(region)/instance/show/\(i.instanceId)\">\(i.instanceId)</a> " + healthBadge(word, reason: nil) + "</li>"
                }.joined() + "</ul>"
            }
            card += "<p class=\"hint\">Created \(HTML.date(g.createdTime))</p>"
            card += "<details class=\"menu\"><summary id=\"menu-\(name)\">Actions</summary><div class=\"menu-items\">"
            card += "<a href=\"\(link)\">Open</a><a href=\"\(link)#resize-form\">Resize…</a>"
            if g.trafficState != "none" {
                let enabled = g.trafficState == "enabled"
                card += "<form class=\"inline\" method=\"post\" action=\"/\(region)/cluster/\(enabled ? "deactivate" : "activate")\">\(csrf)"
                    + "<input type=\"hidden\" name=\"name\" value=\"\(name)\"><button type=\"submit\"\(enabled ? " class=\"danger\"" : "")>"
                    + "\(enabled ? "Disable traffic" : "Enable traffic")</button></form>"
            }
            card += "<a class=\"danger-link\" href=\"\(link)#delete-group-details\">Delete…</a></div></details></article>"
            return card
        }.joined() + "</div>"
    }

    /// An image by its application and version, with its id: "shop 2.1.0 (img-aa34013c)".
    static func imageLabel(_ id: ImageID, _ images: [ImageID: ImageRecord]) -> String {
        guard let image = images[id], !image.name.isEmpty else { return id.rawValue }
        return "\(image.name) \(image.version) (\(id.rawValue))"
    }

    static func clusterShow(_ cluster: ClusterJSON, context: ClusterContext = ClusterContext(), region: String, csrf: String,
                            now: Date = Date()) -> String {
        let name = HTML.escape(cluster.cluster)
        var body = "<h1>Cluster: \(name)</h1>"
        if let busy = context.busy { body += deployingBanner(busy, csrf: csrf, now: now) }
        body += groupCards(cluster.autoScalingGroups, context: context, region: region, csrf: csrf)
        body += clusterActions(cluster, context: context, region: region, csrf: csrf)
        body += "<h2>Instances</h2>" + instancesTable(cluster.autoScalingGroups.flatMap(\.instances), health: health(of: cluster.autoScalingGroups),
                                                      region: region)
        body += groupActions(cluster, region: region, csrf: csrf)
        return body
    }

    /// What a busy cluster's page says first: the deployment that holds it, where it is, and
    /// the answers a person can give it.
    static func deployingBanner(_ d: DeploymentJSON, csrf: String, now: Date) -> String {
        func button(_ action: String, _ id: String, _ label: String, danger: Bool) -> String {
            "<form class=\"inline\" method=\"post\" action=\"\(action)\">\(csrf)<input type=\"hidden\" name=\"id\" value=\"\(d.id)\"><button type=\"submit\" id=\"\(id)\"\(danger ? " class=\"danger\"" : "")>\(label)</button></form>"
        }
        var banner = "<div class=\"flash info\" id=\"deploying-banner\" role=\"status\" aria-live=\"polite\"><b>Deploying:</b> "
            + "<a href=\"/deployment/show/\(d.id)\">deployment \(d.id)</a> (\(d.strategy.rawValue)) of \(HTML.escape(d.imageLabel)), started by \(HTML.escape(d.user)) "
            + "\(DeploymentPages.duration(d, now: now)) ago — \(HTML.escape(DeploymentPages.progress(d)))."
        if let weight = d.canaryWeight { banner += " The canary gets \(weight) % of the requests." }
        banner += "<div class=\"actions\">"
        if d.status == .waiting { banner += button("/deployment/proceed", "banner-proceed", "Proceed", danger: false) }
        banner += button("/deployment/rollback", "banner-rollback", "Roll back", danger: true) + "</div></div>"
        return banner
    }

    /// A server group's page: its state, health and traffic, instances and scaling first
    /// (`scaling`: the overview and the forms of its scaling section), the forms that change it last.
    static func groupShow(_ g: ServerGroupJSON, scaling: (overview: String, forms: String), region: String, csrf: String) -> String {
        let name = HTML.escape(g.autoScalingGroupName)
        var body = "<h1>Server group: <span id=\"group-name\">\(name)</span></h1>"
        body += HTML.properties(id: "group", [
            ("Cluster", "<a href=\"/\(region)/cluster/show/\(HTML.pathSegment(g.cluster))\">\(HTML.escape(g.cluster))</a>"),
            ("Application", "<a href=\"/application/show/\(HTML.pathSegment(g.appName))\">\(HTML.escape(g.appName))</a>"),
            ("Image", "<a href=\"/\(region)/image/show/\(g.imageId)\">\(HTML.escape(g.imageLabel))</a>"),
            ("Min / desired / max", "\(g.minSize) / \(g.desiredCapacity) / \(g.maxSize)"),
            ("Health check", "\(g.healthCheckType.rawValue), grace \(g.healthCheckGracePeriod) s"),
            ("Load balancers", loadBalancerLinks(g.loadBalancerNames, region: region)),
            ("Security groups", g.securityGroups.isEmpty ? "none" : g.securityGroups.map {
                "<a href=\"/\(region)/security/show/\(HTML.pathSegment($0))\">\(HTML.escape($0))</a>"
            }.joined(separator: ", ")),
            ("Health", g.health.map { healthBadge($0.summary, reason: $0.reason ?? "\($0.healthy) of \($0.desired) healthy", id: "group-health") } ?? ""),
            ("Traffic", "<span id=\"traffic-state\" class=\"traffic-\(g.trafficState)\">\(g.trafficState)</span>"
                + (share(g.traffic).isEmpty ? "" : "; <span id=\"traffic-share\">\(share(g.traffic))</span>")),
            ("Termination policies", g.terminationPolicies.map(\.rawValue).joined(separator: ", ")),
            ("Suspended processes", g.suspendedProcesses.isEmpty ? "none" : g.suspendedProcesses.map(\.rawValue).joined(separator: ", ")),
            ("Created", HTML.date(g.createdTime)),
        ])
        body += "<h2>Instances</h2>" + instancesTable(g.instances, health: health(of: [g]), region: region, showGroup: false)
        body += scaling.overview
        if !g.loadBalancerNames.isEmpty {
            let enabled = g.trafficState == "enabled"
            body += """
            <h2>Traffic</h2>
            <form class="edit" method="post" action="/\(region)/cluster/\(enabled ? "deactivate" : "activate")" id="traffic-form">\(csrf)<input type="hidden" name="name" value="\(name)">
            <p>\(enabled ? "Disabling suspends Launch, Terminate and AddToLoadBalancer and drains the group from its load balancers; the last enabled group of a cluster is kept unless forced." : "Enabling resumes Launch, Terminate and AddToLoadBalancer and registers the group with its load balancers.")</p>
            \(enabled ? "<label class=\"check\" for=\"force\"><input type=\"checkbox\" id=\"force\" name=\"force\" value=\"true\"> Even if it is the last enabled group</label>" : "")
            <div class="actions"><button type="submit" id="\(enabled ? "disable" : "enable")-traffic"\(enabled ? " class=\"danger\"" : "")>\(enabled ? "Disable traffic" : "Enable traffic")</button></div></form>
            """
        }
        let suspended = g.suspendedProcesses.map(\.rawValue).joined(separator: ",")
        body += """
        <h2>Resize</h2>
        <form class="edit" method="post" action="/\(region)/autoScaling/update" id="resize-form">\(csrf)<input type="hidden" name="name" value="\(name)">
        <label for="minSize">Min</label><input id="minSize" name="minSize" value="\(g.minSize)">
        <label for="desiredCapacity">Desired</label><input id="desiredCapacity" name="desiredCapacity" value="\(g.desiredCapacity)">
        <label for="maxSize">Max</label><input id="maxSize" name="maxSize" value="\(g.maxSize)">
        <label for="suspendedProcesses">Suspended processes</label><input id="suspendedProcesses" name="suspendedProcesses" value="\(suspended)">
        <span class="hint">Launch, Terminate, HealthCheck, ReplaceUnhealthy, AddToLoadBalancer (comma-separated)</span>
        <div class="actions"><button type="submit" id="resize">Update</button></div></form>
        \(scaling.forms)
        <h2>Delete</h2>
        """
        body += HTML.confirmed(id: "delete-group", summary: "Delete this server group", action: "/\(region)/autoScaling/delete",
                               hidden: [("name", g.autoScalingGroupName)], name: g.autoScalingGroupName, button: "Delete \(g.autoScalingGroupName)",
                               csrf: csrf, note: "Its instances are terminated first.")
        return body
    }

    static func groupForm(region: String, images: [ImageRecord], loadBalancers: [String], securityGroups: [String]? = nil, values: FormFields, errors: [FieldError],
                          csrf: String) -> String {
        func error(_ field: String) -> String { HTML.fieldErrors(errors, for: field) }
        func value(_ field: String, _ fallback: String = "") -> String { HTML.escape(values[field] ?? fallback) }
        let options = images.map { i in
            "<option value=\"\(i.imageId)\"\(values["imageId"] == i.imageId.rawValue ? " selected" : "")>\(i.imageId) — \(HTML.escape(i.name)) \(HTML.escape(i.version))</option>"
        }.joined()
        return """
        <h1>Create server group in \(HTML.escape(region))</h1>
        <form class="edit" method="post" action="/\(region)/autoScaling/save" id="group-form">\(csrf)
        <label for="appName">Application</label><input id="appName" name="appName" value="\(value("appName"))">\(error("appName"))
        <label for="stack">Stack</label><input id="stack" name="stack" value="\(value("stack"))">\(error("stack"))
        <label for="detail">Detail</label><input id="detail" name="detail" value="\(value("detail"))">\(error("detail"))
        <label for="imageId">Image</label><select id="imageId" name="imageId">\(options)</select>\(error("imageId"))
        <label for="minSize">Min</label><input id="minSize" name="minSize" value="\(value("minSize", "1"))">\(error("minSize"))
        <label for="desiredCapacity">Desired</label><input id="desiredCapacity" name="desiredCapacity" value="\(value("desiredCapacity", "1"))">\(error("desiredCapacity"))
        <label for="maxSize">Max</label><input id="maxSize" name="maxSize" value="\(value("maxSize", "1"))">\(error("maxSize"))
        <label for="selectedLoadBalancers">Load balancers</label><input id="selectedLoadBalancers" name="selectedLoadBalancers" value="\(value("selectedLoadBalancers"))">\(error("selectedLoadBalancers"))
        <span class="hint">Names, comma-separated: \(loadBalancers.isEmpty ? "none exist yet" : HTML.escape(loadBalancers.joined(separator: ", ")))</span>
        \(securityGroups.map { names in """
        <label for="selectedSecurityGroups">Security groups</label><input id="selectedSecurityGroups" name="selectedSecurityGroups" value="\(value("selectedSecurityGroups"))">\(error("selectedSecurityGroups"))
        <span class="hint">Names, comma-separated; its instances launch into them: \(names.isEmpty ? "none exist yet" : HTML.escape(names.joined(separator: ", ")))</span>
        """ } ?? "")
        <label for="healthCheckType">Health check type</label><select id="healthCheckType" name="healthCheckType"><option value="EC2">EC2: the process runs</option><option value="ELB"\(values["healthCheckType"] == "ELB" ? " selected" : "")>ELB: the load balancer's check passes</option></select>\(error("healthCheckType"))
        <label for="healthCheckGracePeriod">Grace period (s)</label><input id="healthCheckGracePeriod" name="healthCheckGracePeriod" value="\(value("healthCheckGracePeriod", "0"))">\(error("healthCheckGracePeriod"))
        <span class="hint">The name is the cluster app-stack-detail with the next push version, e.g. shop-prod-v001.</span>
        <div class="actions"><button type="submit" id="submit">Create Server Group</button><a href="/\(region)/cluster/list">Cancel</a></div>
        </form>
        """
    }

    static func instanceList(_ instances: [InstanceRecord], region: String) -> String {
        "<h1>Instances in \(HTML.escape(region))</h1>" + instancesTable(instances, region: region)
    }

    static func instanceShow(_ i: InstanceRecord, health: InstanceHealthView?, console: String, region: String, csrf: String) -> String {
        var body = "<h1>Instance: <span id=\"instance-id\">\(i.instanceId)</span></h1>"
        body += HTML.properties(id: "instance", [
            ("Server group", "<a href=\"/\(region)/autoScaling/show/\(HTML.pathSegment(i.autoScalingGroupName))\">\(HTML.escape(i.autoScalingGroupName))</a>"),
            ("Image", "<a href=\"/\(region)/image/show/\(i.imageId)\">\(i.imageId)</a>"),
            ("State", i.lifecycleState.rawValue),
            ("Health", health.map { healthBadge($0.summary, reason: $0.reason, id: "instance-health") } ?? i.healthStatus.rawValue),
            ("In the cloud", i.healthStatus.rawValue),
            ("Load balancers", health.map { view in view.loadBalancers.isEmpty ? "none" : view.loadBalancers.map { b in
                "<a href=\"/\(region)/loadBalancer/show/\(HTML.pathSegment(b.loadBalancer))\">\(HTML.escape(b.loadBalancer))</a>: \(b.state?.rawValue ?? "not routed")"
                    + (b.reason.map { " — \(HTML.escape($0))" } ?? "")
            }.joined(separator: "<br>") } ?? ""),
            ("Address", HTML.escape(i.address)),
            ("Pid", i.pid.map(String.init) ?? "none"), ("Launched", HTML.date(i.launchTime)), ("Reason", HTML.escape(i.statusReason ?? "")),
        ])
        let id = i.instanceId.rawValue
        body += """
        <div class="actions">
        <form method="post" action="/\(region)/instance/reboot">\(csrf)<input type="hidden" name="instanceId" value="\(i.instanceId)"><button type="submit" id="reboot">Reboot</button></form>
        </div>
        """
        body += HTML.confirmed(id: "terminate", summary: "Terminate this instance", action: "/\(region)/instance/terminate",
                               hidden: [("instanceId", id)], name: id, button: "Terminate \(id)", csrf: csrf,
                               note: "Its group launches a replacement.")
        body += HTML.confirmed(id: "terminate-shrink", summary: "Terminate this instance and shrink its group", action: "/\(region)/instance/terminate",
                               hidden: [("instanceId", id), ("shrink", "true")], name: id, button: "Terminate \(id) and shrink", csrf: csrf,
                               note: "Its group's desired capacity goes down by one.")
        return body + "<h2>Console output</h2><pre class=\"log\" id=\"console-output\">\(HTML.escape(console))</pre>"
    }
}
