import Foundation

/// The console's messages point to its pages ("see /local/image/list"); in the CLI they name
/// the command that shows the same.
enum CLIText {
    /// Commands by the controller of a list page.
    static let commands: [String: String] = [
        "image": "image list", "autoScaling": "asg list", "loadBalancer": "lb list", "security": "sg list", "cluster": "cluster list",
        "instance": "instance list", "scalingPolicy": "policy list", "alarm": "alarm list", "scheduledAction": "schedule list",
        "task": "task list", "deployment": "deployment list", "user": "user list", "application": "app list", "token": "token list",
    ]

    /// `message` with each `/{region}/{controller}/list` or `/{controller}/list` it names written as
    /// the `asgard` command (with `--region` for a region other than local).
    static func commands(in message: String) -> String {
        let pattern = #"/(?:([A-Za-z0-9-]+)/)?([A-Za-z]+)/list\b"#
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return message }
        var result = message
        let whole = NSRange(message.startIndex..., in: message)
        for match in expression.matches(in: message, range: whole).reversed() {
            guard let controllerRange = Range(match.range(at: 2), in: message), let command = commands[String(message[controllerRange])],
                  let range = Range(match.range, in: result) else { continue }
            let region = Range(match.range(at: 1), in: message).map { String(message[$0]) }
            let suffix = region.map(GlobalOptions.regionFlag) ?? ""
            result.replaceSubrange(range, with: "`asgard \(command)\(suffix)`")
        }
        return result
    }
}
