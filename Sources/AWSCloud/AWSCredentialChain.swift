import Foundation

/// Finds an account's credentials the way the AWS tools do: the environment
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), then the shared
/// credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`), then the shared
/// config file (`AWS_CONFIG_FILE`, else `~/.aws/config`, section `[profile NAME]`), for the
/// profile given, else `AWS_PROFILE`, else `default`.
public struct AWSCredentialChain: Sendable {
    public var environment: [String: String]
    public var home: String

    /// A chain over `environment` and the home directory `home`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, home: String = NSHomeDirectory()) {
        self.environment = environment
        self.home = home
    }

    /// The credentials for `profile` (nil: `AWS_PROFILE` or `default`).
    ///
    /// - Throws: `AWSCredentialError` saying where it looked.
    public func resolve(profile: String?) throws(AWSCredentialError) -> AWSCredentials {
        // An explicit profile in the configuration wins over the environment's keys.
        if profile == nil, let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty {
            guard let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
                throw AWSCredentialError(message: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both")
            }
            return AWSCredentials(accessKeyId: key, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
        }
        let name = profile ?? environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        let credentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        let configPath = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
        let sources = [(credentialsPath, name), (configPath, name == "default" ? "default" : "profile \(name)")]
        for (path, section) in sources {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            let values = Self.section(section, of: text)
            guard let key = values["aws_access_key_id"] else { continue }
            guard let secret = values["aws_secret_access_key"] else {
                throw AWSCredentialError(message: "profile '\(name)' in \(path) has aws_access_key_id but no aws_secret_access_key")
            }
            return AWSCredentials(accessKeyId: key, secretAccessKey: secret, sessionToken: values["aws_session_token"])
        }
        throw AWSCredentialError(message: "no credentials for profile '\(name)': set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            + "or add the profile to \(credentialsPath) or \(configPath)")
    }

    /// The `key = value` pairs of `[name]` in an INI file.
    static func section(_ name: String, of text: String) -> [String: String] {
        var values: [String: String] = [:]
        var inside = false
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                inside = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces) == name
                continue
            }
            guard inside, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            values[key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return values
    }
}

/// Credentials that cannot be found.
public struct AWSCredentialError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
