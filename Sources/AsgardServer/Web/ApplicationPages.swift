import AsgardAPI
import AsgardCore
import Foundation

/// The application pages' content.
enum ApplicationPages {
    enum FormMode {
        case create, edit
    }

    static func list(_ apps: [AppRecord]) -> String {
        let rows = apps.map { app -> [String] in
            let name = HTML.escape(app.name.rawValue)
            return ["<a href=\"/application/show/\(HTML.pathSegment(app.name.rawValue))\">\(name)</a>",
                    HTML.escape(app.type.rawValue), HTML.escape(app.description),
                    HTML.escape(app.owner), HTML.escape(app.email)]
        }
        return "<h1>Applications</h1><div class=\"actions\"><a class=\"button\" id=\"create-application\" href=\"/application/create\">Create New Application</a>"
            + "<span>\(apps.count) application\(apps.count == 1 ? "" : "s")</span></div>"
            + HTML.table(id: "applications", headers: ["Name", "Type", "Description", "Owner", "Email"], rows: rows,
                         empty: "No applications yet. Register one with Create New Application.")
    }

    static func show(_ app: AppRecord, tasks: [TaskRecord], csrf: String, openDelete: Bool = false, clusters: [(region: String, cluster: String)] = [],
                     deployments: [DeploymentJSON] = [], now: Date = Date()) -> String {
        let name = HTML.escape(app.name.rawValue)
        let segment = HTML.pathSegment(app.name.rawValue)
        var body = "<h1>Application: <span id=\"app-name\">\(name)</span></h1>"
        body += "<div class=\"actions\"><a class=\"button\" id=\"edit-application\" href=\"/application/edit/\(segment)\">Edit</a></div>"
        body += HTML.properties(id: "application", [
            ("Name", name), ("Type", HTML.escape(app.type.rawValue)), ("Description", HTML.escape(app.description)),
            ("Owner", HTML.escape(app.owner)),
            ("Email", "<a href=\"mailto:\(HTML.escape(app.email))\">\(HTML.escape(app.email))</a>"),
            ("Deployment webhook", app.webhookUrl.map { "<code id=\"app-webhook\">\(HTML.escape($0))</code>" } ?? "none"),
            ("Created", HTML.date(app.createTime)), ("Updated", HTML.date(app.updateTime)),
        ])
        body += "<h2>Clusters</h2>" + (clusters.isEmpty ? "<p class=\"hint\">No cluster yet: deploy one with asgard deploy or create a server group.</p>"
            : "<ul id=\"app-clusters\">" + clusters.map {
                "<li><a href=\"/\(HTML.pathSegment($0.region))/cluster/show/\(HTML.pathSegment($0.cluster))\">\(HTML.escape($0.cluster))</a> <span class=\"hint\">\(HTML.escape($0.region))</span></li>"
            }.joined() + "</ul>")
        body += "<h2>Deployments</h2>" + DeploymentPages.table(deployments, id: "app-deployments", now: now,
                                                             empty: "No deployments of this application yet.")
            + (deployments.isEmpty ? "" : "<p><a href=\"/deployment/list?application=\(segment)\">All its deployments</a></p>")
        body += "<h2>Recent tasks</h2>" + TaskPages.table(tasks, empty: "No tasks for this application.")
        body += """
        <details\(openDelete ? " open" : "")><summary>Delete this application…</summary>
        <form class="edit" method="post" action="/application/delete">\(csrf)<input type="hidden" name="name" value="\(name)">
        <p>Deleting is refused while it still owns server groups, load balancers or images.</p>
        <label for="confirm">Type <b>\(name)</b> to confirm</label><input id="confirm" name="confirm" autocomplete="off">
        <button class="danger" type="submit" id="delete-application">Delete \(name)</button></form></details>
        """
        return body
    }

    static func fields(of app: AppRecord) -> FormFields {
        FormFields(pairs: [
            "name": app.name.rawValue, "owner": app.owner, "email": app.email,
            "description": app.description, "type": app.type.rawValue, "webhookUrl": app.webhookUrl ?? "",
        ])
    }

    static func form(_ mode: FormMode, values: FormFields, errors: [FieldError], csrf: String) -> String {
        func error(_ field: String) -> String { HTML.fieldErrors(errors, for: field) }
        func invalid(_ field: String) -> String { errors.contains { $0.field == field } ? " class=\"invalid\"" : "" }
        func value(_ field: String) -> String { HTML.escape(values[field] ?? "") }
        let general = errors.filter { $0.field.isEmpty }
            .map { "<div class=\"flash error\" id=\"form-error\">\(HTML.escape($0.message))</div>" }.joined()
        let selectedType = values["type"] ?? AppType.webService.rawValue
        let typeOptions = AppType.allCases.map { t in
            "<option\(t.rawValue == selectedType ? " selected" : "")>\(HTML.escape(t.rawValue))</option>"
        }.joined()
        let nameInput = mode == .create
            ? "<input id=\"name\" name=\"name\" maxlength=\"28\" value=\"\(value("name"))\" autofocus\(invalid("name"))>"
            : "<input id=\"name\" name=\"name\" value=\"\(value("name"))\" readonly>"
        let title = mode == .create ? "Create application" : "Edit application \(value("name"))"
        return """
        <h1>\(title)</h1>\(general)
        <form class="edit" method="post" action="\(mode == .create ? "/application/save" : "/application/update")" id="application-form">\(csrf)
        <label for="name">Name</label>\(nameInput)<span class="hint">At most 28 characters of a-z, 0-9, '.' and '_'.</span>\(error("name"))
        <label for="owner">Owner</label><input id="owner" name="owner" value="\(value("owner"))"\(invalid("owner"))>\(error("owner"))
        <label for="email">Email</label><input id="email" name="email" type="text" value="\(value("email"))"\(invalid("email"))>\(error("email"))
        <label for="type">Type</label><select id="type" name="type"\(invalid("type"))>\(typeOptions)</select>\(error("type"))
        <label for="description">Description</label><textarea id="description" name="description" rows="3"\(invalid("description"))>\(value("description"))</textarea>\(error("description"))
        <label for="webhookUrl">Deployment webhook</label><input id="webhookUrl" name="webhookUrl" value="\(value("webhookUrl"))" placeholder="https://hooks.example.com/deploys"\(invalid("webhookUrl"))><span class="hint">Optional: gets a JSON POST on each event of this application's deployments.</span>\(error("webhookUrl"))
        <div class="actions"><button type="submit" id="submit">\(mode == .create ? "Create Application" : "Update Application")</button>
        <a href="\(mode == .create ? "/application/list" : "/application/show/\(HTML.pathSegment(values["name"] ?? ""))")">Cancel</a></div>
        </form>
        """
    }
}
