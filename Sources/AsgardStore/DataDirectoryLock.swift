import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on a data directory (`flock` on its `asgard.lock`), held while the server
/// runs: a second server on the same data would resume the first one's deployments and, on its
/// stop, end the first one's instances and load balancers. The kernel releases the lock when the
/// process ends in any way, `kill -9` included; the descriptor is not inherited by instances.
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32
    /// The lock file's path.
    public let path: String

    /// Takes the lock of `directory` (created when missing, mode 0700) and writes this process's
    /// id into the lock file.
    ///
    /// - Throws: `StoreError.conflict` naming the process that holds it, or `.unavailable` when
    ///   the lock file cannot be opened.
    public init(directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError(.unavailable, "Cannot create the data directory '\(directory)'; choose another with --data-dir", cause: error)
        }
        path = (directory as NSString).appendingPathComponent("asgard.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError(.unavailable, "Cannot open the lock file '\(path)': \(String(cString: strerror(errno))); check that the data directory is writable")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = DataDirectoryLock.holder(fd)
            close(fd)
            throw StoreError(.conflict, "The data directory '\(directory)' is in use by \(holder.map { "process \($0)" } ?? "another process"); stop that server first, or use another --data-dir")
        }
        descriptor = fd
        let pid = Data("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        close(descriptor)
    }

    /// The process id the holder wrote, if it can be read.
    private static func holder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
