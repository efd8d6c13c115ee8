import Foundation
import Synchronization

/// How current a provider's cached view of a region is: a generation that changes whenever
/// anything the lists show changes (so an answer encoded for one generation can be served again
/// until the next), when the last whole-region read ended and how long it took, and the last
/// read's error while reads fail.
public struct CacheStatus: Sendable, Hashable, Codable {
    /// Changes with every change to what the cache holds; equal generations hold equal data.
    public var generation: UInt64
    /// When the last whole-region read that succeeded ended; nil before the first.
    public var lastRead: Date?
    /// How long that read took.
    public var lastReadSeconds: Double?
    /// Why the last read failed, while reads fail; nil after a read succeeds.
    public var lastError: String?
    /// When a read last failed, while reads fail.
    public var lastErrorAt: Date?
    /// When the read now running began; nil while none runs.
    public var readingSince: Date?

    /// Creates a status.
    public init(generation: UInt64 = 0, lastRead: Date? = nil, lastReadSeconds: Double? = nil, lastError: String? = nil,
                lastErrorAt: Date? = nil, readingSince: Date? = nil) {
        self.generation = generation
        self.lastRead = lastRead
        self.lastReadSeconds = lastReadSeconds
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
        self.readingSince = readingSince
    }

    /// Seconds since the last good read at `now`; nil before the first.
    public func age(at now: Date) -> Double? {
        lastRead.map { max(0, now.timeIntervalSince($0)) }
    }
}

/// A `CacheStatus` kept where both an actor's own code and synchronous readers (pages, list
/// answers) can reach it.
public final class CacheStatusCell: Sendable {
    private let status = Mutex(CacheStatus())

    /// Creates a cell at generation 0, never read.
    public init() {}

    /// The status now.
    public var current: CacheStatus { status.withLock { $0 } }

    /// Marks a change to what the cache holds.
    public func changed() { status.withLock { $0.generation &+= 1 } }

    /// Marks the start of a whole-region read.
    public func reading(since start: Date) { status.withLock { $0.readingSince = start } }

    /// Marks a whole-region read that ended well at `end`.
    public func read(at end: Date, seconds: Double) {
        status.withLock {
            $0.lastRead = end
            $0.lastReadSeconds = seconds
            $0.lastError = nil
            $0.lastErrorAt = nil
            $0.readingSince = nil
        }
    }

    /// Marks a whole-region read that failed at `time`.
    public func failed(_ message: String, at time: Date) {
        status.withLock {
            $0.lastError = message
            $0.lastErrorAt = time
            $0.readingSince = nil
        }
    }
}
