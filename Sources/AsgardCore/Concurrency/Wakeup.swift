import Foundation
import Synchronization

/// A wake-up call a loop waits for, up to a time: how a loop hears at once of a change (another
/// console's notification, a new routing, a poke) while still looking on its own when a wake-up
/// is lost.
public final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    /// A wake-up nobody has called yet.
    public init() {}

    /// Wakes whoever waits, or the next wait when nobody does.
    public func signal() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.waiters.isEmpty { state.pending = true }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when signalled (or signalled since the last wait), or after `limit`: true when
    /// signalled.
    @discardableResult
    public func wait(upTo limit: Duration) async -> Bool {
        if state.withLock({ state in defer { state.pending = false }; return state.pending }) { return true }
        let id = UUID()
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let now = self.state.withLock { state in
                            if state.pending || Task.isCancelled {
                                state.pending = false
                                return true
                            }
                            state.waiters[id] = continuation
                            return false
                        }
                        if now { continuation.resume() }
                    }
                } onCancel: {
                    self.state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
                }
                return !Task.isCancelled
            }
            let signalled = await group.next() ?? false
            group.cancelAll()
            return signalled
        }
    }
}
