import Foundation

/// The fleet simulator (`Tests/aws/fleet_sim.py`) on a free loopback port: a synthetic AWS
/// region of any size that answers the console's read calls with AWS's XML and pagination, for
/// the scale tests moto cannot serve. Ended with SIGKILL.
public final class FleetSimulator: @unchecked Sendable {
    let process = Process()
    public let port: Int
    public var url: URL { URL(string: "http://127.0.0.1:\(port)/")! }

    /// Starts `script` with `instances` instances in groups of `groupSize` over `apps` applications.
    public init(script: String, instances: Int, groupSize: Int = 50, apps: Int = 1000, loadBalancers: Int = 10) async throws {
        let socket = try FreePort()
        port = socket.port
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--instances", String(instances), "--group-size", String(groupSize), "--apps", String(apps),
                             "--load-balancers", String(loadBalancers), "--port", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while !FreePort.isOpen(port) {
            guard Date() < deadline, process.isRunning else { throw MotoUnavailable(message: "the fleet simulator did not start on port \(port)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    public func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
