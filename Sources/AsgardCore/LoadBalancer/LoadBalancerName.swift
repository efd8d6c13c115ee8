import Foundation

/// The name of a load balancer, with ELB's rules and Asgard's convention `app[-stack[-detail]]`:
/// 1 to 32 letters, digits and hyphens, starting with the application's name.
public struct LoadBalancerName: StringIdentifier, Comparable {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The longest name ELB accepts.
    public static let maxLength = 32

    /// Checks `text` against ELB's rules.
    ///
    /// - Throws: `FieldError` for the field `name`, saying what is wrong.
    public init(validating text: String) throws {
        guard !text.isEmpty else { throw FieldError(field: "name", message: "is required: app[-stack[-detail]], e.g. shop-prod") }
        guard text.count <= LoadBalancerName.maxLength else {
            throw FieldError(field: "name", message: "'\(text)' is \(text.count) characters long; load balancer names have at most 32")
        }
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw FieldError(field: "name", message: "'\(text)' may contain only letters, digits and hyphens")
        }
        guard !text.hasPrefix("-"), !text.hasSuffix("-") else {
            throw FieldError(field: "name", message: "'\(text)' must not start or end with a hyphen")
        }
        self.rawValue = text.lowercased()
    }

    /// The application the load balancer belongs to: the part before the first hyphen.
    public var appName: String {
        String(rawValue.split(separator: "-", maxSplits: 1).first ?? Substring(rawValue))
    }

    public static func < (lhs: LoadBalancerName, rhs: LoadBalancerName) -> Bool { lhs.rawValue < rhs.rawValue }
}
