import AsgardCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A load balancer process: the proxy on the listener port, health checks, and the control
/// interface. On a graceful stop it stops accepting, lets requests in flight finish (up to the
/// draining timeout), then ends. It also ends when its configuration file disappears (its
/// load balancer was deleted while the server was down, or its data directory removed), so it
/// never outlives the cloud it belongs to.
public struct LoadBalancerProxyService: Service {
    let configuration: ProxyConfiguration
    let configurationPath: String
    let logger: Logger

    /// Creates the service from the configuration file at `path`.
    public init(configurationPath path: String, logger: Logger) throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        configuration = try decoder.decode(ProxyConfiguration.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        configurationPath = path
        self.logger = logger
    }

    public func run() async throws {
        let threads = ProcessInfo.processInfo.environment["ASGARD_LB_THREADS"].flatMap(Int.init) ?? System.coreCount
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        let balancer = Balancer(routing: configuration.routing)
        var pools: [ObjectIdentifier: NIOLoopBound<BackendPool>] = [:]
        var recorders: [ObjectIdentifier: TrafficRecorder] = [:]
        for loop in eventLoops.makeIterator() {
            pools[ObjectIdentifier(loop)] = try await loop.submit { NIOLoopBound(BackendPool(eventLoop: loop), eventLoop: loop) }.get()
            recorders[ObjectIdentifier(loop)] = TrafficRecorder()
        }
        let startedAt = Date()
        let name = configuration.name
        let allPools = Array(pools.values)
        let allRecorders = Array(recorders.values)
        let poolsByLoop = pools
        let recordersByLoop = recorders

        let listener = try await ServerBootstrap(group: eventLoops)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                let key = ObjectIdentifier(channel.eventLoop)
                let address = channel.remoteAddress?.ipAddress ?? "127.0.0.1"
                return channel.eventLoop.makeCompletedFuture {
                    guard let pool = poolsByLoop[key]?.value, let recorder = recordersByLoop[key] else { throw ChannelError.ioOnClosedChannel }
                    let timeouts = ClientTimeouts(headTimeout: .seconds(Int64(LoadBalancerRecord.headTimeoutSeconds)),
                                                  idleTimeout: { .seconds(Int64(balancer.idleTimeoutSeconds)) })
                    try channel.pipeline.syncOperations.addHandler(ClientTimeouts.RawBytes(timeouts))
                    // Answers go out as the instances' bytes (FrontHandler), so there is no encoder.
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try channel.pipeline.syncOperations.addHandler(
                        FrontHandler(name: name, balancer: balancer, pool: pool, recorder: recorder, clientAddress: address, timeouts: timeouts))
                }
            }
            .bind(host: "127.0.0.1", port: configuration.listenerPort).get()

        let admin = try await ServerBootstrap(group: eventLoops)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: configuration.adminPort) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        logger.info("Load balancer \(name) listening on 127.0.0.1:\(configuration.listenerPort), control on port \(configuration.adminPort)")

        let adminServer = AdminServer(
            secret: configuration.adminSecret,
            report: { LoadBalancerProxyService.report(balancer: balancer, recorders: allRecorders, startedAt: startedAt) },
            apply: { routing in
                balancer.apply(routing)
                for pool in allPools {
                    pool.eventLoop.execute { pool.value.prune { balancer.isRouted($0) } }
                }
            })
        let path = configurationPath
        let logger = self.logger
        await withDiscardingTaskGroup { tasks in
            tasks.addTask { try? await adminServer.run(admin) }
            tasks.addTask { await HealthChecker(balancer: balancer, eventLoops: eventLoops).run() }
            // Waits for a graceful stop, or for the configuration to disappear.
            await withGracefulShutdownHandler {
                while !Task.isShuttingDownGracefully, !Task.isCancelled, FileManager.default.fileExists(atPath: path) {
                    try? await Task.sleep(for: .milliseconds(500))
                }
            } onGracefulShutdown: {}
            logger.info("Load balancer \(name) stopping: finishing requests in flight")
            try? await listener.close()
            let deadline = ContinuousClock.now + .seconds(max(1, balancer.routing.drainingTimeout))
            while balancer.inFlight > 0, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            tasks.cancelAll()
        }
        try? await admin.channel.close()
        try await eventLoops.shutdownGracefully()
        logger.info("Load balancer \(name) stopped")
    }

    /// Health and traffic of every registered and draining instance.
    static func report(balancer: Balancer, recorders: [TrafficRecorder], startedAt: Date) -> LoadBalancerTraffic {
        let routing = balancer.routing
        let tables = TrafficRecorder.merge(recorders.map { $0.copy() })
        let snapshot = balancer.snapshot()
        func instance(_ id: InstanceID, port: Int, health: TargetHealth, reason: String?) -> InstanceTraffic {
            let series = tables.instances[id] ?? TrafficRecorder.Series()
            return InstanceTraffic(instanceId: id, port: port, health: health, healthReason: reason,
                                   inFlight: snapshot.outstanding[id] ?? 0, requests: series.counts, latency: series.summary)
        }
        let groups = routing.groups.map { group in
            let series = tables.groups[group.name] ?? TrafficRecorder.Series()
            return GroupTraffic(name: group.name, weight: group.weight, requests: series.counts, latency: series.summary,
                                instances: group.instances.map { routed in
                                    let health = snapshot.health[routed.instanceId]
                                    return instance(routed.instanceId, port: routed.port, health: health?.0 ?? .initial, reason: health?.1)
                                })
        }
        let draining = snapshot.draining.map { instance($0.instanceId, port: $0.port, health: .draining, reason: nil) }
        return LoadBalancerTraffic(routing: routing, startedAt: startedAt, groups: groups, draining: draining, unrouted: tables.unrouted)
    }
}
