/// The character classes of Frigga's naming rules.
///
/// Names are matched byte by byte on ASCII, as Frigga's Java patterns do; anything outside
/// ASCII is simply not a name character.
enum NameCharacters {
    /// `[a-zA-Z0-9._]`: app, stack and labeled-variable values.
    static func isNameCharacter(_ c: Character) -> Bool {
        isAlphanumeric(c) || c == "." || c == "_"
    }

    /// `[-a-zA-Z0-9._]`: detail, which may contain hyphens.
    static func isHyphenNameCharacter(_ c: Character) -> Bool {
        isNameCharacter(c) || c == "-"
    }

    /// `[a-zA-Z0-9]`.
    static func isAlphanumeric(_ c: Character) -> Bool {
        isLetter(c) || isDigit(c)
    }

    /// `[a-zA-Z]`.
    static func isLetter(_ c: Character) -> Bool {
        guard let a = c.asciiValue else { return false }
        return (a >= 65 && a <= 90) || (a >= 97 && a <= 122)
    }

    /// `[0-9]`.
    static func isDigit(_ c: Character) -> Bool {
        guard let a = c.asciiValue else { return false }
        return a >= 48 && a <= 57
    }

    /// True when `token` is a labeled variable such as `c0northamerica`: a letter, `0`, then
    /// at least one letter or digit.
    static func isLabeledVariableToken<S: StringProtocol>(_ token: S) -> Bool {
        let chars = Array(token)
        guard chars.count >= 3, isLetter(chars[0]), chars[1] == "0" else { return false }
        return chars[2...].allSatisfy(isAlphanumeric)
    }
}
