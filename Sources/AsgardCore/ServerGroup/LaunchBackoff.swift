import Foundation

/// Slows down a group whose instances die before they serve, so that a broken image does not
/// relaunch every second forever: after each early failure the next launch waits 1, 2, 4 … up to
/// 60 seconds; an instance that comes into service resets it.
public struct LaunchBackoff: Sendable, Hashable {
    /// Early failures in a row.
    public private(set) var failures = 0
    /// No launch before this time; nil when launches are free.
    public private(set) var notBefore: Date?

    /// The longest wait between launches.
    public static let maxDelay: TimeInterval = 60
    /// How soon after its launch an instance's death counts as an early failure.
    public static let earlyWindow: TimeInterval = 10

    public init() {}

    /// The wait after `failures` early failures in a row.
    public static func delay(after failures: Int) -> TimeInterval {
        failures <= 0 ? 0 : min(maxDelay, pow(2, Double(failures - 1)))
    }

    /// True when an instance that launched at `launchTime` and died at `now`, having served or not,
    /// failed early.
    public static func isEarly(launchTime: Date, diedAt now: Date, wasInService: Bool) -> Bool {
        !wasInService || now.timeIntervalSince(launchTime) < earlyWindow
    }

    /// Counts an early failure at `now`.
    public mutating func recordEarlyFailure(at now: Date) {
        failures += 1
        notBefore = now.addingTimeInterval(LaunchBackoff.delay(after: failures))
    }

    /// An instance came into service: launches are free again.
    public mutating func recordSuccess() {
        failures = 0
        notBefore = nil
    }

    /// True when a launch may happen at `now`.
    public func allowsLaunch(at now: Date) -> Bool {
        notBefore.map { now >= $0 } ?? true
    }
}
