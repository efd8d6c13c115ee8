/// Frigga's and Asgard's checks on names and their parts.
public enum NameValidation {
    /// The longest application name Asgard accepts.
    public static let applicationMaxLength = 28
    /// The longest server group, load balancer or security group name Asgard accepts.
    public static let groupMaxLength = 96

    /// True when `part` is one or more of `[a-zA-Z0-9._]`.
    public static func isValidName(_ part: String) -> Bool {
        !part.isEmpty && part.allSatisfy(NameCharacters.isNameCharacter)
    }

    /// True when `part` is one or more of `[-a-zA-Z0-9._]`.
    public static func isValidNameWithHyphen(_ part: String) -> Bool {
        !part.isEmpty && part.allSatisfy(NameCharacters.isHyphenNameCharacter)
    }

    /// True when `value` can be a labeled variable's value: one or more of `[a-zA-Z0-9]`.
    public static func isValidLabeledValue(_ value: String) -> Bool {
        !value.isEmpty && value.allSatisfy(NameCharacters.isAlphanumeric)
    }

    /// True when `part` would be mistaken for generated structure: it ends in a push version
    /// (`v` and three to six digits), or a hyphen-separated token of it looks like a labeled
    /// variable (`c0northamerica`).
    public static func usesReservedFormat(_ part: String) -> Bool {
        if endsWithPushVersion(part) { return true }
        return part.split(separator: "-", omittingEmptySubsequences: false)
            .contains { token in
                let chars = Array(token)
                return chars.count >= 3 && NameCharacters.isLetter(chars[0]) && chars[1] == "0"
                    && NameCharacters.isAlphanumeric(chars[2])
            }
    }

    /// Checks an application name; answers the message to show, or nil when it is valid.
    public static func applicationNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is required" }
        if name.count > applicationMaxLength || !isValidName(name) {
            return "at most \(applicationMaxLength) characters of a-z, 0-9, '.' and '_'"
        }
        if usesReservedFormat(name) {
            return "must not end in a push version like v001 or contain a token like c0value, which are reserved for generated names"
        }
        if !name.contains(where: NameCharacters.isAlphanumeric) {
            return "needs a letter or digit: '\(name)' alone cannot be told apart from a path such as . or .."
        }
        return nil
    }

    private static func endsWithPushVersion(_ part: String) -> Bool {
        guard let v = part.lastIndex(of: "v") else { return false }
        let digits = part[part.index(after: v)...]
        return Names.pushDigitRange.contains(digits.count) && digits.allSatisfy(NameCharacters.isDigit)
    }
}
