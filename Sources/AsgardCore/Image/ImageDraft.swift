import Foundation

/// What a person submits to register a local image, before validation.
public struct ImageDraft: Sendable, Hashable {
    public var name: String?
    public var version: String?
    public var command: [String]?
    public var env: [String: String]?
    public var workingDirectory: String?

    /// Creates a draft.
    public init(name: String? = nil, version: String? = nil, command: [String]? = nil, env: [String: String]? = nil,
                workingDirectory: String? = nil) {
        self.name = name
        self.version = version
        self.command = command
        self.env = env
        self.workingDirectory = workingDirectory
    }

    /// The environment variables the local cloud sets itself, which an image may not set.
    public static let reservedEnvironment: Set<String> = ["PORT", "ASGARD_INSTANCE_ID"]
    /// The prefix of the variables derived from the group name (`CLOUD_APP` …), also reserved.
    public static let reservedEnvironmentPrefix = "CLOUD_"
    /// The most arguments and environment variables accepted.
    public static let maxItems = 256
    /// The longest argument, variable value or path accepted.
    public static let maxLength = 4096

    /// Checks every field.
    ///
    /// - Parameters:
    ///   - isExecutable: whether a path is an executable file (the first argument, resolved).
    ///   - findOnPath: the absolute path of a bare command name found on PATH, or nil.
    ///   - isDirectory: whether a path is an existing directory.
    /// - Returns: the record to store, with the command's first element as given.
    /// - Throws: `ValidationFailure` listing every wrong field.
    public func validated(id: ImageID, now: Date, isExecutable: (String) -> Bool, findOnPath: (String) -> String?,
                          isDirectory: (String) -> Bool) throws(ValidationFailure) -> ImageRecord {
        var problems: [FieldError] = []
        let name = (self.name ?? "").trimmingSpaces()
        if let problem = NameValidation.applicationNameProblem(name) {
            problems.append(FieldError(field: "name", message: "the application the image packages: \(problem)"))
        }
        let version = (self.version ?? "").trimmingSpaces()
        if version.isEmpty || version.count > 64
            || !version.allSatisfy({ NameCharacters.isAlphanumeric($0) || ".-_+".contains($0) }) {
            problems.append(FieldError(field: "version", message: "'\(version)' must be 1 to 64 characters of a-z, A-Z, 0-9, '.', '-', '_' and '+'"))
        }
        let command = self.command ?? []
        if command.isEmpty || command[0].isEmpty {
            problems.append(FieldError(field: "command", message: "is required: the program and its arguments, e.g. [\"/usr/bin/python3\", \"-m\", \"http.server\"]"))
        } else if command.count > ImageDraft.maxItems || command.contains(where: { $0.count > ImageDraft.maxLength || $0.contains("\0") }) {
            problems.append(FieldError(field: "command", message: "at most \(ImageDraft.maxItems) arguments of at most \(ImageDraft.maxLength) characters, without NUL"))
        } else {
            let program = command[0]
            if program.hasPrefix("/") {
                if !isExecutable(program) {
                    problems.append(FieldError(field: "command", message: "'\(program)' is not an executable file on this host"))
                }
            } else if program.contains("/") {
                problems.append(FieldError(field: "command", message: "'\(program)' must be an absolute path or a name on PATH; it is run without a shell"))
            } else if findOnPath(program) == nil {
                problems.append(FieldError(field: "command", message: "'\(program)' is not on PATH; give its absolute path"))
            }
        }
        let env = self.env ?? [:]
        if env.count > ImageDraft.maxItems {
            problems.append(FieldError(field: "env", message: "at most \(ImageDraft.maxItems) variables"))
        }
        for (key, value) in env.sorted(by: { $0.key < $1.key }) {
            let wellFormed = !key.isEmpty && (NameCharacters.isLetter(key.first!) || key.first == "_")
                && key.allSatisfy { NameCharacters.isAlphanumeric($0) || $0 == "_" }
            if !wellFormed {
                problems.append(FieldError(field: "env", message: "'\(key)' is not a variable name like MY_SETTING"))
            } else if ImageDraft.reservedEnvironment.contains(key) || key.hasPrefix(ImageDraft.reservedEnvironmentPrefix) {
                problems.append(FieldError(field: "env", message: "'\(key)' is set by the local cloud for each instance and cannot be set by an image"))
            } else if value.count > ImageDraft.maxLength || value.contains("\0") {
                problems.append(FieldError(field: "env", message: "the value of '\(key)' must be at most \(ImageDraft.maxLength) characters, without NUL"))
            }
        }
        var directory: String?
        if let text = workingDirectory?.trimmingSpaces(), !text.isEmpty {
            if !text.hasPrefix("/") || text.split(separator: "/").contains("..") || !isDirectory(text) {
                problems.append(FieldError(field: "workingDirectory", message: "'\(text)' must be the absolute path of an existing directory"))
            }
            directory = text
        }
        guard problems.isEmpty else { throw ValidationFailure(problems) }
        return ImageRecord(imageId: id, name: name.lowercased(), version: version, command: command, env: env,
                           workingDirectory: directory, createTime: now)
    }

    /// Parses `KEY=value` lines, the form of `env` in HTML forms.
    ///
    /// - Throws: `FieldError` for a line without `=`.
    public static func parseEnvironment(_ text: String) throws(FieldError) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let trimmed = String(line).trimmingSpaces()
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw FieldError(field: "env", message: "'\(trimmed)' must look like KEY=value")
            }
            result[String(trimmed[..<equals])] = String(trimmed[trimmed.index(after: equals)...])
        }
        return result
    }
}
