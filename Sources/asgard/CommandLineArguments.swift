import ArgumentParser

/// What the CLI does with its arguments before ArgumentParser reads them: global options may
/// come before the subcommand (`asgard --server URL app list`), and an unknown command gets a
/// suggestion.
enum CommandLineArguments {
    /// The options of `GlobalOptions`, which every API command takes.
    static let globalNames: Set<String> = ["--server", "--region", "--token", "--output"]

    /// `arguments` with the global options written before the subcommand moved after it (before
    /// a `--`, whose words belong to the command).
    static func globalOptionsAfterSubcommand(_ arguments: [String]) -> [String] {
        var moved: [String] = []
        var index = 0
        while index < arguments.count, arguments[index].hasPrefix("--") {
            let argument = arguments[index]
            let name = String(argument.split(separator: "=", maxSplits: 1)[0])
            guard globalNames.contains(name) else { break }
            if argument.contains("=") || index + 1 == arguments.count {
                moved.append(argument)
                index += 1
            } else {
                moved += [argument, arguments[index + 1]]
                index += 2
            }
        }
        guard !moved.isEmpty else { return arguments }
        var rest = Array(arguments[index...])
        if let separator = rest.firstIndex(of: "--") {
            rest.insert(contentsOf: moved, at: separator)
        } else {
            rest += moved
        }
        return rest
    }

    /// The message for a command word that is not one of `root`'s commands, with the closest
    /// ones; nil when the words name commands (or help is asked for).
    static func unknownCommand(_ arguments: [String], in root: any ParsableCommand.Type) -> String? {
        var command = root
        var path = [root._commandName]
        for word in arguments {
            if word.hasPrefix("-") || word == "help" { return nil }
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty else { return nil }
            guard let next = subcommands.first(where: { $0._commandName == word }) else {
                let names = subcommands.map { $0._commandName }
                let close = names.filter { distance($0, word) <= max(1, word.count / 3) || $0.hasPrefix(word) }
                    .sorted { distance($0, word) < distance($1, word) }
                let suggestion = close.isEmpty ? "" : "; did you mean " + close.prefix(3).map { "'\($0)'" }.joined(separator: " or ") + "?"
                return "error: '\(word)' is not a command of \(path.joined(separator: " "))\(suggestion) (see `\(path.joined(separator: " ")) --help`)"
            }
            command = next
            path.append(word)
        }
        return nil
    }

    /// The edit distance of two words (insertions, deletions, substitutions).
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
