import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Checks before starting that the address can be bound, so that a busy port is reported in
/// one line before anything else happens.
enum PortCheck {
    /// Why `host:port` cannot be bound, or nil when it can.
    static func problem(host: String, port: Int) -> String? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else {
            return "'\(host)' is not an address of this machine"
        }
        defer { freeaddrinfo(result) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { close(fd) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            return errno == EADDRINUSE ? "the address is already in use (another asgard serve?)" : String(cString: strerror(errno))
        }
        return nil
    }
}
