/// A valid application name: at most 28 characters of `[a-z0-9._]`, stored lower-case.
public struct AppName: StringIdentifier, Comparable {
    /// The lower-case name.
    public let rawValue: String

    /// Validates and lower-cases `name`.
    ///
    /// - Throws: `FieldError` for the `name` field saying what is wrong.
    public init(validating name: String) throws(FieldError) {
        let trimmed = name.trimmingSpaces()
        if let problem = NameValidation.applicationNameProblem(trimmed) {
            throw FieldError(field: "name", message: problem)
        }
        rawValue = trimmed.lowercased()
    }

    /// Wraps a name that is already valid and lower-case, such as one read back from the
    /// store, which validated it when it was written.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static func < (lhs: AppName, rhs: AppName) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }),
              let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
