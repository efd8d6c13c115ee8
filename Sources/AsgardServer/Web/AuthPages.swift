/// The sign-in page.
enum AuthPages {
    /// Where a browser may go after signing in: a path of this site only — one leading `/`, no
    /// `//` or backslash anywhere (browsers read `/\host` and `//host` as another host), no control
    /// characters or spaces (browsers drop a tab, so `/\t/host` becomes `//host`), not the sign-in
    /// pages themselves; anything else goes to `/`.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), next.utf8.count <= 2048, !next.contains("//"), !next.contains("\\"),
              !next.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.isWhitespace }),
              !next.hasPrefix("/auth/") else { return "/" }
        return next
    }

    static func login(next: String?, reason: String?, name: String?, error: String?) -> String {
        var body = "<h1>Sign in to Asgard</h1>"
        if let reason, !reason.isEmpty { body += "<div class=\"flash info\" id=\"login-reason\">\(HTML.escape(reason))</div>" }
        if let error { body += "<div class=\"flash error\" id=\"login-error\">\(HTML.escape(error))</div>" }
        body += """
        <form class="edit" method="post" action="/auth/login" id="login-form">
        <input type="hidden" name="next" value="\(HTML.escape(safeNext(next)))">
        <label for="login-name">User</label><input id="login-name" name="name" autocomplete="username" value="\(HTML.escape(name ?? ""))" autofocus>
        <label for="login-password">Password</label><input id="login-password" name="password" type="password" autocomplete="current-password">
        <div class="actions"><button type="submit" id="login-submit">Sign in</button></div>
        <p class="hint">On first start the server printed the admin's one-time password and wrote it to admin-password in its data directory.</p>
        </form>
        """
        return body
    }
}
