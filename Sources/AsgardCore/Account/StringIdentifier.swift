/// An identifier that wraps a string and is written as a plain string in JSON.
public protocol StringIdentifier: Codable, Hashable, Sendable, CustomStringConvertible {
    /// The string.
    var rawValue: String { get }

    /// Wraps a string that is already known to be valid.
    init(rawValue: String)
}

extension StringIdentifier {
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
