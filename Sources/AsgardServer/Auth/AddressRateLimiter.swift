import Foundation
import Synchronization

/// A token bucket per client address for requests made without signing in: `burst` at once,
/// then `perSecond`. Keeps anonymous clients from flooding the console and its audit log.
final class AddressRateLimiter: Sendable {
    let perSecond: Double
    let burst: Double
    private struct Bucket {
        var tokens: Double
        var time: Date
    }
    private let buckets = Mutex<[String: Bucket]>([:])

    init(perSecond: Double = 5, burst: Double = 50) {
        self.perSecond = perSecond
        self.burst = burst
    }

    /// Takes one request's token for `address`; nil when it may go on, else the seconds to wait.
    func take(_ address: String, now: Date) -> Int? {
        buckets.withLock { all in
            var bucket = all[address] ?? Bucket(tokens: burst, time: now)
            bucket.tokens = min(burst, bucket.tokens + max(0, now.timeIntervalSince(bucket.time)) * perSecond)
            bucket.time = now
            defer {
                all[address] = bucket
                // Forget full buckets when many addresses were seen: they are the default anyway.
                if all.count > 10_000 {
                    all = all.filter { $0.value.tokens + now.timeIntervalSince($0.value.time) * perSecond < burst }
                }
            }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }
}
