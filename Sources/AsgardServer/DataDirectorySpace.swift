import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How much room the data directory's disk has, and whether a write failed for the lack of it:
/// for the 507 answers and `GET /healthcheck`.
final class DataDirectorySpace: Sendable {
    /// The data directory.
    let path: String
    private let fullSince = Mutex<Date?>(nil)

    /// Below this, the health check says the disk is full.
    static let lowWater: UInt64 = 1 << 20

    init(path: String) {
        self.path = path
    }

    /// Bytes free for this process's user, nil when the file system cannot tell.
    var free: UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }

    /// A write failed because the disk is full.
    func sawFull(at time: Date) {
        fullSince.withLock { if $0 == nil { $0 = time } }
    }

    /// A write went through: there is room again.
    func sawWrite() {
        fullSince.withLock { $0 = nil }
    }

    /// Why the console cannot save changes, nil while it can: a write failed for lack of room
    /// (and the disk has not got much more since), or the disk has almost none left.
    var problem: String? {
        let since = fullSince.withLock { $0 }
        let room = free
        if let since, (room ?? 0) < 16 * DataDirectorySpace.lowWater {
            return "the data directory \(path) is full (\(DataDirectorySpace.describe(room)) free) since \(since.formatted(.iso8601)): changes fail until space is freed"
        }
        if let room, room < DataDirectorySpace.lowWater {
            return "the data directory \(path) is full (\(DataDirectorySpace.describe(room)) free): changes fail until space is freed"
        }
        return nil
    }

    /// The message of a change refused because the disk is full.
    var fullMessage: String {
        "The data directory \(path) is full (\(DataDirectorySpace.describe(free)) free); nothing of this change was saved. Free some space on its disk, then try again"
    }

    static func describe(_ bytes: UInt64?) -> String {
        guard let bytes else { return "unknown space" }
        if bytes < 1024 { return "\(bytes) bytes" }
        if bytes < 1 << 20 { return "\(bytes / 1024) KiB" }
        if bytes < 1 << 30 { return String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
        return String(format: "%.1f GiB", Double(bytes) / 1_073_741_824)
    }
}
