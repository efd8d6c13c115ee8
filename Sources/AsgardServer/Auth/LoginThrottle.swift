import Foundation
import Synchronization

/// Slows down password guessing: after `maxFailures` attempts for one user from one address
/// within `window` that did not succeed (or `maxPerAddress` for all users of one address), further
/// attempts are refused until the window has passed. An attempt is counted before the password is
/// checked, in one step with the check of the budget, so that parallel attempts cannot all slip
/// through while the hashes are being computed; a success takes its own attempt back.
final class LoginThrottle: Sendable {
    let maxFailures: Int
    let maxPerAddress: Int
    let window: TimeInterval
    private let attempts = Mutex<[String: [Date]]>([:])

    init(maxFailures: Int = 5, maxPerAddress: Int = 20, window: TimeInterval = 300) {
        self.maxFailures = maxFailures
        self.maxPerAddress = maxPerAddress
        self.window = window
    }

    /// The key of a user name from an address: the name trimmed and lower-cased, as sign-in
    /// reads it, so that `admin`, ` Admin ` and `ADMIN` share one budget.
    static func key(name: String, address: String) -> String {
        "\(address)|\(name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased())"
    }

    /// Counts an attempt for `name` from `address` and answers nil when it may go on, or the
    /// seconds to wait when the user's or the address's budget is spent (then nothing is counted).
    func begin(name: String, address: String, now: Date) -> Int? {
        let user = LoginThrottle.key(name: name, address: address), all = "\(address)|*"
        return attempts.withLock { table in
            var waits: [Int] = []
            for (key, limit) in [(user, maxFailures), (all, maxPerAddress)] {
                let recent = (table[key] ?? []).filter { now.timeIntervalSince($0) < window }
                table[key] = recent
                if recent.count >= limit, let oldest = recent.first {
                    waits.append(max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up))))
                }
            }
            if let wait = waits.max() { return wait }
            table[user, default: []].append(now)
            table[all, default: []].append(now)
            // Keep the table small under a spray of distinct keys.
            if table.count > 10_000 { table = table.filter { $0.value.contains { now.timeIntervalSince($0) < window } } }
            return nil
        }
    }

    /// After a success: forgets the user's attempts from that address and takes this one back
    /// from the address's count.
    func succeeded(name: String, address: String) {
        attempts.withLock { table in
            table.removeValue(forKey: LoginThrottle.key(name: name, address: address))
            if var all = table["\(address)|*"], !all.isEmpty {
                all.removeLast()
                table["\(address)|*"] = all
            }
        }
    }
}
