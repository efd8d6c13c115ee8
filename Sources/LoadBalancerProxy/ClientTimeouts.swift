import AsgardCore
import NIOCore
import NIOHTTP1

/// Closes client connections that hold the load balancer without using it: one whose request
/// head has not fully arrived `headTimeout` after its first byte (or after the connection
/// opened), and one that sends nothing for the idle timeout between requests. Two see what it
/// needs on the connection's event loop: the `RawBytes` handler before the HTTP decoder notices
/// bytes, and the `FrontHandler` tells it of decoded heads and answers written (a handler of its
/// own there would cost every part of every request and answer a pass through it).
final class ClientTimeouts {
    private enum Phase {
        /// Between requests (or before the first): waiting for bytes.
        case idle
        /// Bytes of a head arrived; waiting for the whole head.
        case head
        /// A request is being served.
        case serving
    }

    private let headTimeout: TimeAmount
    private let idleTimeout: () -> TimeAmount
    private var phase = Phase.idle
    /// When the current phase must end (a head arrive, a new request begin); nil while serving.
    /// A tick per connection looks at it, so that a request costs no timer.
    private var deadline: NIODeadline?
    private var ticks: Scheduled<Void>?
    private var channel: (any Channel)?

    /// How often a connection looks at its deadline.
    static let tick = TimeAmount.seconds(1)

    init(headTimeout: TimeAmount, idleTimeout: @escaping () -> TimeAmount) {
        self.headTimeout = headTimeout
        self.idleTimeout = idleTimeout
    }

    /// The connection opened: its first head must come within the head timeout.
    fileprivate func opened(_ channel: any Channel) {
        self.channel = channel
        phase = .head
        deadline = .now() + headTimeout
        if ticks == nil { tick() }
    }

    /// Closes the connection past its deadline, and looks again a tick later.
    private func tick() {
        guard let channel else { return }
        if let deadline, deadline < .now() {
            channel.close(promise: nil)
            return
        }
        ticks = channel.eventLoop.assumeIsolated().scheduleTask(in: ClientTimeouts.tick) { self.tick() }
    }

    fileprivate func bytesArrived() {
        guard phase == .idle else { return }
        phase = .head
        deadline = .now() + headTimeout
    }

    func headArrived() {
        phase = .serving
        deadline = nil
    }

    func answered() {
        guard phase == .serving else { return }
        phase = .idle
        deadline = .now() + idleTimeout()
    }

    fileprivate func closed() {
        ticks?.cancel()
        ticks = nil
        deadline = nil
        channel = nil
    }

    /// Sees the bytes a client sends, before the HTTP decoder.
    final class RawBytes: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        private let timeouts: ClientTimeouts

        init(_ timeouts: ClientTimeouts) { self.timeouts = timeouts }

        func channelActive(context: ChannelHandlerContext) {
            timeouts.opened(context.channel)
            context.fireChannelActive()
        }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { timeouts.opened(context.channel) }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            timeouts.bytesArrived()
            context.fireChannelRead(data)
        }

        func channelInactive(context: ChannelHandlerContext) {
            timeouts.closed()
            context.fireChannelInactive()
        }
    }
}
