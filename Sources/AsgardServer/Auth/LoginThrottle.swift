import Foundation
import Synchronization

/// Slows down password guessing: after `maxFailures` failed logins for one user from one
/// address within `window`, further attempts are refused until the window has passed.
final class LoginThrottle: Sendable {
    let maxFailures: Int
    let window: TimeInterval
    private let failures = Mutex<[String: [Date]]>([:])

    init(maxFailures: Int = 5, window: TimeInterval = 300) {
        self.maxFailures = maxFailures
        self.window = window
    }

    /// Seconds to wait before `key` may try again, or nil when it may try now.
    func retryAfter(_ key: String, now: Date) -> Int? {
        failures.withLock { all in
            let recent = (all[key] ?? []).filter { now.timeIntervalSince($0) < window }
            all[key] = recent
            guard recent.count >= maxFailures, let oldest = recent.first else { return nil }
            return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
        }
    }

    /// Counts a failed attempt.
    func recordFailure(_ key: String, now: Date) {
        failures.withLock { all in
            var recent = (all[key] ?? []).filter { now.timeIntervalSince($0) < window }
            recent.append(now)
            all[key] = recent
            // Keep the table small under a spray of distinct keys.
            if all.count > 10_000 { all = all.filter { !$0.value.isEmpty } }
        }
    }

    /// Forgets the failures of `key` after a success.
    func reset(_ key: String) {
        _ = failures.withLock { $0.removeValue(forKey: key) }
    }
}
