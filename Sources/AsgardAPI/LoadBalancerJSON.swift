import AsgardCore
import Foundation

/// A load balancer as the API shows it: its settings, the server groups behind it, the health of
/// each registered instance and the traffic it carried (per server group and per instance,
/// counts by status class and latency from an HdrHistogram).
public struct LoadBalancerJSON: Codable, Sendable, Hashable {
    public var loadBalancerName: String
    /// `proxy` (the local cloud's), `classic` or `application` (AWS).
    public var type: LoadBalancerType
    /// Where to send requests: `http://127.0.0.1:<listenerPort>/`.
    public var url: String
    public var listenerPort: Int
    public var healthCheck: HealthCheckSettings
    public var algorithm: BalancingAlgorithm
    public var drainingTimeout: Int
    /// Seconds an instance may take to answer before the load balancer answers 504.
    public var idleTimeoutSeconds: Int
    public var trafficWeights: [String: Int]
    public var createdTime: Date
    /// The server groups that name it, whether or not they take traffic now.
    public var serverGroups: [String]
    /// `running`, or why it is not serving.
    public var status: String
    /// What its process reported last; nil before its first report.
    public var traffic: LoadBalancerTraffic?

    /// Creates the API view.
    public init(_ record: LoadBalancerRecord, serverGroups: [String], status: String, traffic: LoadBalancerTraffic?) {
        loadBalancerName = record.loadBalancerName.rawValue
        type = record.type
        url = record.url
        listenerPort = record.listenerPort
        healthCheck = record.healthCheck
        algorithm = record.algorithm
        drainingTimeout = record.drainingTimeout
        idleTimeoutSeconds = record.idleTimeoutSeconds
        trafficWeights = record.trafficWeights
        createdTime = record.createdTime
        self.serverGroups = serverGroups
        self.status = status
        self.traffic = traffic
    }
}
