import AsgardAPI
import AsgardCloud
import AsgardEngine
import AsgardCore
import AsgardStore
import Foundation
import Hummingbird

/// Everything the routes share: the registries, the stores, the page layout and the accounts.
struct Console: Sendable {
    let applications: ApplicationRegistry
    let tasks: any TaskStore
    let accounts: [AccountConfig]
    let layout: PageLayout
    let readiness: Readiness
    /// The data directory's room, for the health check.
    let space: DataDirectorySpace

    let users: UserRegistry
    /// Every region the console manages, and the one pages outside a region use.
    let regionals: [Region: Regional]
    let home: Regional
    let scaling: ScalingService
    let scalingStore: any ScalingStore
    let authenticator: Authenticator
    let now: @Sendable () -> Date
    /// What is wrong with the shared database, for the health check; nil when there is none or
    /// it answers.
    var databaseProblem: @Sendable () async -> String? = { nil }
    /// JSON list answers kept per cache generation.
    let encodedLists = EncodedAnswers()
    /// The consoles on the shared database; empty without one.
    var replicas: @Sendable () async throws -> [ReplicaJSON] = { [] }

    /// The user a request acts as, for task records.
    func user(of input: RouteInput) -> String { input.userName }

    /// The hidden form field that carries the session's CSRF token.
    static func csrfField(_ input: RouteInput) -> String {
        guard let csrf = input.principal?.csrfToken else { return "" }
        return "<input type=\"hidden\" name=\"_csrf\" value=\"\(HTML.escape(csrf))\">"
    }

    /// The region a page outside any region shows in the switcher and navigation.
    func region(of input: RouteInput) -> String {
        layout.currentRegion(remembered: input.cookie(PageLayout.regionCookie))
    }

    /// A whole HTML page in the layout.
    func page(_ input: RouteInput?, title: String, section: PageLayout.Section?, region: String? = nil,
              body: String, status: HTTPResponse.Status = .ok, principal known: Principal? = nil) -> Response {
        let shownRegion = region ?? input.map { self.region(of: $0) } ?? layout.currentRegion(remembered: nil)
        // After a POST the page's own path would repeat the POST as a GET; go home instead.
        let path = input.flatMap { $0.request.method == .get ? $0.pathString : nil } ?? "/"
        var shown = body
        // What the last change did, once, on the page it led to.
        let flash = input?.cookie(Flash.cookie).flatMap { $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
        if let flash, !flash.isEmpty {
            shown = "<div class=\"flash ok\" id=\"flash\" role=\"status\" aria-live=\"polite\">\(HTML.escape(InputLimits.echoed(flash)))</div>" + shown
        }
        // A region whose cloud cannot be reached says so on every one of its pages.
        if let cloud = regionals[Region(shownRegion)]?.cloud, let (since, error) = cloud.unreachable {
            shown = "<div class=\"flash error\" id=\"cloud-unreachable\" role=\"alert\">Region \(HTML.escape(shownRegion)) cannot be reached since "
                + "\(HTML.escape(since.formatted(.iso8601))): \(HTML.escape(InputLimits.echoed(error))). What this page shows may be out of date.</div>" + shown
        }
        // A region the console caches says how old its data is and offers to read it again.
        if region != nil, let input, let status = regionals[Region(shownRegion)]?.cloud.cacheStatus {
            shown = freshness(status, region: shownRegion, path: path, input: input) + shown
        }
        var response = Responses.html(layout.render(title: title, section: section, region: shownRegion, returnPath: path,
                                                    principal: input?.principal ?? known, body: shown),
                                      status: status)
        if flash != nil { response.setCookie(Cookie(name: Flash.cookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict)) }
        return response
    }

    /// How old a cached region's data is, with a button that reads the page's object (or the
    /// whole region) again; a warning while reads of the region fail.
    func freshness(_ status: CacheStatus, region: String, path: String, input: RouteInput) -> String {
        var text = ""
        if let error = status.lastError {
            let shown = status.age(at: now()).map { "what was read \(Self.ago($0))" } ?? "nothing: the region was never read"
            text += "<div class=\"flash error\" id=\"cache-stale\" role=\"alert\">Reading region \(HTML.escape(region)) failed"
                + (status.lastErrorAt.map { " at \(HTML.escape($0.formatted(.iso8601)))" } ?? "")
                + ": \(HTML.escape(InputLimits.echoed(error))). This page shows \(shown).</div>"
        }
        // The object a page shows: /{region}/{kind}/show/{name}.
        let segments = path.split(separator: "/").map(String.init)
        var object = ""
        if segments.count == 4, segments[2] == "show", let field = ["autoScaling": "serverGroup", "cluster": "cluster",
                                                                   "loadBalancer": "loadBalancer", "instance": "instance"][segments[1]] {
            let name = segments[3].removingPercentEncoding ?? segments[3]
            object = "<input type=\"hidden\" name=\"\(field)\" value=\"\(HTML.escape(name.hasSuffix(".json") ? String(name.dropLast(5)) : name))\">"
        }
        let age = status.readingSince != nil && status.lastRead == nil ? "being read for the first time"
            : status.age(at: now()).map { "read \(Self.ago($0))" } ?? "not read yet"
        return text + "<form class=\"freshness\" id=\"cache-freshness\" method=\"post\" action=\"/\(HTML.pathSegment(region))/cache/refresh\">"
            + Self.csrfField(input) + object + "<input type=\"hidden\" name=\"return\" value=\"\(HTML.escape(path))\">"
            + "<span id=\"cache-age\">Region \(HTML.escape(region)) \(age)</span> <button type=\"submit\" id=\"refresh-now\">Refresh now</button></form>"
    }

    /// "just now", "12 s ago", "3 min ago", "2 h ago".
    static func ago(_ seconds: Double) -> String {
        switch seconds {
        case ..<1: "just now"
        case ..<120: "\(Int(seconds)) s ago"
        case ..<7200: "\(Int(seconds / 60)) min ago"
        default: "\(Int(seconds / 3600)) h ago"
        }
    }

    /// The page shown for an error answered to a browser.
    func errorPage(_ error: ConsoleError, input: RouteInput?, principal: Principal? = nil) -> Response {
        var body = "<h1>\(HTML.escape(error.code.status.reasonPhrase))</h1><div class=\"flash error\" id=\"error-message\" role=\"alert\">\(HTML.escape(error.plainMessage))</div>"
        // A way back to the page the request came from, when it was one of ours.
        if let referer = input?.request.headers[.referer], let url = URL(string: referer), url.host == nil || url.host == "127.0.0.1"
            || url.host == "localhost" || url.host == input?.request.head.authority?.split(separator: ":").first.map(String.init) {
            let path = url.path.isEmpty ? "/" : url.path + (url.query.map { "?" + $0 } ?? "")
            if path.hasPrefix("/"), !path.hasPrefix("//") {
                body += "<p><a id=\"back\" href=\"\(HTML.escape(path))\">Back to the previous page</a></p>"
            }
        }
        return page(input, title: error.code.status.reasonPhrase, section: nil, body: body, status: error.code.status, principal: principal)
    }

    /// Finds the account and region named in a path, or throws 404 naming the known ones.
    func region(named name: String, account: String?) throws -> (AccountConfig, Region) {
        let matches = accounts.filter { a in
            a.regions.contains(Region(name)) && (account == nil || a.name.rawValue == account)
        }
        if matches.count == 1 { return (matches[0], Region(name)) }
        if matches.count > 1 {
            let names = matches.map(\.name.rawValue).joined(separator: ", ")
            throw ConsoleError(.invalidRequest, "Region '\(name)' exists in several accounts (\(names)); add ?account=NAME")
        }
        let known = accounts.flatMap { a in a.regions.map { "\($0.rawValue) (account \(a.name.rawValue))" } }.joined(separator: ", ")
        throw ConsoleError.notFound("Region '\(name)'\(account.map { " in account '\($0)'" } ?? "") not found; known regions: \(known)")
    }
}
