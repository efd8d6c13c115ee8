import AsgardCore
import Foundation

/// A token bucket: at most `rate` requests a second on average, `burst` at once. The arithmetic
/// is a value (`reserve`) so that it is tested without waiting; the actor waits.
public struct TokenBucket: Sendable, Hashable {
    public var rate: Double
    public var burst: Double
    var tokens: Double
    var updated: Double

    /// A full bucket at time `now` (seconds).
    public init(rate: Double, burst: Double, now: Double) {
        self.rate = rate
        self.burst = burst
        tokens = burst
        updated = now
    }

    /// Takes a token at `now` and answers how long the request must wait for it (0 when one is
    /// there); a request that waits has its token reserved already.
    public mutating func reserve(now: Double) -> Double {
        tokens = min(burst, tokens + (now - updated) * rate)
        updated = now
        tokens -= 1
        return tokens >= 0 ? 0 : -tokens / rate
    }
}

/// The per-account limit of requests to AWS (Asgard and Spinnaker both suffered throttling).
public actor RequestRateLimiter {
    private var bucket: TokenBucket
    private let start = ContinuousClock.now

    /// At most `rate` requests a second, `burst` at once.
    public init(rate: Double, burst: Double) {
        bucket = TokenBucket(rate: rate, burst: burst, now: 0)
    }

    /// Waits for a request's turn.
    public func acquire() async {
        let now = (ContinuousClock.now - start).inSeconds
        let wait = bucket.reserve(now: now)
        if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
    }
}
