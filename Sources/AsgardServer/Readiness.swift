import Synchronization

/// Whether the server has finished starting, for `GET /healthcheck`.
final class Readiness: Sendable {
    private let ready = Mutex(false)

    /// True once the server listens.
    var isReady: Bool { ready.withLock { $0 } }

    /// Marks the server as ready.
    func markReady() { ready.withLock { $0 = true } }
}
