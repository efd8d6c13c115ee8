import Foundation

/// The CLI's stored tokens, one per server, in `~/.config/asgard/credentials.json` (or under
/// `$XDG_CONFIG_HOME`), readable by the user only.
struct CredentialsFile {
    let path: String

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        path = base + "/asgard/credentials.json"
    }

    /// The token stored for `server`, nil when none.
    func token(for server: String) -> String? {
        read()[CredentialsFile.key(server)]
    }

    /// Stores `token` for `server`, creating the file with mode 0600.
    func store(_ token: String, for server: String) throws {
        var all = read()
        all[CredentialsFile.key(server)] = token
        try write(all)
    }

    /// Forgets the token of `server`; answers whether there was one.
    func remove(for server: String) throws -> Bool {
        var all = read()
        guard all.removeValue(forKey: CredentialsFile.key(server)) != nil else { return false }
        try write(all)
        return true
    }

    private func read() -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path),
              let all = try? JSONDecoder().decode([String: String].self, from: data) else { return [:] }
        return all
    }

    private func write(_ all: [String: String]) throws {
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(all)
        // Create with 0600 before any secret is written, then replace the contents.
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw CLIError(description: "Cannot create \(path)")
            }
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: data)
        try handle.close()
    }

    private static func key(_ server: String) -> String {
        server.hasSuffix("/") ? String(server.dropLast()) : server
    }
}
