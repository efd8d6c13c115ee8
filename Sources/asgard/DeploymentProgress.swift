import AsgardAPI
import AsgardCore
import Foundation

/// Follows a deployment until it ends: on a terminal, its steps redrawn in place with the last
/// log line; otherwise each new log line, plainly, for scripts and CI logs.
enum DeploymentProgress {
    static func follow(_ id: TaskID, client: APIClient, inPlace: Bool) async throws -> DeploymentJSON {
        var printed = 0
        var drawn = 0
        var lastAnswer = ContinuousClock.now
        while true {
            let reply: APIClient.Reply
            do {
                reply = try await client.get("/deployment/show/\(id).json")
                lastAnswer = .now
            } catch let error as CLIError where error.serverUnreachable {
                // A server that restarts resumes its deployments: wait for it a while.
                guard ContinuousClock.now - lastAnswer < .seconds(60) else {
                    throw CLIError(description: "Lost the server while following deployment \(id): \(error.description). The deployment goes on "
                        + "when the server runs again; follow it with `asgard deployment follow \(id)`", exitCode: 2)
                }
                try await Task.sleep(for: .milliseconds(500))
                continue
            }
            let deployment = try APIJSON.decoder().decode(DeploymentJSON.self, from: reply.body)
            let log = deployment.log ?? []
            if inPlace {
                let (frame, rows) = Self.frame(render(deployment), replacing: drawn, columns: Terminal.columns())
                FileHandle.standardOutput.write(Data(frame.utf8))
                drawn = rows
            } else {
                // Written at once, not when a pipe's buffer fills: a script or a CI log sees each line as it comes.
                for line in log.dropFirst(printed) { FileHandle.standardOutput.write(Data("\(TableOutput.date(line.time))  \(line.message)\n".utf8)) }
                printed = log.count
            }
            if deployment.status.isFinished { return deployment }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The text that draws `lines` over the `drawn` rows of the last frame on a terminal of
    /// `columns`: back to the last frame's first row, each line cleared and drawn, then everything
    /// below cleared (what a longer last frame left). Answers the text and how many rows it takes,
    /// counting the rows a line longer than the terminal wraps onto.
    static func frame(_ lines: [String], replacing drawn: Int, columns: Int) -> (String, Int) {
        var text = drawn > 0 ? "\u{1B}[\(drawn)F" : "\r"
        var rows = 0
        for line in lines {
            text += "\u{1B}[2K" + line + "\n"
            rows += max(1, (line.count + columns - 1) / max(1, columns))
        }
        return (text + "\u{1B}[J", rows)
    }

    /// A duration as a person reads it: 420 ms, 4.2 s, 8 min 40 s.
    static func duration(_ seconds: TimeInterval) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        return "\(whole / 60) min \(whole % 60) s"
    }

    /// The lines that show where a deployment is, each step with how long it took.
    static func render(_ d: DeploymentJSON) -> [String] {
        var lines = ["Deployment \(d.id) of \(d.imageLabel) to \(d.cluster) (\(d.strategy.rawValue)): \(d.status.rawValue)"]
        var began = d.startTime
        for (index, step) in d.steps.enumerated() {
            let time = step.finishedTime.map { finished in
                defer { began = finished }
                return "  \(duration(max(0, finished.timeIntervalSince(began))))"
            } ?? ""
            lines.append("  \(mark(step.state)) \(index + 1). \(step.description)\(step.state == "done" ? time : "  (\(step.state))")")
        }
        if let weight = d.canaryWeight {
            var line = "  Canary \(d.newGroup ?? "") at \(weight) % of the requests"
            if let last = d.intervals?.last {
                line += "; last judgment: score \(Int(last.verdict.score.rounded())), \(last.verdict.outcome.rawValue)"
                    + " (error rate \(String(format: "%.1f", last.canary.errorRate * 100)) % vs \(String(format: "%.1f", last.baseline.errorRate * 100)) %,"
                    + " p99 \(String(format: "%.1f", last.canary.p99)) ms vs \(String(format: "%.1f", last.baseline.p99)) ms)"
            }
            lines.append(line)
        }
        if d.status == .waiting {
            lines.append("  Waiting for a judgment: asgard deployment proceed \(d.id) | asgard deployment rollback \(d.id)")
        }
        if let last = d.log?.last { lines.append("  " + String(last.message.prefix(160))) }
        return lines
    }

    /// A step's state as one character.
    static func mark(_ state: String) -> String {
        switch state {
        case "done": "✓"
        case "running": "▸"
        case "waiting": "?"
        case "failed", "canceled", "rolledBack": "✗"
        default: "·"
        }
    }
}

/// The terminal the CLI writes to.
enum Terminal {
    /// Its width in columns; 80 when it cannot tell.
    static func columns() -> Int {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
