import Foundation
import PostgresNIO

extension PostgresStore {
    /// The channel the consoles wake each other on: `task:ID` when a decision was sent to a task,
    /// `changes` when a task was recorded, `region:NAME` when a region's read was shared. A
    /// notification is only a hint to read again: one can be lost (a console that was not
    /// listening misses it), so every reader also looks on its own every second or so.
    public static let channel = "asgard"

    /// Listens on `channel` until cancelled, handing each payload to `handle`; after a lost
    /// connection it listens again (after `retryAfter`), calling `reconnected` so that whoever
    /// waits reads again what it may have missed.
    public func listen(retryAfter: Duration = .seconds(1), reconnected: @Sendable () -> Void = {},
                       _ handle: @escaping @Sendable (String) -> Void) async {
        var first = true
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: PostgresStore.channel) { notifications in
                        if !first { reconnected() }
                        first = false
                        for try await notification in notifications { handle(notification.payload) }
                    }
                }
            } catch {
                if Task.isCancelled { return }
            }
            try? await Task.sleep(for: retryAfter)
        }
    }
}
