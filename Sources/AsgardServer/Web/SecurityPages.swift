import AsgardAPI
import AsgardCore

/// The pages of security groups (AWS regions).
enum SecurityPages {
    static func list(_ groups: [SecurityGroupJSON], region: String, local: Bool) -> String {
        guard !local else {
            return "<h1>Security groups in \(HTML.escape(region))</h1><p class=\"empty\" id=\"security-empty\">The local cloud has no security groups: "
                + "its instances and load balancers listen on 127.0.0.1 only. Switch to an AWS region to manage them.</p>"
        }
        let rows = groups.map { g -> [String] in
            ["<a href=\"/\(region)/security/show/\(HTML.pathSegment(g.groupName))\">\(HTML.escape(g.groupName))</a>", HTML.escape(g.groupId),
             HTML.escape(g.description), g.rules.map { "<code>\(HTML.escape($0))</code>" }.joined(separator: " ")]
        }
        return "<h1>Security groups in \(HTML.escape(region))</h1><div class=\"actions\"><a class=\"button\" id=\"create-security-group\" href=\"/\(region)/security/create\">Create New Security Group</a></div>"
            + HTML.table(id: "security-groups", headers: ["Name", "Id", "Description", "Ingress"], rows: rows, empty: "No security groups yet.")
    }

    static func show(_ g: SecurityGroupJSON, region: String, csrf: String, errors: [FieldError] = []) -> String {
        let name = HTML.escape(g.groupName)
        var body = "<h1>Security group: <span id=\"security-group-name\">\(name)</span></h1>"
        body += HTML.properties(id: "security-group", [
            ("Id", HTML.escape(g.groupId)), ("Description", HTML.escape(g.description)), ("VPC", HTML.escape(g.vpcId ?? "")),
        ])
        let rows = g.ingress.map { rule -> [String] in
            let source = rule.cidr.map(HTML.escape) ?? rule.sourceGroupName.map {
                "<a href=\"/\(region)/security/show/\(HTML.pathSegment($0))\">\(HTML.escape($0))</a>"
            } ?? HTML.escape(rule.sourceGroupId ?? "")
            return ["<code>\(HTML.escape(rule.text))</code>", rule.ipProtocol == "-1" ? "all" : rule.ipProtocol,
                    rule.ipProtocol == "-1" || rule.fromPort < 0 ? "all" : rule.fromPort == rule.toPort ? String(rule.fromPort) : "\(rule.fromPort)–\(rule.toPort)",
                    source,
                    "<form method=\"post\" action=\"/\(region)/security/update\">\(csrf)<input type=\"hidden\" name=\"name\" value=\"\(name)\">"
                        + "<input type=\"hidden\" name=\"revoke\" value=\"\(HTML.escape(rule.text))\"><button class=\"danger\" type=\"submit\">Revoke</button></form>"]
        }
        body += "<h2>Ingress</h2>" + HTML.table(id: "ingress-rules", headers: ["Rule", "Protocol", "Ports", "Source", ""], rows: rows,
                                                 empty: "No ingress: nothing can reach its instances.")
        body += """
        <h2>Open ingress</h2>
        <form class="edit" method="post" action="/\(region)/security/update" id="authorize-form">\(csrf)<input type="hidden" name="name" value="\(name)">
        <label for="authorize">Rule</label><input id="authorize" name="authorize" placeholder="tcp:7001:10.0.0.0/8">\(HTML.fieldErrors(errors, for: "authorize"))
        <span class="hint">protocol:ports:source — a CIDR block (10.0.0.0/8) or a security group's name (shop-web); e.g. tcp:8080-8081:shop-web, all:all:0.0.0.0/0</span>
        <div class="actions"><button type="submit" id="authorize-submit">Authorize</button></div></form>
        <details><summary>Delete this security group…</summary>
        <form class="edit" method="post" action="/\(region)/security/delete">\(csrf)<input type="hidden" name="name" value="\(name)">
        <p>AWS refuses while instances or other groups' rules use it.</p>
        <label for="confirm">Type <b>\(name)</b> to confirm</label><input id="confirm" name="confirm" autocomplete="off">
        <button class="danger" type="submit" id="delete-security-group">Delete \(name)</button></form></details>
        """
        return body
    }

    static func form(region: String, values: FormFields, errors: [FieldError], csrf: String) -> String {
        func error(_ field: String) -> String { HTML.fieldErrors(errors, for: field) }
        func value(_ field: String) -> String { HTML.escape(values[field] ?? "") }
        return """
        <h1>Create security group in \(HTML.escape(region))</h1>
        <form class="edit" method="post" action="/\(region)/security/save" id="security-group-form">\(csrf)
        <label for="name">Name</label><input id="name" name="name" value="\(value("name"))">\(error("name"))
        <span class="hint">app[-anything], e.g. shop-web: the application must be registered.</span>
        <label for="description">Description</label><input id="description" name="description" value="\(value("description"))">\(error("description"))
        <div class="actions"><button type="submit" id="submit">Create Security Group</button><a href="/\(region)/security/list">Cancel</a></div>
        </form>
        """
    }
}
