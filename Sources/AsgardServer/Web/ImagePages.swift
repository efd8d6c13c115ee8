import AsgardCore

/// The image pages' content.
enum ImagePages {
    static func commandLine(_ command: [String]) -> String {
        command.map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }.joined(separator: " ")
    }

    static func list(_ images: [ImageRecord], region: String, canRegister: Bool) -> String {
        let rows = images.map { i -> [String] in
            ["<a href=\"/\(region)/image/show/\(i.imageId)\">\(i.imageId)</a>", HTML.escape(i.name), HTML.escape(i.version),
             "<code>\(HTML.escape(commandLine(i.command)))</code>", HTML.date(i.createTime)]
        }
        var body = "<h1>Images in \(HTML.escape(region))</h1><div class=\"actions\">"
        if canRegister { body += "<a class=\"button\" id=\"register-image\" href=\"/\(region)/image/register\">Register Image</a>" }
        body += "<span>\(images.count) image\(images.count == 1 ? "" : "s")</span></div>"
        return body + HTML.table(id: "images", headers: ["Id", "Name", "Version", "Command", "Registered"], rows: rows,
                                 empty: "No images yet. An admin registers one: a versioned command line, such as the sample app.")
    }

    static func show(_ image: ImageRecord, region: String, csrf: String, tagged: Bool = false) -> String {
        let env = image.env.sorted { $0.key < $1.key }.map { "\(HTML.escape($0.key))=\(HTML.escape($0.value))" }.joined(separator: "<br>")
        var body = "<h1>Image: <span id=\"image-id\">\(image.imageId)</span></h1>"
        if tagged { return body + ami(image, region: region, csrf: csrf) }
        body += HTML.properties(id: "image", [
            ("Id", image.imageId.rawValue), ("Application", "<a href=\"/application/show/\(HTML.pathSegment(image.name))\">\(HTML.escape(image.name))</a>"),
            ("Version", HTML.escape(image.version)),
            ("Command", "<code>\(image.command.map { HTML.escape($0) }.joined(separator: "<br>"))</code>"),
            ("Environment", env.isEmpty ? "none" : env), ("Working directory", HTML.escape(image.workingDirectory ?? "the instance's directory")),
            ("Registered", HTML.date(image.createTime)),
        ])
        body += """
        <details><summary>Delete this image…</summary>
        <form class="edit" method="post" action="/\(region)/image/delete">\(csrf)<input type="hidden" name="imageId" value="\(image.imageId)">
        <p>Deleting is refused while a server group uses it.</p>
        <label for="confirm">Type <b>\(image.imageId)</b> to confirm</label><input id="confirm" name="confirm" autocomplete="off">
        <button class="danger" type="submit" id="delete-image">Delete \(image.imageId)</button></form></details>
        """
        return body
    }

    /// An AMI: its tags, which people change here.
    static func ami(_ image: ImageRecord, region: String, csrf: String) -> String {
        var body = HTML.properties(id: "image", [
            ("Id", image.imageId.rawValue), ("Application", "<a href=\"/application/show/\(HTML.pathSegment(image.name))\">\(HTML.escape(image.name))</a>"),
            ("Version", HTML.escape(image.version)), ("Created", HTML.date(image.createTime)),
        ])
        let rows = image.env.sorted { $0.key < $1.key }.map { key, value -> [String] in
            [HTML.escape(key), HTML.escape(value),
             "<form method=\"post\" action=\"/\(region)/image/tag\">\(csrf)<input type=\"hidden\" name=\"imageId\" value=\"\(image.imageId)\">"
                + "<input type=\"hidden\" name=\"removeTags\" value=\"\(HTML.escape(key))\"><button class=\"danger\" type=\"submit\">Remove</button></form>"]
        }
        body += "<h2>Tags</h2>" + HTML.table(id: "image-tags", headers: ["Key", "Value", ""], rows: rows, empty: "No tags.")
        body += """
        <form class="edit" method="post" action="/\(region)/image/tag" id="tag-form">\(csrf)<input type="hidden" name="imageId" value="\(image.imageId)">
        <label for="tags">Set tags</label><textarea id="tags" name="tags" rows="2" placeholder="appversion=shop-1.2.0-h7"></textarea>
        <span class="hint">key=value per line; appversion (app-version-build) names the image's application and version.</span>
        <div class="actions"><button type="submit" id="tag-image">Save tags</button></div></form>
        <details><summary>Deregister this AMI…</summary>
        <form class="edit" method="post" action="/\(region)/image/delete">\(csrf)<input type="hidden" name="imageId" value="\(image.imageId)">
        <p>Refused while a server group uses it.</p>
        <label for="confirm">Type <b>\(image.imageId)</b> to confirm</label><input id="confirm" name="confirm" autocomplete="off">
        <button class="danger" type="submit" id="delete-image">Deregister \(image.imageId)</button></form></details>
        """
        return body
    }

    static func form(region: String, values: FormFields, errors: [FieldError], csrf: String) -> String {
        func error(_ field: String) -> String { HTML.fieldErrors(errors, for: field) }
        func value(_ field: String) -> String { HTML.escape(values.all(field).joined(separator: "\n")) }
        let general = errors.filter { $0.field.isEmpty }
            .map { "<div class=\"flash error\" id=\"form-error\">\(HTML.escape($0.message))</div>" }.joined()
        return """
        <h1>Register image in \(HTML.escape(region))</h1>\(general)
        <form class="edit" method="post" action="/\(region)/image/register" id="image-form">\(csrf)
        <label for="name">Application</label><input id="name" name="name" value="\(value("name"))">\(error("name"))
        <label for="version">Version</label><input id="version" name="version" value="\(value("version"))" placeholder="1.0.0">\(error("version"))
        <label for="command">Command</label><textarea id="command" name="command" rows="4" placeholder="/usr/bin/python3&#10;-m&#10;http.server">\(value("command"))</textarea>
        <span class="hint">One argument per line; the first is an absolute path or a name on PATH. It runs without a shell, with PORT set for each instance.</span>\(error("command"))
        <label for="env">Environment</label><textarea id="env" name="env" rows="3" placeholder="LOG_LEVEL=info">\(value("env"))</textarea>
        <span class="hint">KEY=value per line.</span>\(error("env"))
        <label for="workingDirectory">Working directory</label><input id="workingDirectory" name="workingDirectory" value="\(value("workingDirectory"))">\(error("workingDirectory"))
        <div class="actions"><button type="submit" id="submit">Register Image</button><a href="/\(region)/image/list">Cancel</a></div>
        </form>
        """
    }
}
