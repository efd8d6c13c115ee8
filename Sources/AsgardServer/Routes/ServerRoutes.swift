import AsgardAPI
import AsgardCore
import Hummingbird

extension Console {
    /// Operations endpoints, the stylesheet, the home page and the region switcher.
    func addServerRoutes(to table: RouteTable) {
        table.get("/healthcheck", access: .open, doc: EndpointDoc(
            summary: "200 when the server is ready, 503 while it starts, while its data directory is full or while its database does not answer. "
                + "With detail=true (signed in): JSON with each region's cache: its age, the last read's time and error",
            tag: "Server",
            parameters: [.query("detail", "true for each region's cache age and last error, as JSON (needs a token or session)", type: "boolean")],
            answers: [EndpointDoc.Answer(status: 200, description: "Ready", schema: "HealthDetail", plainText: true),
                      .badRequest, EndpointDoc.Answer(status: 401, description: "detail=true without a token", schema: "Error"),
                      EndpointDoc.Answer(status: 503, description: "Starting, the data directory is full, or the database does not answer",
                                         schema: "HealthDetail", plainText: true)]
        )) { input in
            let detailText = input.fields["detail"] ?? ""
            guard ["", "true", "false"].contains(detailText) else { throw ConsoleError.invalid("detail", "'\(detailText)' must be true or false") }
            let detail = detailText == "true"
            var status = "ok", problem: String?
            if !readiness.isReady {
                status = "starting"
            } else if let found = space.problem {
                (status, problem) = ("unhealthy", found)
            } else if let found = await databaseProblem() {
                (status, problem) = ("unhealthy", found)
            }
            let code: HTTPResponse.Status = status == "ok" ? .ok : .serviceUnavailable
            guard detail else { return Responses.text(status + (problem.map { ": \($0)" } ?? "") + "\n", status: code) }
            // Account names and AWS's error messages are for people with access.
            guard input.principal != nil else {
                throw ConsoleError(.unauthenticated, "detail=true needs a token (Authorization: Bearer …) or a session; /healthcheck alone needs none")
            }
            return try Responses.json(HealthDetailJSON(status: status, problem: problem, regions: regionCaches()), status: code)
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
                                             user: user?.name.rawValue, now: now(), replicas: (try? await replicas()) ?? [],
                                             caches: regionCaches()))
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
