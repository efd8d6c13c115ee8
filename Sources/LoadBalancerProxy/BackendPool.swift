import NIOCore
import NIOHTTP1
import NIOPosix

/// A kept-alive connection to an instance.
final class BackendConnection {
    let channel: any Channel
    let handler: BackendHandler
    let target: BackendTarget

    init(channel: any Channel, handler: BackendHandler, target: BackendTarget) {
        self.channel = channel
        self.handler = handler
        self.target = target
    }
}

/// The idle connections to instances of one event loop. Used only on that loop, so requests
/// reuse connections without locks.
final class BackendPool {
    /// Idle connections kept per instance and loop.
    static let maxIdlePerTarget = 128

    let eventLoop: any EventLoop
    private var idle: [BackendTarget: [BackendConnection]] = [:]

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// An idle connection to `target` that is still open, if there is one.
    func take(_ target: BackendTarget) -> BackendConnection? {
        while var connections = idle[target], let connection = connections.popLast() {
            idle[target] = connections.isEmpty ? nil : connections
            if connection.channel.isActive { return connection }
        }
        return nil
    }

    /// Keeps `connection` for the next request to its instance, or closes it.
    func give(_ connection: BackendConnection, reusable: Bool) {
        guard reusable, connection.channel.isActive, idle[connection.target, default: []].count < BackendPool.maxIdlePerTarget else {
            connection.channel.close(promise: nil)
            return
        }
        connection.handler.owner = nil
        connection.handler.pool = self
        idle[connection.target, default: []].append(connection)
    }

    /// Forgets an idle connection the instance closed.
    func remove(_ channel: any Channel, target: BackendTarget) {
        guard var connections = idle[target] else { return }
        connections.removeAll { $0.channel === channel }
        idle[target] = connections.isEmpty ? nil : connections
    }

    /// Closes idle connections to instances no longer routed.
    func prune(keeping routed: (BackendTarget) -> Bool) {
        for (target, connections) in idle where !routed(target) {
            idle[target] = nil
            for connection in connections { connection.channel.close(promise: nil) }
        }
    }

    /// Opens a connection to `target` on this loop.
    func connect(_ target: BackendTarget) -> EventLoopFuture<any Channel> {
        ClientBootstrap(group: eventLoop)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(2))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(BackendHandler(target: target))
                }
            }
            .connect(host: "127.0.0.1", port: target.port)
    }
}

/// The far end of a connection to an instance: finds the answer's parts in the bytes read
/// (`AnswerFramer`) and hands them to the request that owns the connection now.
final class BackendHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let target: BackendTarget
    /// The request being served over this connection, nil while idle.
    weak var owner: FrontHandler?
    /// The pool holding this connection while idle.
    weak var pool: BackendPool?
    /// Whether the request being served is a HEAD (its answer has no body).
    var headRequest = false
    /// Whether its client speaks HTTP/1.0 (a chunked body goes to it without its chunks).
    var dechunk = false
    private var framer = AnswerFramer()

    init(target: BackendTarget) {
        self.target = target
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        guard let owner else {
            // An idle connection that speaks is out of step with its requests.
            context.close(promise: nil)
            return
        }
        do {
            let ended = try framer.feed(&input, headRequest: headRequest, dechunk: dechunk) { owner.backendRead($0) }
            // Bytes after the end of an answer were not asked for: the connection is out of step.
            if ended, input.readableBytes > 0 { context.close(promise: nil) }
        } catch let malformed as AnswerFramer.Malformed {
            owner.backendMalformed(malformed.reason)
            context.close(promise: nil)
        } catch {
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        owner?.backendReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        owner?.backendWritabilityChanged(context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let owner {
            self.owner = nil
            // An answer that lasts until the close ends here; any other is cut short.
            if !framer.closed({ owner.backendRead($0) }) { owner.backendClosed() }
        } else {
            pool?.remove(context.channel, target: target)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
