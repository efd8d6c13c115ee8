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
