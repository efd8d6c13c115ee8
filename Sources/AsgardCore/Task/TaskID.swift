/// The number of a task, assigned by the store in increasing order.
public struct TaskID: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The number.
    public let rawValue: Int64

    /// Wraps a task number.
    public init(_ rawValue: Int64) {
        self.rawValue = rawValue
    }

    /// Parses a task id from a URL segment; nil when it is not a positive number.
    public init?(_ text: String) {
        guard let value = Int64(text), value > 0 else { return nil }
        rawValue = value
    }

    public var description: String { String(rawValue) }

    public static func < (lhs: TaskID, rhs: TaskID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
