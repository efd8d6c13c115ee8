import ArgumentParser
import Foundation
import LoadBalancerProxy
import Logging
import ServiceLifecycle

/// `asgard load-balancer-proxy`: one load balancer of the local cloud. The server starts it; it is
/// not meant to be run by hand.
struct LoadBalancerProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load-balancer-proxy",
        abstract: "Run one local load balancer (started by `asgard serve`).",
        shouldDisplay: false
    )

    @Option(help: "The configuration file the server wrote.")
    var configuration: String

    func run() async throws {
        var logger = Logger(label: "asgard.load-balancer")
        logger.logLevel = .info
        let service: LoadBalancerProxyService
        do {
            service = try LoadBalancerProxyService(configurationPath: configuration, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("error: cannot read \(configuration): \(error)\n".utf8))
            throw ExitCode(1)
        }
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        do {
            try await group.run()
        } catch {
            FileHandle.standardError.write(Data("error: load balancer stopped: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
