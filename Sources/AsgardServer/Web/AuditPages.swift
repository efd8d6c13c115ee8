import AsgardCore
import AsgardStore

/// The audit page's content.
enum AuditPages {
    static func list(_ entries: [AuditRecord], total: Int, query: AuditQuery) -> String {
        let rows = entries.map { e -> [String] in
            [HTML.date(e.time), HTML.escape(e.user), HTML.escape(e.address), HTML.escape(e.action),
             HTML.escape([e.objectType, e.objectId].compactMap { $0 }.joined(separator: " ")),
             HTML.escape(e.application ?? ""), "<span class=\"outcome-\(e.outcome.rawValue)\">\(e.outcome.rawValue)</span>",
             String(e.status), e.taskId.map { "<a href=\"/task/show/\($0)\">\($0)</a>" } ?? "", HTML.escape(e.message)]
        }
        var body = "<h1>Audit log</h1><form method=\"get\" action=\"/audit/list\" class=\"actions\">"
        body += "<label>User <input name=\"user\" value=\"\(HTML.escape(query.user ?? ""))\"></label>"
        body += "<label>Application <input name=\"application\" value=\"\(HTML.escape(query.application ?? ""))\"></label>"
        body += "<button type=\"submit\">Filter</button><span>\(total) entr\(total == 1 ? "y" : "ies")</span></form>"
        return body + HTML.table(id: "audit", headers: ["Time", "User", "Address", "Action", "Object", "Application", "Outcome", "Status", "Task", "Message"],
                                 rows: rows, empty: "Nothing recorded yet.")
    }
}
