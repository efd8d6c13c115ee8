import ArgumentParser
import Foundation

/// How CLI output is printed.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// Options every API command takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The console's address (env ASGARD_URL).")
    var server: String = ProcessInfo.processInfo.environment["ASGARD_URL"] ?? "http://127.0.0.1:8080"

    @Option(help: "The region to act in, e.g. us-east-1 (env ASGARD_REGION).")
    var region: String = ProcessInfo.processInfo.environment["ASGARD_REGION"].flatMap { $0.isEmpty ? nil : $0 } ?? "local"

    @Option(help: "An API token, sent as 'Authorization: Bearer …' (env ASGARD_TOKEN; default: the one `asgard login` stored).")
    var token: String?

    @Option(help: "table for people, json for scripts (the API's own JSON).")
    var output: OutputFormat = .table

    /// A client for the configured server.
    /// ` --region R` for a region other than local, to repeat in the commands a hint names.
    var regionFlag: String { Self.regionFlag(region) }

    /// ` --region R` for `region`, empty for local (the default).
    static func regionFlag(_ region: String) -> String { region == "local" ? "" : " --region \(region)" }

    func client() -> APIClient {
        APIClient(server: server, token: token ?? ProcessInfo.processInfo.environment["ASGARD_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
            ?? CredentialsFile().token(for: server))
    }
}

/// The window and filters every list takes, sent as the API's query parameters.
struct ListOptions: ParsableArguments {
    @Option(help: "At most this many (1 to 10000; default: all).") var limit: Int?
    @Option(help: "Skip this many of those that match.") var offset: Int?
    @Option(help: "Only this application's.") var app: String?
    @Option(help: "Only this cluster's.") var cluster: String?
    @Option(help: "Only those in this state (instances: InService, Pending…; server groups: enabled, disabled, none).") var state: String?
    @Option(help: "Only those behind this load balancer.") var loadBalancer: String?
    @Option(help: "Only those whose name, id, address or image contains this.") var match: String?

    /// The query parameters; `fallback` is the application when `--app` is not given.
    func query(app fallback: String? = nil) -> [(String, String)] {
        var query: [(String, String)] = []
        for (name, value) in [("limit", limit.map(String.init)), ("offset", offset.map(String.init)), ("app", app ?? fallback), ("cluster", cluster),
                              ("state", state), ("loadBalancer", loadBalancer), ("q", match)] {
            if let value { query.append((name, value)) }
        }
        return query
    }

    /// "Showing 1–50 of 2000; --offset 50 for more" when the list answered a part of what matched.
    func footer(shown: Int, total: String?) -> String? {
        guard let total = total.flatMap(Int.init), shown < total else { return nil }
        let start = offset ?? 0
        let more = start + shown < total ? "; --offset \(start + shown) for more" : ""
        return "Showing \(shown == 0 ? 0 : start + 1)–\(start + shown) of \(total)\(more)"
    }
}
