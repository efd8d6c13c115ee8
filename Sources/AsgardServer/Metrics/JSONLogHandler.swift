import Foundation
import Logging
import Synchronization

/// Writes each log record as one JSON object on one line of standard error (`asgard serve
/// --log-format json`): `time`, `level`, `message`, `logger`, the request id, task id and user
/// where the record carries them, and the rest of its metadata under `metadata`.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private static let output = Mutex(FileHandle.standardError)

    /// A handler for the logger named `label`.
    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let explicit = event.metadata { all.merge(explicit) { _, new in new } }
        var record: [String: Any] = ["time": JSONLogHandler.timestamp(Date()), "level": event.level.rawValue, "message": event.message.description,
                                     "logger": label]
        // The names people search logs by get top-level keys.
        for (key, name) in [("hb.request.id", "requestId"), ("task", "taskId"), ("user", "user")] {
            if let value = all.removeValue(forKey: key) { record[name] = value.description }
        }
        if !all.isEmpty { record["metadata"] = all.mapValues { $0.description } }
        guard var line = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        line.append(UInt8(ascii: "\n"))
        JSONLogHandler.output.withLock { $0.write(line) }
    }

    /// RFC 3339 with milliseconds, in UTC.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
