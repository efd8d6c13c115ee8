/// A user's login name: 1 to 64 characters of `a-z`, `0-9`, `.`, `_` and `-`, stored lower-case.
public struct UserName: StringIdentifier, Comparable {
    /// The lower-case name.
    public let rawValue: String

    /// Wraps a name that is already valid, such as one read back from the store.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The longest name accepted.
    public static let maxLength = 64

    /// Validates and lower-cases `name`.
    ///
    /// - Throws: `FieldError` for the `name` field.
    public init(validating name: String, field: String = "name") throws(FieldError) {
        let trimmed = name.trimmingSpaces()
        guard !trimmed.isEmpty else { throw FieldError(field: field, message: "is required") }
        guard trimmed.count <= UserName.maxLength,
              trimmed.allSatisfy({ NameCharacters.isHyphenNameCharacter($0) }) else {
            throw FieldError(field: field, message: "'\(trimmed)' must be at most \(UserName.maxLength) characters of a-z, 0-9, '.', '_' and '-'")
        }
        rawValue = trimmed.lowercased()
    }

    public static func < (lhs: UserName, rhs: UserName) -> Bool { lhs.rawValue < rhs.rawValue }
}
