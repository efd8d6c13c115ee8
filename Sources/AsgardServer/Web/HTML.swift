import AsgardCore
import Foundation

/// Small helpers to write HTML safely: every value that comes from outside goes through
/// `escape`.
enum HTML {
    /// `s` with `& < > " '` replaced by entities, safe in text and in quoted attributes.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A percent-encoded path segment.
    static func pathSegment(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? s
    }

    /// A date as `2026-11-28 13:05:09 UTC`.
    static func date(_ date: Date) -> String {
        let c = utc(date)
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(clock(date)) UTC"
    }

    /// A date's time of day as `13:05:09` (UTC).
    static func clock(_ date: Date) -> String {
        let c = utc(date)
        return "\(two(c.hour)):\(two(c.minute)):\(two(c.second))"
    }

    private static func utc(_ date: Date) -> DateComponents {
        Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
    }

    private static func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }

    /// The messages of `errors` about `field`, to stand next to it in a form.
    static func fieldErrors(_ errors: [FieldError], for field: String) -> String {
        errors.filter { $0.field == field }
            .map { "<span class=\"field-error\" id=\"\(field)-error\">\(escape($0.message))</span>" }.joined()
    }

    /// A table with a header row; `rows` are already-escaped cells.
    static func table(id: String, headers: [String], rows: [[String]], empty: String) -> String {
        guard !rows.isEmpty else { return "<p class=\"empty\" id=\"\(id)-empty\">\(escape(empty))</p>" }
        var out = "<table id=\"\(id)\" class=\"list\"><thead><tr>"
        out += headers.map { "<th>\(escape($0))</th>" }.joined()
        out += "</tr></thead><tbody>"
        for row in rows {
            out += "<tr>" + row.map { "<td>\($0)</td>" }.joined() + "</tr>"
        }
        return out + "</tbody></table>"
    }

    /// A two-column table of labels and already-escaped values.
    static func properties(id: String, _ pairs: [(String, String)]) -> String {
        "<table id=\"\(id)\" class=\"properties\">" + pairs.map { "<tr><th>\(escape($0.0))</th><td>\($0.1)</td></tr>" }.joined() + "</table>"
    }

    /// A destructive action behind a second step: a summary that opens a form in which the
    /// object's name is typed before the danger button acts (the server checks it too).
    static func confirmed(id: String, summary: String, action: String, hidden: [(String, String)], name: String, button: String,
                          csrf: String, note: String = "") -> String {
        let fields = hidden.map { "<input type=\"hidden\" name=\"\(escape($0.0))\" value=\"\(escape($0.1))\">" }.joined()
        return """
        <details class="confirm" id="\(id)-details"><summary id="\(id)-open">\(escape(summary))…</summary>
        <form class="edit" method="post" action="\(escape(action))">\(csrf)\(fields)\(note.isEmpty ? "" : "<p>\(note)</p>")
        <label for="\(id)-confirm">Type <b>\(escape(name))</b> to confirm</label><input id="\(id)-confirm" name="confirm" autocomplete="off">
        <div class="actions"><button class="danger" type="submit" id="\(id)">\(escape(button))</button></div></form></details>
        """
    }
}
