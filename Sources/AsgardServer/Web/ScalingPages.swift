import AsgardAPI
import AsgardCore
import AsgardStore
import Foundation

/// The pages of scaling policies, alarms, scheduled actions and activities.
enum ScalingPages {
    static func title(_ kind: ScalingObjectKind) -> String {
        switch kind {
        case .policy: "Scaling policy"
        case .alarm: "Alarm"
        case .scheduledAction: "Scheduled action"
        }
    }

    static func path(_ kind: ScalingObjectKind) -> String {
        kind == .policy ? "scalingPolicy" : kind.rawValue
    }

    static func object(_ json: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]) ?? [:]
    }

    static func nameField(_ kind: ScalingObjectKind) -> String {
        switch kind {
        case .policy: "policyName"
        case .alarm: "alarmName"
        case .scheduledAction: "scheduledActionName"
        }
    }

    /// What a definition does, in a few words.
    static func summary(_ kind: ScalingObjectKind, _ o: [String: Any]) -> String {
        switch kind {
        case .policy:
            if let config = o["targetTrackingConfiguration"] as? [String: Any] {
                let metric = ((config["predefinedMetricSpecification"] as? [String: Any])?["predefinedMetricType"] as? String)
                    ?? ((config["customizedMetricSpecification"] as? [String: Any])?["metricName"] as? String) ?? "?"
                return "keep \(metric) at \(config["targetValue"] ?? "?")" + ((config["disableScaleIn"] as? Bool) == true ? ", never in" : "")
            }
            if let steps = o["stepAdjustments"] as? [[String: Any]] {
                return "\(o["adjustmentType"] ?? "") by steps: " + steps.map { "[\($0["metricIntervalLowerBound"] ?? "-∞"), \($0["metricIntervalUpperBound"] ?? "∞")) → \($0["scalingAdjustment"] ?? 0)" }.joined(separator: ", ")
            }
            return "\(o["adjustmentType"] ?? "") \(o["scalingAdjustment"] ?? ""), cooldown \(o["cooldown"] ?? 300) s"
        case .alarm:
            return "\(o["metricName"] ?? "") \(o["statistic"] ?? "") \(o["comparisonOperator"] ?? "") \(o["threshold"] ?? "") for \(o["datapointsToAlarm"] ?? 1) of \(o["evaluationPeriods"] ?? 1) × \(o["period"] ?? 60) s; state \(o["stateValue"] ?? "")"
        case .scheduledAction:
            let when = (o["recurrence"] as? String).map { "\($0) (\(o["timeZone"] as? String ?? "UTC"))" } ?? "once at \(o["startTime"] ?? "?")"
            let sizes = [("min", o["minSize"]), ("desired", o["desiredCapacity"]), ("max", o["maxSize"])].compactMap { k, v in v.map { "\(k) \($0)" } }
            return "\(when): " + sizes.joined(separator: ", ") + ((o["lastRun"] as? String).map { "; last run \($0)" } ?? "")
        }
    }

    static func table(_ kind: ScalingObjectKind, _ jsons: [String], region: String, id: String) -> String {
        HTML.table(id: id, headers: ["Name", "Server group", "What"], rows: jsons.map { json in
            let o = object(json)
            let name = o[nameField(kind)] as? String ?? "", group = o["autoScalingGroupName"] as? String ?? ""
            return ["<a href=\"/\(region)/\(path(kind))/show/\(HTML.pathSegment(name))?autoScalingGroupName=\(HTML.pathSegment(group))\">\(HTML.escape(name))</a>",
                    "<a href=\"/\(region)/autoScaling/show/\(HTML.pathSegment(group))\">\(HTML.escape(group))</a>",
                    (o["invalid"] as? String).map { "<span class=\"badge bad\">invalid, not run</span> \(HTML.escape($0))" } ?? HTML.escape(summary(kind, o))]
        }, empty: "None.")
    }

    static func list(_ kind: ScalingObjectKind, _ jsons: [String], region: String) -> String {
        "<h1>\(title(kind))s</h1>" + table(kind, jsons, region: region, id: path(kind) + "s")
    }

    static func show(_ kind: ScalingObjectKind, _ json: String, datapoints: [MetricDatapoint], csrf: String, region: String) -> String {
        let o = object(json)
        let name = o[nameField(kind)] as? String ?? "", group = o["autoScalingGroupName"] as? String ?? ""
        var body = "<h1>\(title(kind)): \(HTML.escape(name))</h1><p>\(HTML.escape(summary(kind, o)))</p>"
        if let invalid = o["invalid"] as? String {
            body += "<div class=\"flash error\" id=\"definition-invalid\">This \(title(kind).lowercased()) is invalid and is not run: \(HTML.escape(invalid)). Delete it, or save it again with valid values.</div>"
        }
        if kind == .alarm, let metric = (o["metricName"] as? String).flatMap(ScalingMetric.init(rawValue:)) {
            body += "<p id=\"alarm-state\" class=\"state-\(o["stateValue"] ?? "")\">\(HTML.escape(o["stateValue"] as? String ?? "")): \(HTML.escape(o["stateReason"] as? String ?? ""))</p>"
            body += chart(metric, datapoints, threshold: (o["threshold"] as? Double) ?? (o["threshold"] as? Int).map(Double.init))
        }
        body += "<pre class=\"log\">\(HTML.escape(prettyJSON(json)))</pre>"
        body += HTML.confirmed(id: "delete-scaling", summary: "Delete this \(title(kind).lowercased())", action: "/\(region)/\(path(kind))/delete",
                               hidden: [(nameField(kind), name), ("autoScalingGroupName", group)], name: name, button: "Delete \(name)", csrf: csrf)
        body += "<p><a href=\"/\(region)/autoScaling/show/\(HTML.pathSegment(group))\">Back to \(HTML.escape(group))</a></p>"
        return body
    }

    static func prettyJSON(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) else { return json }
        return String(decoding: data, as: UTF8.self)
    }

    /// A small chart of `metric` over the window in memory, with the threshold as a line.
    static func chart(_ metric: ScalingMetric, _ datapoints: [MetricDatapoint], threshold: Double?) -> String {
        let points = datapoints.suffix(180).compactMap { point in point.values[metric].map { (point.time, $0) } }
        guard let first = points.first?.0, let last = points.last?.0 else { return "<p class=\"hint\">No data yet for \(metric.rawValue).</p>" }
        let width = 480.0, height = 140.0, left = 40.0, bottom = 18.0, top = 8.0
        let highest = max(points.map(\.1).max() ?? 0, threshold ?? 0) * 1.1
        let span = max(1, last.timeIntervalSince(first))
        func x(_ t: Date) -> Double { left + (width - left - 6) * t.timeIntervalSince(first) / span }
        func y(_ v: Double) -> Double { top + (height - top - bottom) * (1 - v / max(highest, 1e-9)) }
        let line = points.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
        let limit = threshold.map { String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b3261e\" stroke-dasharray=\"4 3\"/>", left, y($0), width, y($0)) } ?? ""
        return """
        <figure class="chart" id="alarm-chart"><figcaption>\(metric.rawValue), last \(Int(span)) s (threshold dashed)</figcaption>\
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="\(metric.rawValue) against its threshold">\
        <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(height - bottom)" stroke="#999"/><line x1="\(left)" y1="\(height - bottom)" x2="\(width)" y2="\(height - bottom)" stroke="#999"/>\
        <text x="2" y="\(top + 8)" font-size="9" fill="#555">\(CanaryJudge.format(highest))</text><text x="2" y="\(height - bottom)" font-size="9" fill="#555">0</text>\
        \(limit)<polyline fill="none" stroke="#1f5fa8" stroke-width="2" points="\(line)"/></svg></figure>
        """
    }

    /// Reloads the page every few seconds unless a form is open or being filled in.
    static let autoRefreshScript = """
    (function () {
      var seconds = parseInt(document.currentScript.getAttribute("data-seconds"), 10) || 5;
      setInterval(function () {
        var busy = document.querySelector("details[open]") || (document.activeElement && /INPUT|SELECT|TEXTAREA/.test(document.activeElement.tagName));
        if (!busy) { location.reload(); }
      }, seconds * 1000);
    })();
    """

    static func activities(_ activities: [ScalingActivity]) -> String {
        HTML.table(id: "activities", headers: ["Time", "Status", "Description", "Cause"], rows: activities.map {
            [HTML.date($0.startTime), $0.statusCode.rawValue, HTML.escape($0.description), HTML.escape($0.cause)]
        }, empty: "No activity yet.")
    }

    /// The group page's scaling section: its policies, alarms and schedules, forms to add a
    /// target tracking policy and a scheduled action, and the recent activities.
    /// A group's scaling; `activities` nil where AWS keeps them (an AWS region).
    static func groupSection(group: String, policies: [String], alarms: [String], schedules: [String], activities: [ScalingActivity]?,
                             datapoints: [MetricDatapoint], csrf: String, region: String) -> String {
        let name = HTML.escape(group)
        var body = "<h2>Scaling</h2>"
        body += "<h3>Policies</h3>" + table(.policy, policies, region: region, id: "scaling-policies")
        body += "<h3>Alarms</h3>" + table(.alarm, alarms, region: region, id: "alarms")
        body += "<h3>Scheduled actions</h3>" + table(.scheduledAction, schedules, region: region, id: "scheduled-actions")
        if let latest = datapoints.last {
            body += "<p class=\"hint\" id=\"group-metrics\">Last collection: " + ScalingMetric.allCases.compactMap { metric in
                latest.values[metric].map { "\(metric.rawValue) \(CanaryJudge.format($0))" }
            }.joined(separator: ", ") + "</p>"
            body += chart(.requestCountPerTarget, datapoints, threshold: nil)
        }
        body += """
        <details id="add-policy"><summary>Add a target tracking policy…</summary>
        <form class="edit" method="post" action="/\(region)/scalingPolicy/save" id="policy-form">\(csrf)<input type="hidden" name="autoScalingGroupName" value="\(name)">
        <label for="policyName">Name</label><input id="policyName" name="policyName" value="keep-requests">
        <label for="predefinedMetricType">Metric</label><select id="predefinedMetricType" name="predefinedMetricType">\(activities == nil
            ? "<option value=\"ASGAverageCPUUtilization\">average CPU %</option>"
            : "<option value=\"ALBRequestCountPerTarget\">requests per instance per minute</option><option value=\"ASGAverageCPUUtilization\">average CPU %</option>")</select>
        <label for="targetValue">Target</label><input id="targetValue" name="targetValue" value="\(activities == nil ? "50" : "600")">
        <label for="estimatedInstanceWarmup">Warmup (s)</label><input id="estimatedInstanceWarmup" name="estimatedInstanceWarmup" value="60">
        <div class="actions"><button type="submit" id="save-policy">Save policy</button></div></form></details>
        <details id="add-schedule"><summary>Add a scheduled action…</summary>
        <form class="edit" method="post" action="/\(region)/scheduledAction/save" id="schedule-form">\(csrf)<input type="hidden" name="autoScalingGroupName" value="\(name)">
        <label for="scheduledActionName">Name</label><input id="scheduledActionName" name="scheduledActionName" value="morning">
        <label for="recurrence">Recurrence (cron)</label><input id="recurrence" name="recurrence" value="0 8 * * 1-5">
        <label for="timeZone">Time zone</label><input id="timeZone" name="timeZone" value="UTC">
        <label for="schedule-desired">Desired capacity</label><input id="schedule-desired" name="desiredCapacity" value="2">
        <div class="actions"><button type="submit" id="save-schedule">Save scheduled action</button></div></form></details>
        """
        if let activities {
            body += "<h3>Activities</h3><p><a href=\"/\(region)/autoScaling/activities/\(HTML.pathSegment(group))\">All activities</a></p>" + self.activities(activities)
        }
        if !policies.isEmpty || !alarms.isEmpty || !schedules.isEmpty {
            body += "<p class=\"hint\" id=\"auto-refresh\">This page refreshes every 5 s while the group scales on its own (not while a form is open).</p>"
                + "<script src=\"/static/auto-refresh.js\" data-seconds=\"5\"></script>"
        }
        return body
    }
}
