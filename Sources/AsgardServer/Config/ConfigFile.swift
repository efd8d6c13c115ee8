import AWSCloud
import AsgardCore
import Foundation
import Logging
import Yams

/// A configuration file that cannot be used, with the file, line and key at fault.
public struct ConfigFileError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// The 1-based line, when known.
    public var line: Int?
    /// The key at fault, when one is.
    public var key: String?
    /// What is wrong and how to fix it.
    public var message: String

    public var description: String {
        var location = path
        if let line { location += ":\(line)" }
        return "\(location): \(key.map { "\($0): " } ?? "")\(message)"
    }
}

/// Reads `asgard.yaml`. Known keys:
///
/// ```yaml
/// host: 127.0.0.1
/// port: 8080
/// dataDir: .asgard
/// logLevel: info
/// accounts:
///   - name: local
///     provider: local
///     regions: [local]
///   - name: test
///     provider: aws
///     regions: [us-east-1]
///     endpoint: http://127.0.0.1:5000   # optional: moto, LocalStack, a VPC endpoint
///     profile: test                     # optional: else AWS_PROFILE, else default
/// ```
///
/// An `aws` account's credentials come from the standard chain (`AWSCredentialChain`) when the
/// file is read, so that a missing key stops the start with the account named.
public enum ConfigFile {
    /// Applies the file at `path` over `base`.
    ///
    /// - Throws: `ConfigFileError` naming the line and key of the first problem.
    public static func load(_ path: String, over base: ServerConfig,
                            credentials: AWSCredentialChain = AWSCredentialChain()) throws(ConfigFileError) -> ServerConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigFileError(path: path, line: nil, key: nil, message: "cannot be read; check the path and its permissions")
        }
        return try parse(text, path: path, over: base, credentials: credentials)
    }

    /// Applies YAML `text` over `base`; `path` names it in errors.
    public static func parse(_ text: String, path: String, over base: ServerConfig,
                             credentials: AWSCredentialChain = AWSCredentialChain()) throws(ConfigFileError) -> ServerConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigFileError(path: path, line: line(of: error), key: nil, message: "is not valid YAML: \(error)")
        } catch {
            throw ConfigFileError(path: path, line: nil, key: nil, message: "is not valid YAML: \(error)")
        }
        guard let root else { return base }
        guard let mapping = root.mapping else {
            throw ConfigFileError(path: path, line: lineOf(root), key: nil, message: "must be a mapping of keys such as 'port: 8080'")
        }
        var config = base
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            func fail(_ message: String) -> ConfigFileError {
                ConfigFileError(path: path, line: lineOf(value) ?? lineOf(keyNode), key: key, message: message)
            }
            switch key {
            case "host":
                guard let host = value.string, !host.isEmpty else { throw fail("must be an address such as 127.0.0.1") }
                config.host = host
            case "port":
                guard let port = value.int, (0...65535).contains(port) else { throw fail("must be a port number from 0 to 65535") }
                config.port = port
            case "dataDir":
                guard let dir = value.string, !dir.isEmpty else { throw fail("must be a directory path") }
                config.dataDir = dir
            case "logLevel":
                guard let text = value.string, let level = Logger.Level(rawValue: text) else {
                    throw fail("must be one of trace, debug, info, notice, warning, error, critical")
                }
                config.logLevel = level
            case "accounts":
                config.accounts = try accounts(value, path: path)
                config.awsCredentials = [:]
                for (index, account) in config.accounts.enumerated() where account.provider == "aws" {
                    do {
                        config.awsCredentials[account.name] = try credentials.resolve(profile: account.profile)
                    } catch {
                        let item = value.sequence?[index]
                        throw ConfigFileError(path: path, line: item.flatMap(lineOf), key: "accounts[\(index)]", message: "(\(account.name)) \(error.message)")
                    }
                }
            case "metricsIntervalSeconds":
                guard let seconds = value.int, (1...300).contains(seconds) else { throw fail("must be a number of seconds from 1 to 300") }
                config.metricsInterval = .seconds(seconds)
            case "auth":
                try section(value, named: "auth", keys: ["anonymousRead", "sessionIdleMinutes"], path: path) { (name, value, fail) throws(ConfigFileError) in
                    switch name {
                    case "anonymousRead":
                        guard let flag = value.bool else { throw fail("must be true or false") }
                        config.anonymousRead = flag
                    default:
                        guard let minutes = value.int, (1...10_080).contains(minutes) else { throw fail("must be a whole number of minutes from 1 to 10080") }
                        config.sessionIdleMinutes = minutes
                    }
                }
            case "aws":
                try section(value, named: "aws", keys: ["cacheRefreshSeconds", "requestsPerSecond", "instancePageSize"], path: path) { (name, value, fail) throws(ConfigFileError) in
                    switch name {
                    case "cacheRefreshSeconds":
                        guard let seconds = value.int, (1...3600).contains(seconds) else { throw fail("must be a number of seconds from 1 to 3600") }
                        config.cacheRefreshInterval = .seconds(seconds)
                    case "requestsPerSecond":
                        guard let rate = value.float, rate >= 1, rate <= 10_000 else { throw fail("must be a number of calls per second from 1 to 10000") }
                        config.awsRequestsPerSecond = rate
                    default:
                        guard let size = value.int, (5...1000).contains(size) else { throw fail("must be a whole number from 5 to 1000 (AWS's limits)") }
                        config.awsInstancePageSize = size
                    }
                }
            case "prometheus":
                try section(value, named: "prometheus", keys: ["url", "bearerToken"], path: path) { (name, value, fail) throws(ConfigFileError) in
                    guard let text = value.string, !text.isEmpty, text.utf8.count <= 2048 else { throw fail("must be a non-empty string") }
                    switch name {
                    case "url":
                        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                            throw fail("must be Prometheus' address such as http://127.0.0.1:9090")
                        }
                        config.prometheusURL = url
                    default:
                        config.prometheusBearerToken = text
                    }
                }
            case "database":
                try section(value, named: "database", keys: ["url"], path: path) { (_, value, fail) throws(ConfigFileError) in
                    guard let text = value.string else { throw fail("must be a URL such as postgres://user:password@host:5432/database") }
                    do {
                        config.databaseURL = try DatabaseURL(parsing: text)
                    } catch let error as FieldError {
                        throw fail(error.message)
                    } catch {
                        throw fail("is not a database URL")
                    }
                }
            default:
                throw ConfigFileError(path: path, line: lineOf(keyNode), key: key,
                                      message: "is not a known key; known keys are host, port, dataDir, logLevel, metricsIntervalSeconds, accounts, auth, aws, database, prometheus")
            }
        }
        return config
    }

    /// Walks a section such as `auth:`, a mapping of the `keys` named: `body` gets each key with
    /// its value and a way to fail naming `section.key` and its line; any other key is refused.
    private static func section(_ node: Node, named section: String, keys: [String], path: String,
                                _ body: (String, Node, (String) -> ConfigFileError) throws(ConfigFileError) -> Void) throws(ConfigFileError) {
        let listed = keys.dropLast().joined(separator: ", ") + " and " + keys.last!
        guard let mapping = node.mapping else {
            throw ConfigFileError(path: path, line: lineOf(node), key: section, message: "must be a mapping with \(listed)")
        }
        for (keyNode, value) in mapping {
            let name = keyNode.string ?? ""
            guard keys.contains(name) else {
                throw ConfigFileError(path: path, line: lineOf(keyNode), key: "\(section).\(name)", message: "is not a known key; \(section) takes \(listed)")
            }
            try body(name, value) { message in
                ConfigFileError(path: path, line: lineOf(value) ?? lineOf(keyNode), key: "\(section).\(name)", message: message)
            }
        }
    }

    private static func accounts(_ node: Node, path: String) throws(ConfigFileError) -> [AccountConfig] {
        guard let sequence = node.sequence, !sequence.isEmpty else {
            throw ConfigFileError(path: path, line: lineOf(node), key: "accounts", message: "must be a list of accounts, each with name, provider and regions")
        }
        var result: [AccountConfig] = []
        for (index, item) in sequence.enumerated() {
            let prefix = "accounts[\(index)]"
            guard let mapping = item.mapping else {
                throw ConfigFileError(path: path, line: lineOf(item), key: prefix, message: "must be a mapping with name, provider and regions")
            }
            var name: String?
            var provider = "local"
            var regions: [Region] = []
            var endpoint: String?
            var profile: String?
            var providerLine: Int?
            var regionsLine: Int?
            for (keyNode, value) in mapping {
                let key = keyNode.string ?? ""
                let fail = { (message: String) in
                    ConfigFileError(path: path, line: lineOf(value) ?? lineOf(keyNode), key: "\(prefix).\(key)", message: message)
                }
                switch key {
                case "name":
                    guard let text = value.string, !text.isEmpty else { throw fail("must be a name such as local or prod") }
                    name = text
                case "provider":
                    guard let text = value.string, text == "local" || text == "aws" else {
                        throw fail("must be 'local' or 'aws'")
                    }
                    provider = text
                    providerLine = lineOf(value)
                case "endpoint":
                    guard let text = value.string, let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                        throw fail("must be an http(s) URL such as http://127.0.0.1:5000")
                    }
                    endpoint = text
                case "profile":
                    guard let text = value.string, !text.isEmpty else { throw fail("must be the name of a profile in ~/.aws/credentials or ~/.aws/config") }
                    profile = text
                case "regions":
                    guard let list = value.sequence, !list.isEmpty else { throw fail("must be a list of region names") }
                    regionsLine = lineOf(value)
                    for regionNode in list {
                        guard let text = regionNode.string, !text.isEmpty else { throw fail("must be a list of region names") }
                        if let other = result.first(where: { $0.regions.contains(Region(text)) }) {
                            throw fail("region '\(text)' is already managed by account '\(other.name)'; each region belongs to one account")
                        }
                        regions.append(Region(text))
                    }
                default:
                    throw ConfigFileError(path: path, line: lineOf(keyNode), key: "\(prefix).\(key)",
                                          message: "is not a known key; accounts take name, provider, regions, endpoint and profile")
                }
            }
            if provider == "aws" {
                guard !regions.isEmpty else {
                    throw ConfigFileError(path: path, line: providerLine ?? lineOf(item), key: "\(prefix).regions", message: "is required for an aws account, e.g. [us-east-1]")
                }
                for region in regions where !isAWSRegion(region.rawValue) {
                    throw ConfigFileError(path: path, line: regionsLine ?? lineOf(item), key: "\(prefix).regions",
                                          message: "'\(region)' is not an AWS region name such as us-east-1")
                }
            } else if endpoint != nil || profile != nil {
                throw ConfigFileError(path: path, line: lineOf(item), key: "\(prefix).\(endpoint != nil ? "endpoint" : "profile")",
                                      message: "applies to aws accounts only")
            }
            guard let name else {
                throw ConfigFileError(path: path, line: lineOf(item), key: "\(prefix).name", message: "is required")
            }
            if regions.isEmpty { regions = [Region(provider)] }
            if result.contains(where: { $0.name.rawValue == name }) {
                throw ConfigFileError(path: path, line: lineOf(item), key: "\(prefix).name", message: "'\(name)' is configured twice")
            }
            result.append(AccountConfig(name: AccountName(name), provider: provider, regions: regions, endpoint: endpoint, profile: profile))
        }
        return result
    }

    /// `us-east-1`, `eu-central-2`, `us-gov-west-1`: lower-case words and a number.
    static func isAWSRegion(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let last = parts.last, !last.isEmpty, last.allSatisfy(\.isNumber) else { return false }
        return parts.dropLast().allSatisfy { !$0.isEmpty && $0.allSatisfy { ("a"..."z").contains($0) } }
    }

    private static func lineOf(_ node: Node) -> Int? {
        node.mark.map { $0.line }
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }
}
