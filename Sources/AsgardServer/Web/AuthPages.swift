/// The sign-in page.
enum AuthPages {
    /// A local path to go to after signing in; anything else goes home.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"), !next.hasPrefix("/auth/") else { return "/" }
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
