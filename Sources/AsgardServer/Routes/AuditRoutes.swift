import AsgardCore
import AsgardStore
import Foundation
import HTTPTypes
import Hummingbird

extension Console {
    /// `GET /audit/list`: the append-only record of every change and every refusal (admin).
    func addAuditRoutes(to table: RouteTable) {
        table.page("/audit/list", doc: EndpointDoc(
            summary: "The audit log, newest first (admin); X-Total-Count gives how many match", tag: "Audit",
            parameters: [.query("user", "Only this user's requests"), .query("application", "Only requests about this application"),
                         .query("since", "From this time on (ISO 8601, e.g. 2026-11-28T00:00:00Z)"),
                         .query("until", "Before this time (ISO 8601)"),
                         .query("limit", "At most this many (default 100, at most 1000)", type: "integer"),
                         .query("offset", "Skip this many of the newest", type: "integer")],
            answers: [.ok("[AuditEntry]"), .badRequest, .unauthorized, .forbidden]
        )) { input in
            try input.require(.admin)
            let query = try auditQuery(input.fields)
            let (entries, total) = try await authenticator.store.audit(query)
            if input.wantsJSON {
                var headers = HTTPFields()
                headers[HTTPField.Name("X-Total-Count")!] = String(total)
                return try Responses.json(entries, headers: headers)
            }
            return page(input, title: "Audit", section: nil, body: AuditPages.list(entries, total: total, query: query))
        }
    }

    private func auditQuery(_ fields: FormFields) throws -> AuditQuery {
        var query = AuditQuery()
        if let user = fields["user"], !user.isEmpty { query.user = user.lowercased() }
        if let app = fields["application"], !app.isEmpty { query.application = app.lowercased() }
        let parser = ISO8601DateFormatter()
        for key in ["since", "until"] {
            guard let text = fields[key], !text.isEmpty else { continue }
            guard let date = parser.date(from: text) else {
                throw ConsoleError.invalid(key, "'\(text)' is not a time like 2026-11-28T13:00:00Z")
            }
            if key == "since" { query.since = date } else { query.until = date }
        }
        let page = try fields.page(maxLimit: Console.maxTaskPage)
        query.limit = page.limit ?? query.limit
        query.offset = page.offset ?? query.offset
        return query
    }
}
