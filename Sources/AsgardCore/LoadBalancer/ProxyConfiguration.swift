import Foundation

/// What a load balancer process needs to start, written by the server as a JSON file (0600,
/// since it holds the control secret) and named on the command line.
public struct ProxyConfiguration: Sendable, Codable, Hashable {
    /// The load balancer's name, for messages.
    public var name: String
    /// The port it serves on 127.0.0.1.
    public var listenerPort: Int
    /// The port of its control interface on 127.0.0.1.
    public var adminPort: Int
    /// The bearer secret the control interface asks for.
    public var adminSecret: String
    /// The routing to start with.
    public var routing: LoadBalancerRouting

    /// Creates a configuration.
    public init(name: String, listenerPort: Int, adminPort: Int, adminSecret: String, routing: LoadBalancerRouting) {
        self.name = name
        self.listenerPort = listenerPort
        self.adminPort = adminPort
        self.adminSecret = adminSecret
        self.routing = routing
    }
}
