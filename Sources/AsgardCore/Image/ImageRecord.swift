import Foundation

/// The id of a local image: `img-` and eight hexadecimal digits.
public struct ImageID: StringIdentifier, Comparable {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// A new random id.
    public static func random() -> ImageID {
        var generator = SystemRandomNumberGenerator()
        let value = UInt32.random(in: .min ... .max, using: &generator)
        let hex = String(value, radix: 16)
        return ImageID(rawValue: "img-" + String(repeating: "0", count: 8 - hex.count) + hex)
    }

    /// True for `img-` and eight lower-case hexadecimal digits (a local image), or `ami-` and 8
    /// or 17 (an AMI).
    public static func isWellFormed(_ text: String) -> Bool {
        let digits: Set<Int> = text.hasPrefix("img-") ? [8] : text.hasPrefix("ami-") ? [8, 17] : []
        guard digits.contains(text.count - 4) else { return false }
        return text.dropFirst(4).allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    public static func < (lhs: ImageID, rhs: ImageID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A local image: a versioned command line that instances run, never through a shell.
public struct ImageRecord: Sendable, Hashable, Codable {
    /// The image's id.
    public var imageId: ImageID
    /// The application it packages; follows the application naming rules.
    public var name: String
    /// The version, such as `1.2.0`.
    public var version: String
    /// The argv: the first element an absolute path or a name on PATH.
    public var command: [String]
    /// Extra environment variables for its instances.
    public var env: [String: String]
    /// The directory its instances start in; nil for the data directory's default.
    public var workingDirectory: String?
    /// When it was registered.
    public var createTime: Date

    /// Creates a record.
    public init(imageId: ImageID, name: String, version: String, command: [String], env: [String: String],
                workingDirectory: String?, createTime: Date) {
        self.imageId = imageId
        self.name = name
        self.version = version
        self.command = command
        self.env = env
        self.workingDirectory = workingDirectory
        self.createTime = createTime
    }
}
