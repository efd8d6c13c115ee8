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
                    what(kind, o)]
        }, empty: "None.")
    }

    /// What a definition does, or why it is not run.
    static func what(_ kind: ScalingObjectKind, _ o: [String: Any]) -> String {
        (o["invalid"] as? String).map { "<span class=\"badge bad\">invalid, not run</span> \(HTML.escape($0))" } ?? HTML.escape(summary(kind, o))
    }

    /// "Scaling policies", "Alarms", "Scheduled actions".
    static func plural(_ kind: ScalingObjectKind) -> String {
        switch kind {
        case .policy: "Scaling policies"
        case .alarm: "Alarms"
        case .scheduledAction: "Scheduled actions"
        }
    }

    /// Every group's objects, one row per name and definition: a policy a new group inherited
    /// from the one before shows once, with both groups, newest first.
    static func list(_ kind: ScalingObjectKind, _ jsons: [String], region: String) -> String {
        var order: [String] = []
        var rows: [String: (name: String, what: String, groups: [String])] = [:]
        for json in jsons {
            let o = object(json)
            let name = o[nameField(kind)] as? String ?? "", group = o["autoScalingGroupName"] as? String ?? ""
            let what = what(kind, o)
            let key = name + "\u{0}" + what
            if rows[key] == nil { order.append(key) }
            rows[key, default: (name, what, [])].groups.append(group)
        }
        let cells = order.compactMap { rows[$0] }.map { row -> [String] in
            let groups = row.groups.sorted(by: >)
            return ["<a href=\"/\(region)/\(path(kind))/show/\(HTML.pathSegment(row.name))?autoScalingGroupName=\(HTML.pathSegment(groups[0]))\">\(HTML.escape(row.name))</a>",
                    groups.map { "<a href=\"/\(region)/autoScaling/show/\(HTML.pathSegment($0))\">\(HTML.escape($0))</a>" }.joined(separator: ", "),
                    row.what]
        }
        return "<h1>\(plural(kind))</h1>" + HTML.table(id: path(kind) + "s", headers: ["Name", "Server groups", "What"], rows: cells, empty: "None.")
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

    /// A chart of `metric` over the window in memory, with the threshold drawn and labelled.
    static func chart(_ metric: ScalingMetric, _ datapoints: [MetricDatapoint], threshold: Double?, id: String = "alarm-chart") -> String {
        let points = datapoints.suffix(180).compactMap { point in point.values[metric].map { (time: point.time, value: $0) } }
        return SVGChart(id: id, title: metric.rawValue, unit: "", series: [
            SVGChart.Series(name: metric.rawValue, colour: "#1f5fa8", legendClass: "legend-baseline", points: points),
        ], threshold: threshold.map { ($0, "threshold \(SVGChart.number($0))") }).render()
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
    /// Returns what the group page shows near its top (`overview`) and the forms it keeps last.
    static func groupSection(group: String, policies: [String], alarms: [String], schedules: [String], activities: [ScalingActivity]?,
                             datapoints: [MetricDatapoint], csrf: String, region: String) -> (overview: String, forms: String) {
        let name = HTML.escape(group)
        var body = "<h2>Scaling</h2>"
        body += "<h3>Policies</h3>" + table(.policy, policies, region: region, id: "scaling-policies")
        body += "<h3>Alarms</h3>" + table(.alarm, alarms, region: region, id: "alarms")
        body += "<h3>Scheduled actions</h3>" + table(.scheduledAction, schedules, region: region, id: "scheduled-actions")
        if let latest = datapoints.last {
            body += "<p class=\"hint\" id=\"group-metrics\">Last collection: " + ScalingMetric.allCases.compactMap { metric in
                latest.values[metric].map { "\(metric.rawValue) \(CanaryJudge.format($0))" }
            }.joined(separator: ", ") + "</p>"
            body += chart(.requestCountPerTarget, datapoints, threshold: nil, id: "group-chart")
        }
        if let activities {
            body += "<h3>Activities</h3><p><a href=\"/\(region)/autoScaling/activities/\(HTML.pathSegment(group))\">All activities</a></p>" + self.activities(activities)
        }
        if !policies.isEmpty || !alarms.isEmpty || !schedules.isEmpty {
            body += "<p class=\"hint\" id=\"auto-refresh\">This page refreshes every 5 s while the group scales on its own (not while a form is open).</p>"
                + "<script src=\"/static/auto-refresh.js\" data-seconds=\"5\"></script>"
        }
        let forms = """
        <h2>Change its scaling</h2>
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
        return (body, forms)
    }
}
