import AsgardCore

/// The frame around every page: Asgard's navigation, the region switcher, and the content.
struct PageLayout: Sendable {
    /// The accounts and regions the switcher offers.
    let accounts: [AccountConfig]

    /// The sections of the navigation, in Asgard's order.
    enum Section: String, CaseIterable, Sendable {
        case app = "App", cluster = "Cluster", instance = "Instance", image = "Image"
        case loadBalancer = "Load Balancer", security = "Security", deployment = "Deployments", task = "Task"

        /// The list page of the section in `region`.
        func href(region: String) -> String {
            switch self {
            case .app: "/application/list"
            case .cluster: "/\(region)/cluster/list"
            case .instance: "/\(region)/instance/list"
            case .image: "/\(region)/image/list"
            case .loadBalancer: "/\(region)/loadBalancer/list"
            case .security: "/\(region)/security/list"
            case .deployment: "/deployment/list"
            case .task: "/task/list"
            }
        }
    }

    /// Who is signed in, with links to their tokens and, for admins, users and the audit log;
    /// sign-out is a form so that it carries the CSRF token.
    private func userMenu(_ principal: Principal?) -> String {
        guard let principal else { return "<div class=\"user\"><a href=\"/auth/login\" id=\"sign-in\">Sign in</a></div>" }
        var links = "<a href=\"/token/list\">Tokens</a>"
        if principal.user.roles.contains(.admin) {
            links += "<a href=\"/user/list\">Users</a><a href=\"/audit/list\">Audit</a>"
        }
        let logout = principal.csrfToken.map { csrf in
            "<form method=\"post\" action=\"/auth/logout\"><input type=\"hidden\" name=\"_csrf\" value=\"\(HTML.escape(csrf))\"><button type=\"submit\" id=\"sign-out\">Sign out</button></form>"
        } ?? ""
        return "<div class=\"user\">\(links)<span id=\"signed-in-as\">\(HTML.escape(principal.user.name.rawValue))</span>\(logout)</div>"
    }

    /// The cookie that remembers the chosen region.
    static let regionCookie = "asgard_region"

    /// The region a page without one in its path shows: the remembered one if it exists, else
    /// the first configured.
    func currentRegion(remembered: String?) -> String {
        let all = accounts.flatMap { $0.regions.map(\.rawValue) }
        if let remembered, all.contains(remembered) { return remembered }
        return all.first ?? "local"
    }

    /// A whole page.
    func render(title: String, section: Section?, region: String, returnPath: String, principal: Principal?, body: String) -> String {
        let nav = Section.allCases.map { s in
            "<a href=\"\(HTML.escape(s.href(region: region)))\"\(s == section ? " class=\"active\"" : "")>\(s.rawValue)</a>"
        }.joined()
        var options = ""
        for account in accounts {
            for r in account.regions {
                let value = "\(account.name.rawValue)/\(r.rawValue)"
                let selected = r.rawValue == region ? " selected" : ""
                options += "<option value=\"\(HTML.escape(value))\"\(selected)>\(HTML.escape(account.name.rawValue)) · \(HTML.escape(r.rawValue))</option>"
            }
        }
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <title>\(HTML.escape(title)) · Asgard</title><link rel="stylesheet" href="/static/asgard.css"></head>
        <body><header><a class="brand" href="/">Asgard</a><nav>\(nav)</nav>
        <form method="get" action="/\(HTML.escape(HTML.pathSegment(region)))/search" id="search" role="search"><input id="search-q" name="q" type="search" aria-label="Search applications, clusters, server groups, instances, addresses and images" placeholder="app, cluster, group, instance, address, image" maxlength="200"></form>
        <form method="get" action="/region/switch" id="region-switcher"><label for="region-select">Region</label>
        <select id="region-select" name="to">\(options)</select><input type="hidden" name="return" value="\(HTML.escape(returnPath))">
        <button type="submit">Go</button></form>\(userMenu(principal))</header>
        <main>\(body)</main></body></html>
        """
    }
}
