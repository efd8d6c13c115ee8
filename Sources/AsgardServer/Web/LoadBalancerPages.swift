import AsgardAPI
import AsgardCore

/// The pages of load balancers: local proxies, AWS classic and application load balancers.
enum LoadBalancerPages {
    static func list(_ balancers: [LoadBalancerJSON], region: String) -> String {
        let rows = balancers.map { b -> [String] in
            let instances = b.traffic?.groups.flatMap(\.instances) ?? []
            let healthy = instances.filter { $0.health == .healthy }.count
            return ["<a href=\"/\(region)/loadBalancer/show/\(HTML.pathSegment(b.loadBalancerName))\">\(HTML.escape(b.loadBalancerName))</a>",
                    "<a href=\"\(b.url)\">\(HTML.escape(b.url))</a>", HTML.escape(b.status),
                    b.serverGroups.map { HTML.escape($0) }.joined(separator: ", "), "\(healthy) of \(instances.count)",
                    String(b.traffic.map { $0.groups.reduce(0) { $0 + $1.requests.total } + $0.unrouted.total } ?? 0)]
        }
        return "<h1>Load balancers in \(HTML.escape(region))</h1><div class=\"actions\"><a class=\"button\" id=\"create-load-balancer\" href=\"/\(region)/loadBalancer/create\">Create New Load Balancer</a></div>"
            + HTML.table(id: "load-balancers", headers: ["Name", "Listener", "Status", "Server groups", "Healthy instances", "Requests"],
                         rows: rows, empty: "No load balancers yet.")
    }

    static func show(_ b: LoadBalancerJSON, region: String, csrf: String) -> String {
        let name = HTML.escape(b.loadBalancerName)
        let c = b.healthCheck
        var body = "<h1>Load balancer: <span id=\"load-balancer-name\">\(name)</span></h1>"
        body += HTML.properties(id: "load-balancer", [
            ("Type", "<span id=\"load-balancer-type\">\(b.type.rawValue)</span>"),
            ("Listener", "<a href=\"\(b.url)\">\(HTML.escape(b.url))</a>"),
            ("Status", "<span id=\"load-balancer-status\">\(HTML.escape(b.status))</span>"),
            ("Health check", "GET \(HTML.escape(c.target)) every \(c.interval) s, timeout \(c.timeout) s, healthy after \(c.healthyThreshold), unhealthy after \(c.unhealthyThreshold)"),
            ("Algorithm", b.type == .proxy ? b.algorithm.rawValue : "AWS's"), ("Draining timeout", "\(b.drainingTimeout) s"),
            ("Idle timeout", b.type == .proxy ? "\(b.idleTimeoutSeconds) s for an instance's answer (then 504); \(LoadBalancerRecord.headTimeoutSeconds) s for a client's request head" : "AWS's"),
            ("Traffic weights", !b.type.weighsTraffic ? "none: a classic load balancer sends every instance an equal share"
                : b.trafficWeights.isEmpty ? (b.type == .proxy ? "none (every healthy instance alike)" : "none (every enabled server group alike)")
                : HTML.escape(b.trafficWeights.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))),
            ("Server groups", b.serverGroups.isEmpty ? "none" : b.serverGroups.map {
                "<a href=\"/\(region)/autoScaling/show/\(HTML.pathSegment($0))\">\(HTML.escape($0))</a>"
            }.joined(separator: ", ")),
            ("Created", HTML.date(b.createdTime)),
        ])
        let groups = b.traffic?.groups ?? []
        let groupRows = groups.map { g -> [String] in
            ["<a href=\"/\(region)/autoScaling/show/\(HTML.pathSegment(g.name))\">\(HTML.escape(g.name))</a>", g.weight.map(String.init) ?? "",
             String(g.requests.total), String(g.requests.status2xx), String(g.requests.status4xx), String(g.requests.status5xx),
             ms(g.latency.p50), ms(g.latency.p99)]
        }
        body += "<h2>Traffic by server group</h2>" + HTML.table(
            id: "traffic-groups", headers: ["Server group", "Weight", "Requests", "2xx", "4xx", "5xx", "p50", "p99"], rows: groupRows,
            empty: "No server group takes traffic from this load balancer yet.")
        let instances = groups.flatMap { g in g.instances.map { (g.name, $0) } } + (b.traffic?.draining ?? []).map { ("", $0) }
        let instanceRows = instances.map { group, i -> [String] in
            ["<a href=\"/\(region)/instance/show/\(i.instanceId)\">\(i.instanceId)</a>", HTML.escape(group), i.port == 0 ? "" : "127.0.0.1:\(i.port)",
             "<span class=\"health-\(i.health.rawValue)\">\(i.health.rawValue)</span>", HTML.escape(i.healthReason ?? ""), String(i.inFlight),
             String(i.requests.total), String(i.requests.status5xx), ms(i.latency.p99)]
        }
        body += "<h2>Instances</h2>" + HTML.table(
            id: "traffic-instances", headers: ["Instance", "Server group", "Address", "Health", "Reason", "In flight", "Requests", "5xx", "p99"],
            rows: instanceRows, empty: "No instances registered.")
        if let unrouted = b.traffic?.unrouted, unrouted.total > 0 {
            body += "<p id=\"unrouted\">\(unrouted.total) request\(unrouted.total == 1 ? "" : "s") found no instance to take them (answered 502/503 by the load balancer).</p>"
        }
        let weights = b.trafficWeights.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        body += """
        <h2>Edit</h2>
        <form class="edit" method="post" action="/\(region)/loadBalancer/update" id="load-balancer-edit">\(csrf)<input type="hidden" name="name" value="\(name)">
        <label for="target">Health check path</label><input id="target" name="target" value="\(HTML.escape(c.target))">
        <label for="interval">Interval (s)</label><input id="interval" name="interval" value="\(c.interval)">
        <label for="timeout">Timeout (s)</label><input id="timeout" name="timeout" value="\(c.timeout)">
        <label for="healthyThreshold">Healthy threshold</label><input id="healthyThreshold" name="healthyThreshold" value="\(c.healthyThreshold)">
        <label for="unhealthyThreshold">Unhealthy threshold</label><input id="unhealthyThreshold" name="unhealthyThreshold" value="\(c.unhealthyThreshold)">
        \(b.type == .proxy ? """
        <label for="idleTimeoutSeconds">Idle timeout (s)</label><input id="idleTimeoutSeconds" name="idleTimeoutSeconds" value="\(b.idleTimeoutSeconds)">
        <span class="hint">How long an instance may take to answer before the load balancer answers 504 (1 to 4000)</span>
        """ : "")
        \(b.type.weighsTraffic ? """
        <label for="trafficWeights">Traffic weights</label><input id="trafficWeights" name="trafficWeights" value="\(HTML.escape(weights))">
        <span class="hint">serverGroup=weight, comma-separated, e.g. shop-v001=95,shop-v002=5; empty for none</span>
        """ : "")
        <div class="actions"><button type="submit" id="update-load-balancer">Update</button></div></form>
        <details><summary>Delete this load balancer…</summary>
        <form class="edit" method="post" action="/\(region)/loadBalancer/delete">\(csrf)<input type="hidden" name="name" value="\(name)">
        <p>Refused while server groups use it.</p>
        <label for="confirm">Type <b>\(name)</b> to confirm</label><input id="confirm" name="confirm" autocomplete="off">
        <button class="danger" type="submit" id="delete-load-balancer">Delete \(name)</button></form></details>
        """
        return body
    }

    static func form(region: String, types: [LoadBalancerType], values: FormFields, errors: [FieldError], csrf: String) -> String {
        func error(_ field: String) -> String { HTML.fieldErrors(errors, for: field) }
        func value(_ field: String, _ fallback: String = "") -> String { HTML.escape(values[field] ?? fallback) }
        let defaults = HealthCheckSettings()
        let typeField = types.count < 2 ? "" : """
        <label for="type">Type</label><select id="type" name="type">\(types.map { "<option value=\"\($0.rawValue)\"\(values["type"] == $0.rawValue ? " selected" : "")>\($0.rawValue)</option>" }.joined())</select>\(error("type"))
        <span class="hint">classic: every instance an equal share; application: a target group per server group, weighted (canaries need it).</span>
        """
        let algorithmField = !types.contains(.proxy) ? "" : """
        <label for="idleTimeoutSeconds">Idle timeout (s)</label><input id="idleTimeoutSeconds" name="idleTimeoutSeconds" value="\(value("idleTimeoutSeconds", String(LoadBalancerRecord.defaultIdleTimeout)))">\(error("idleTimeoutSeconds"))
        <span class="hint">How long an instance may take to answer before the load balancer answers 504 (1 to 4000)</span>
        <label for="algorithm">Algorithm</label><select id="algorithm" name="algorithm"><option value="round_robin">round robin</option><option value="least_outstanding_requests"\(values["algorithm"] == "least_outstanding_requests" ? " selected" : "")>least outstanding requests</option></select>\(error("algorithm"))
        """
        return """
        <h1>Create load balancer in \(HTML.escape(region))</h1>
        <form class="edit" method="post" action="/\(region)/loadBalancer/save" id="load-balancer-form">\(csrf)
        <label for="name">Name</label><input id="name" name="name" value="\(value("name"))">\(error("name"))
        <span class="hint">app[-stack[-detail]], e.g. shop-prod: the application must be registered.</span>
        \(typeField)
        <label for="listenerPort">Listener port</label><input id="listenerPort" name="listenerPort" value="\(value("listenerPort"))">\(error("listenerPort"))
        <label for="target">Health check path</label><input id="target" name="target" value="\(value("target", defaults.target))">\(error("target"))
        <label for="interval">Interval (s)</label><input id="interval" name="interval" value="\(value("interval", String(defaults.interval)))">\(error("interval"))
        <label for="timeout">Timeout (s)</label><input id="timeout" name="timeout" value="\(value("timeout", String(defaults.timeout)))">\(error("timeout"))
        <label for="healthyThreshold">Healthy threshold</label><input id="healthyThreshold" name="healthyThreshold" value="\(value("healthyThreshold", String(defaults.healthyThreshold)))">\(error("healthyThreshold"))
        <label for="unhealthyThreshold">Unhealthy threshold</label><input id="unhealthyThreshold" name="unhealthyThreshold" value="\(value("unhealthyThreshold", String(defaults.unhealthyThreshold)))">\(error("unhealthyThreshold"))
        \(algorithmField)
        <div class="actions"><button type="submit" id="submit">Create Load Balancer</button><a href="/\(region)/loadBalancer/list">Cancel</a></div>
        </form>
        """
    }

    static func ms(_ value: Double) -> String {
        value == 0 ? "" : String(format: "%.1f ms", value)
    }
}
