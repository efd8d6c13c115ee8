/// The parts of a name in Frigga's format `app[-stack[-detail]][-labeledVars][-vNNN]`.
///
/// `Names(parsing:)` answers nil for a string that is not a name at all (Frigga answers all
/// parts null there). Empty stack and detail are nil, as in Frigga.
public struct Names: Sendable, Hashable, Codable {
    /// The whole name that was parsed.
    public var group: String
    /// The name without its push version.
    public var cluster: String
    /// The application: the first token.
    public var app: String
    /// The second token, nil when absent or empty (`app--detail`).
    public var stack: String?
    /// Everything after the stack up to the labeled variables; may contain hyphens.
    public var detail: String?
    /// The push version such as `v042`, nil when the name has none.
    public var push: String?
    /// The number of the push version, nil when the name has none.
    public var sequence: Int?
    /// The labeled variables the name carries, keyed by variable.
    public var labeledVariables: [LabeledVariable: String]

    /// The smallest and largest number of digits accepted after `v` when parsing. Frigga 0.11
    /// accepted exactly three; later Frigga accepts three to six.
    public static let pushDigitRange = 3...6

    /// Parses `name`, or answers nil when it does not follow the naming rules.
    public init?(parsing name: String) {
        guard !name.isEmpty else { return nil }
        var clusterName = name
        var push: String?
        var sequence: Int?
        if let hyphen = name.lastIndex(of: "-") {
            let suffix = name[name.index(after: hyphen)...]
            let prefix = name[..<hyphen]
            if Names.isPushToken(suffix), prefix.allSatisfy(NameCharacters.isHyphenNameCharacter) {
                clusterName = String(prefix)
                push = String(suffix)
                sequence = Int(suffix.dropFirst())
            }
        }
        guard clusterName.allSatisfy(NameCharacters.isHyphenNameCharacter) else { return nil }

        // Split off the trailing run of labeled variables. The first token always stays in the
        // unlabeled part, because every labeled variable needs a hyphen before it.
        let tokens = clusterName.split(separator: "-", omittingEmptySubsequences: false)
        var firstLabeled = tokens.count
        while firstLabeled > 1, NameCharacters.isLabeledVariableToken(tokens[firstLabeled - 1]) {
            firstLabeled -= 1
        }
        let unlabeled = tokens[..<firstLabeled]
        var variables: [LabeledVariable: String] = [:]
        for token in tokens[firstLabeled...] {
            guard let variable = LabeledVariable.allCases.first(where: { $0.key == token.first }) else { continue }
            if variables[variable] == nil {
                variables[variable] = String(token.dropFirst(2))
            }
        }

        guard let appToken = unlabeled.first, !appToken.isEmpty,
              appToken.allSatisfy(NameCharacters.isNameCharacter) else { return nil }
        let stackToken = unlabeled.count > 1 ? unlabeled[unlabeled.startIndex + 1] : nil
        if let stackToken, !stackToken.allSatisfy(NameCharacters.isNameCharacter) { return nil }
        let detailTokens = unlabeled.count > 2 ? unlabeled[(unlabeled.startIndex + 2)...] : []

        self.group = name
        self.cluster = clusterName
        self.app = String(appToken)
        self.stack = stackToken.flatMap { $0.isEmpty ? nil : String($0) }
        let detail = detailTokens.joined(separator: "-")
        self.detail = detail.isEmpty ? nil : detail
        self.push = push
        self.sequence = sequence
        self.labeledVariables = variables
    }

    /// The value of one labeled variable, nil when the name does not carry it.
    public subscript(variable: LabeledVariable) -> String? {
        labeledVariables[variable]
    }

    /// True for `v` followed by three to six digits.
    static func isPushToken<S: StringProtocol>(_ token: S) -> Bool {
        guard token.first == "v" else { return false }
        let digits = token.dropFirst()
        return pushDigitRange.contains(digits.count) && digits.allSatisfy(NameCharacters.isDigit)
    }
}
