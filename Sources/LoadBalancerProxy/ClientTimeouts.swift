import AsgardCore
import NIOCore
import NIOHTTP1

/// Closes client connections that hold the load balancer without using it: one whose request
/// head has not fully arrived `headTimeout` after its first byte (or after the connection
/// opened), and one that sends nothing for the idle timeout between requests. Two handlers share
/// it on the connection's event loop: `RawBytes` before the HTTP decoder notices bytes, `Heads`
/// after it notices decoded heads and written answers.
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
    private var timer: Scheduled<Void>?
    private var channel: (any Channel)?

    init(headTimeout: TimeAmount, idleTimeout: @escaping () -> TimeAmount) {
        self.headTimeout = headTimeout
        self.idleTimeout = idleTimeout
    }

    /// The connection opened: its first head must come within the head timeout.
    fileprivate func opened(_ channel: any Channel) {
        self.channel = channel
        phase = .head
        arm(headTimeout)
    }

    fileprivate func bytesArrived() {
        guard phase == .idle else { return }
        phase = .head
        arm(headTimeout)
    }

    fileprivate func headArrived() {
        phase = .serving
        timer?.cancel()
        timer = nil
    }

    fileprivate func answered() {
        guard phase == .serving else { return }
        phase = .idle
        arm(idleTimeout())
    }

    fileprivate func closed() {
        timer?.cancel()
        timer = nil
        channel = nil
    }

    private func arm(_ amount: TimeAmount) {
        timer?.cancel()
        guard let channel else { return }
        timer = channel.eventLoop.assumeIsolated().scheduleTask(in: amount) {
            self.timer = nil
            if self.phase != .serving { self.channel?.close(promise: nil) }
        }
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

    /// Sees decoded request heads and the ends of answers, after the HTTP codec.
    final class Heads: ChannelDuplexHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        typealias OutboundIn = HTTPServerResponsePart
        typealias OutboundOut = HTTPServerResponsePart
        private let timeouts: ClientTimeouts

        init(_ timeouts: ClientTimeouts) { self.timeouts = timeouts }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head = unwrapInboundIn(data) { timeouts.headArrived() }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data) { timeouts.answered() }
            context.write(data, promise: promise)
        }
    }
}
