/// Builds a cluster or server group name from its parts, as Frigga's
/// `AutoScalingGroupNameBuilder` does, with Asgard's validation.
///
/// Empty strings count as absent, except that an empty stack with a detail gives `app--detail`.
public struct GroupNameBuilder: Sendable, Hashable {
    /// The application; required.
    public var appName: String
    /// The stack, optional.
    public var stack: String?
    /// The free-form detail, optional; may contain hyphens.
    public var detail: String?
    /// Labeled variables to append in Frigga's fixed order.
    public var labeledVariables: [LabeledVariable: String]

    /// Creates a builder.
    public init(appName: String, stack: String? = nil, detail: String? = nil,
                labeledVariables: [LabeledVariable: String] = [:]) {
        self.appName = appName
        self.stack = stack
        self.detail = detail
        self.labeledVariables = labeledVariables
    }

    /// `app`, `app-stack`, `app-stack-detail` or `app--detail`, as Frigga's
    /// `combineAppStackDetail`.
    public static func combine(app: String, stack: String?, detail: String?) -> String {
        let stack = stack ?? ""
        if let detail, !detail.isEmpty { return "\(app)-\(stack)-\(detail)" }
        if !stack.isEmpty { return "\(app)-\(stack)" }
        return app
    }

    /// The name, after checking every part.
    ///
    /// - Throws: `NamingError` naming the first part that breaks a rule.
    public func build() throws(NamingError) -> String {
        try validate()
        var name = GroupNameBuilder.combine(app: appName, stack: stack, detail: detail)
        for variable in LabeledVariable.allCases {
            if let value = labeledVariables[variable], !value.isEmpty {
                name += "-\(variable.key)0\(value)"
            }
        }
        guard name.count <= NameValidation.groupMaxLength else {
            throw NamingError(field: "name",
                              message: "'\(name)' is \(name.count) characters; a name may have at most \(NameValidation.groupMaxLength)")
        }
        return name
    }

    private func validate() throws(NamingError) {
        guard !appName.isEmpty else {
            throw NamingError(field: "appName", message: "is required")
        }
        try check(appName, field: "appName", allowHyphen: false)
        if let stack, !stack.isEmpty { try check(stack, field: "stack", allowHyphen: false) }
        if let detail, !detail.isEmpty { try check(detail, field: "detail", allowHyphen: true) }
        for variable in LabeledVariable.allCases {
            if let value = labeledVariables[variable], !value.isEmpty,
               !NameValidation.isValidLabeledValue(value) {
                throw NamingError(field: variable.parameterName,
                                  message: "'\(value)' may contain only letters and digits (a-z, A-Z, 0-9)")
            }
        }
    }

    private func check(_ part: String, field: String, allowHyphen: Bool) throws(NamingError) {
        let valid = allowHyphen ? NameValidation.isValidNameWithHyphen(part) : NameValidation.isValidName(part)
        guard valid else {
            let allowed = allowHyphen ? "a-z, A-Z, 0-9, '.', '_' and '-'" : "a-z, A-Z, 0-9, '.' and '_'"
            throw NamingError(field: field, message: "'\(part)' may contain only \(allowed)")
        }
        guard !NameValidation.usesReservedFormat(part) else {
            throw NamingError(field: field,
                              message: "'\(part)' must not end in a push version like v001 or contain a token like c0value; those formats are reserved")
        }
    }
}
