import Foundation

/// A real moto server on a free loopback port, for the tests of the AWS client; ended with
/// SIGKILL (a child of the test runner may inherit a blocked SIGTERM).
public final class MotoServer: @unchecked Sendable {
    let process = Process()
    public let port: Int
    public var url: URL { URL(string: "http://127.0.0.1:\(port)/")! }

    public init(environment: [String: String] = [:]) async throws {
        let socket = try FreePort()
        port = socket.port
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["moto_server", "-H", "127.0.0.1", "-p", String(port)]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while !FreePort.isOpen(port) {
            guard Date() < deadline, process.isRunning else { throw MotoUnavailable(message: "moto_server did not start on port \(port); is moto[server] installed?") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    public func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

public struct MotoUnavailable: Error {
    public let message: String
}

/// A free loopback port, and whether something listens on one.
public struct FreePort {
    public let port: Int

    /// Binds port 0 on 127.0.0.1, notes the port the system chose and closes again.
    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PortUnavailable(message: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw PortUnavailable(message: "bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard named == 0 else { throw PortUnavailable(message: "getsockname() failed") }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    public static func isOpen(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }
}

/// No free loopback port could be found.
public struct PortUnavailable: Error {
    public let message: String
}
