import AsgardAPI
import AsgardCore
import Foundation

/// The home page: what is happening now across the regions.
enum HomePages {
    static func home(running: [DeploymentJSON], troubled: [DeploymentJSON], apps: [AppRecord], user: String?, now: Date,
                     replicas: [ReplicaJSON] = [], caches: [RegionCacheJSON] = []) -> String {
        var body = "<h1>What is happening</h1>"
        if !replicas.isEmpty {
            let alive = replicas.filter(\.alive)
            body += "<p id=\"replicas-line\" class=\"hint\">\(alive.count) console\(alive.count == 1 ? "" : "s") on this database: "
                + alive.map { r in HTML.escape(r.id) + (r.current ? " (this one)" : "") + (r.holds.isEmpty ? "" : ", holds " + HTML.escape(r.holds.joined(separator: ", "))) }
                    .joined(separator: "; ")
                + (replicas.count > alive.count ? "; \(replicas.count - alive.count) silent" : "") + " — <a href=\"/server/replicas.json\">details</a></p>"
        }
        body += "<section id=\"deploying-now\" aria-live=\"polite\"><h2>Deploying now</h2>"
            + DeploymentPages.table(running, id: "running-deployments", now: now, empty: "Nothing is deploying.") + "</section>"
        body += "<section id=\"recent-trouble\"><h2>Recently failed or rolled back</h2>"
            + DeploymentPages.table(troubled, id: "troubled-deployments", now: now, empty: "No deployment failed or was rolled back lately.")
            + "<p><a href=\"/deployment/list\">All deployments</a></p></section>"
        // Regions the console caches (AWS): how old their data is, and why reads fail if they do.
        let cached = caches.filter(\.cached)
        if !cached.isEmpty {
            let rows = cached.map { cache -> [String] in
                let age = cache.ageSeconds.map { Console.ago($0) } ?? (cache.readingForSeconds != nil ? "being read for the first time" : "never read")
                return ["<a href=\"/\(HTML.pathSegment(cache.region))/autoScaling/list\">\(HTML.escape(cache.region))</a>", HTML.escape(cache.account),
                        HTML.escape(age) + (cache.lastReadSeconds.map { " (took \(String(format: "%.1f", $0)) s)" } ?? ""),
                        cache.lastError.map { "failing: " + HTML.escape($0) } ?? "none"]
            }
            body += "<section id=\"region-caches\"><h2>Regions</h2>"
                + HTML.table(id: "region-cache-table", headers: ["Region", "Account", "Last read", "Last error"], rows: rows, empty: "")
                + "<p class=\"hint\"><a href=\"/healthcheck?detail=true\">As JSON</a></p></section>"
        }
        let rows = apps.map { app -> [String] in
            ["<a href=\"/application/show/\(HTML.pathSegment(app.name.rawValue))\">\(HTML.escape(app.name.rawValue))</a>",
             HTML.escape(app.description), HTML.escape(app.owner),
             "<a href=\"/deployment/list?application=\(HTML.pathSegment(app.name.rawValue))\">deployments</a>"]
        }
        body += "<section id=\"your-applications\"><h2>\(user == nil ? "Applications" : "Your applications")</h2>"
            + HTML.table(id: "home-applications", headers: ["Application", "Description", "Owner", ""], rows: rows,
                         empty: "No application of yours yet; see <a href=\"/application/list\">all applications</a>.") + "</section>"
        return body
    }
}
