import AsgardAPI
import AsgardCore
import Hummingbird

extension Console {
    /// Operations endpoints, the stylesheet, the home page and the region switcher.
    func addServerRoutes(to table: RouteTable) {
        table.get("/healthcheck", access: .open, doc: EndpointDoc(
            summary: "200 when the server is ready, 503 while it starts, while its data directory is full or while its database does not answer",
            tag: "Server",
            answers: [EndpointDoc.Answer(status: 200, description: "Ready", schema: nil, plainText: true),
                      EndpointDoc.Answer(status: 503, description: "Starting, the data directory is full, or the database does not answer",
                                         schema: nil, plainText: true)]
        )) { _ in
            guard readiness.isReady else { return Responses.text("starting\n", status: .serviceUnavailable) }
            if let problem = space.problem { return Responses.text("unhealthy: \(problem)\n", status: .serviceUnavailable) }
            if let problem = await databaseProblem() { return Responses.text("unhealthy: \(problem)\n", status: .serviceUnavailable) }
            return Responses.text("ok\n")
        }

        table.get("/server/version.json", access: .open, doc: EndpointDoc(
            summary: "The console's version", tag: "Server", answers: [.ok("ServerVersion")]
        )) { _ in
            try Responses.json(ServerVersionJSON(name: "asgard", version: AsgardVersion.version, apiVersion: AsgardVersion.apiVersion))
        }

        table.get("/server/replicas.json", doc: EndpointDoc(
            summary: "The consoles sharing this console's database (--database-url): version, start, last heartbeat, whether alive and what each holds; "
                + "empty for a console on SQLite",
            tag: "Server", answers: [.ok("[Replica]"), .unauthorized]
        )) { _ in
            try Responses.json(try await replicas())
        }

        table.get("/account/list.json", doc: EndpointDoc(
            summary: "The configured accounts and their regions", tag: "Server", answers: [.ok("[Account]")]
        )) { _ in
            try Responses.json(accounts)
        }

        table.htmlOnly("/static/asgard.css", access: .open) { _ in
            Responses.text(Stylesheet.css + "\n" + Stylesheet.authCSS, contentType: "text/css; charset=utf-8")
        }

        table.htmlOnly("/") { input in
            // Running and waiting deployments of every region, the latest troubles, and the
            // applications the user has a role on (all of them for admins and viewers).
            let running = try await unfinishedDeployments()
            var troubled: [DeploymentJSON] = []
            for status in [TaskStatus.failed, .rolledBack, .canceled] {
                var filter = DeploymentPages.Filter()
                filter.status = status
                troubled += try await deployments(filter, limit: 10)
            }
            troubled = Array(troubled.sorted { $0.id.rawValue > $1.id.rawValue }.prefix(10))
            let user = input.principal?.user
            var apps = try await applications.store.applications()
            if let user, !user.applications.isEmpty {
                apps = apps.filter { user.applications[$0.name.rawValue] != nil }
            }
            return page(input, title: "Home", section: nil,
                        body: HomePages.home(running: running, troubled: troubled, apps: Array(apps.prefix(50)),
                                             user: user?.name.rawValue, now: now(), replicas: (try? await replicas()) ?? []))
        }

        table.htmlOnly("/region/switch") { input in
            let target = input.fields["to"] ?? ""
            let parts = target.split(separator: "/", maxSplits: 1).map(String.init)
            let regionName = parts.count == 2 ? parts[1] : target
            let (_, region) = try region(named: regionName, account: parts.count == 2 ? parts[0] : nil)
            var back = input.fields["return"] ?? "/"
            if !back.hasPrefix("/") || back.hasPrefix("//") { back = "/" }
            // A page inside a region moves to the same page in the new region.
            let segments = back.split(separator: "/", omittingEmptySubsequences: false)
            if segments.count > 2, accounts.contains(where: { $0.regions.contains(Region(String(segments[1]))) }) {
                back = "/" + ([Substring(region.rawValue)] + segments.dropFirst(2)).joined(separator: "/")
            }
            var response = Responses.seeOther(back)
            response.setCookie(Cookie(name: PageLayout.regionCookie, value: region.rawValue, maxAge: 365 * 24 * 3600, path: "/", sameSite: .strict))
            return response
        }
    }
}
