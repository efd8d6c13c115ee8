import AsgardCore
import Foundation

/// The user and token pages' content.
enum UserPages {
    static func roles(_ user: UserRecord) -> String {
        let global = user.roles.map(\.rawValue)
        let apps = user.applications.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.rawValue)" }
        return HTML.escape((global + apps).joined(separator: ", "))
    }

    static func list(_ users: [UserRecord], csrf: String, error: String? = nil) -> String {
        let rows = users.map { u -> [String] in
            ["<a href=\"/user/show/\(HTML.pathSegment(u.name.rawValue))\">\(HTML.escape(u.name.rawValue))</a>", roles(u), HTML.date(u.updateTime)]
        }
        var body = "<h1>Users</h1>"
        if let error { body += "<div class=\"flash error\" id=\"form-error\">\(HTML.escape(error))</div>" }
        body += HTML.table(id: "users", headers: ["Name", "Roles", "Updated"], rows: rows, empty: "No users.")
        body += """
        <h2>Create or change a user</h2>
        <form class="edit" method="post" action="/user/save" id="user-form">\(csrf)
        <label for="user-name">Name</label><input id="user-name" name="name">
        <label for="user-password">Password</label><input id="user-password" name="password" type="password" autocomplete="new-password"><span class="hint">At least 12 characters; leave empty to keep the current one.</span>
        <label for="user-roles">Global roles</label><input id="user-roles" name="roles" placeholder="viewer"><span class="hint">admin, viewer (comma-separated); empty keeps an existing user's roles, and a new user becomes a viewer</span>
        <label for="user-apps">Application roles</label><input id="user-apps" name="applications"><span class="hint">e.g. shop:deployer, cart:owner; empty keeps an existing user's</span>
        <div class="actions"><button type="submit" id="user-submit">Save user</button></div></form>
        """
        return body
    }

    static func show(_ user: UserRecord, tokens: [TokenRecord], csrf: String, now: Date) -> String {
        var body = "<h1>User: \(HTML.escape(user.name.rawValue))</h1>"
        body += HTML.properties(id: "user", [("Name", HTML.escape(user.name.rawValue)), ("Roles", roles(user)),
                                            ("Created", HTML.date(user.createTime)), ("Updated", HTML.date(user.updateTime))])
        body += "<h2>Tokens</h2>" + TokenPages.table(tokens, csrf: csrf, now: now)
        body += """
        <details><summary>Delete this user…</summary>
        <form method="post" action="/user/delete">\(csrf)<input type="hidden" name="name" value="\(HTML.escape(user.name.rawValue))">
        <button class="danger" type="submit" id="delete-user">Delete \(HTML.escape(user.name.rawValue))</button></form></details>
        """
        return body
    }
}

/// The token pages' content.
enum TokenPages {
    static func table(_ tokens: [TokenRecord], csrf: String, now: Date) -> String {
        let rows = tokens.map { t -> [String] in
            let state = t.revokedTime != nil ? "revoked" : (t.isActive(at: now) ? "active" : "expired")
            let revoke = t.isActive(at: now)
                ? HTML.confirmed(id: "revoke-\(t.user.rawValue)-\(t.name)", summary: "Revoke", action: "/token/revoke",
                                 hidden: [("name", t.name), ("user", t.user.rawValue)], name: t.name, button: "Revoke \(t.name)", csrf: csrf)
                : ""
            return [HTML.escape(t.name), HTML.escape(t.user.rawValue), state, HTML.date(t.createTime),
                    t.expiresTime.map(HTML.date) ?? "never", revoke]
        }
        return HTML.table(id: "tokens", headers: ["Name", "User", "State", "Created", "Expires", ""], rows: rows, empty: "No tokens.")
    }

    static func list(_ tokens: [TokenRecord], me: UserName, csrf: String, created: CreatedToken?, error: String?, now: Date) -> String {
        var body = "<h1>API tokens</h1>"
        if let created {
            body += """
            <div class="flash info" id="token-created">Token '\(HTML.escape(created.name))' for \(HTML.escape(created.user.rawValue)) — copy it now, it is shown only once:<br>
            <code class="token-secret" id="token-secret">\(HTML.escape(created.token))</code></div>
            """
        }
        if let error { body += "<div class=\"flash error\" id=\"form-error\">\(HTML.escape(error))</div>" }
        body += table(tokens, csrf: csrf, now: now)
        body += """
        <h2>Create a token</h2>
        <form class="edit" method="post" action="/token/create" id="token-form">\(csrf)
        <label for="token-name">Name</label><input id="token-name" name="name" placeholder="ci">
        <label for="token-user">User</label><input id="token-user" name="user" value="\(HTML.escape(me.rawValue))"><span class="hint">Only admins create tokens for others.</span>
        <label for="token-days">Expires in days</label><input id="token-days" name="expiresInDays" value="30">
        <div class="actions"><button type="submit" id="token-submit">Create token</button></div></form>
        """
        return body
    }
}
