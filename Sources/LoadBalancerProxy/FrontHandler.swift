import AsgardCore
import NIOCore
import NIOHTTP1

/// One client connection: forwards each request to an instance chosen by the balancer, over a
/// kept-alive connection from the loop's pool, and streams the answer back. Runs on the client
/// connection's event loop, as do its backend connections.
final class FrontHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Tries per request when instances cannot be reached.
    static let maxAttempts = 3
    /// Body bytes kept to send a request again on another instance.
    static let maxReplayBytes = 1 << 20

    private let name: String
    private let balancer: Balancer
    private let pool: BackendPool
    private let recorder: TrafficRecorder
    private let clientAddress: String
    /// The client connection's head and idle timeouts, told of each head and each answer's end.
    private let timeouts: ClientTimeouts
    private var context: ChannelHandlerContext?

    // The request being served.
    private var head: HTTPRequestHead?
    private var upstreamHead: HTTPRequestHead?
    private var start = NIODeadline.now()
    private var target: BackendTarget?
    private var backend: BackendConnection?
    private var tried: [InstanceID] = []
    /// Parts not yet sent to an instance.
    private var pending: [HTTPClientRequestPart] = []
    /// Body parts already sent, to send again if the instance fails before answering; nil when
    /// not allowed (not idempotent, or too big).
    private var replay: [ByteBuffer]?
    private var replayBytes = 0
    /// Whether the end of the request went out, with its trailers.
    private var sentEnd: HTTPHeaders??
    private var requestComplete = false
    private var responseStarted = false
    private var status = 0
    private var keepAlive = true
    /// The load balancer answered itself; the rest of the request is read and dropped.
    private var answeredLocally = false
    /// When the instance must have begun its answer, or the client gets 504; nil while no
    /// request waits for one. A tick per connection looks at it, so that a request costs no timer.
    private var answerDeadline: NIODeadline?
    private var answerTimeout = 0
    private var ticks: Scheduled<Void>?
    /// How often a connection looks at its deadline.
    static let tick = TimeAmount.milliseconds(250)

    init(name: String, balancer: Balancer, pool: BackendPool, recorder: TrafficRecorder, clientAddress: String, timeouts: ClientTimeouts) {
        self.timeouts = timeouts
        self.name = name
        self.balancer = balancer
        self.pool = pool
        self.recorder = recorder
        self.clientAddress = clientAddress
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// True between a read from the client and its channelReadComplete.
    private var readingClient = false

    /// Parts of pipelined requests that arrived while one was being served, in order; the
    /// connection stops reading until they are taken. (NIO's pipelining helper would pause
    /// reading around every request, two system calls each.)
    private var queued: [HTTPServerRequestPart] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        readingClient = true
        let part = unwrapInboundIn(data)
        if case .head = part { timeouts.headArrived() }
        if !queued.isEmpty || head != nil, case .head = part {
            queued.append(part)
            setAutoRead(context.channel, false)
        } else if !queued.isEmpty {
            queued.append(part)
        } else {
            dispatch(part)
        }
    }

    /// Serves the requests that waited for the previous one to be answered.
    private func takeQueued() {
        while let part = queued.first {
            if case .head = part, head != nil { return }
            queued.removeFirst()
            dispatch(part)
        }
        setAutoRead(context?.channel, true)
    }

    private func dispatch(_ part: HTTPServerRequestPart) {
        switch part {
        case .head(let request):
            begin(request)
        case .body(let buffer):
            guard !answeredLocally else { return }
            send(.body(.byteBuffer(buffer)))
        case .end(let trailers):
            requestComplete = true
            if answeredLocally {
                finishLocalAnswer()
                return
            }
            send(.end(trailers))
            startAnswerTimer()
        }
    }

    /// From the end of the request, the instance has the idle timeout to begin its answer.
    private func startAnswerTimer() {
        guard let context, !responseStarted else { return }
        answerTimeout = balancer.idleTimeoutSeconds
        answerDeadline = .now() + .seconds(Int64(answerTimeout))
        if ticks == nil { tick(context.eventLoop) }
    }

    /// Answers 504 past the answer's deadline, and looks again a tick later while a request
    /// waits for its answer (under load the ticks go on; an idle connection has none).
    private func tick(_ loop: any EventLoop) {
        if let deadline = answerDeadline, deadline < .now() { answerTimedOut(seconds: answerTimeout) }
        guard context != nil, answerDeadline != nil else { ticks = nil; return }
        ticks = loop.assumeIsolated().scheduleTask(in: FrontHandler.tick) { self.tick(loop) }
    }

    /// The instance did not answer in time: it loses the request (its connection is closed) and
    /// the client gets 504.
    private func answerTimedOut(seconds: Int) {
        answerDeadline = nil
        guard head != nil, !responseStarted, !answeredLocally else { return }
        if let backend {
            backend.handler.owner = nil
            backend.channel.close(promise: nil)
            self.backend = nil
        }
        let failed = target
        if let failed { balancer.finished(failed) }
        target = nil
        answerLocally(.gatewayTimeout,
                      "Load balancer \(name): instance \(failed?.instanceId.rawValue ?? "?") did not answer within \(seconds) s (the load balancer's idle timeout).",
                      target: failed)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        readingClient = false
        backend?.channel.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // Backpressure: read the instance's answer only as fast as the client takes it.
        if let backend { setAutoRead(backend.channel, context.channel.isWritable) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        answerDeadline = nil
        ticks?.cancel()
        ticks = nil
        // The client went away: an unfinished exchange cannot reuse its instance connection.
        if let backend {
            backend.handler.owner = nil
            backend.channel.close(promise: nil)
            self.backend = nil
        }
        if let target {
            balancer.finished(target)
            self.target = nil
        }
        context.fireChannelInactive()
    }

    /// Starts or stops reading from a channel of this loop.
    private func setAutoRead(_ channel: (any Channel)?, _ on: Bool) {
        try? channel?.syncOptions?.setOption(ChannelOptions.autoRead, value: on)
    }

    // MARK: Requests

    private func begin(_ request: HTTPRequestHead) {
        head = request
        start = .now()
        tried = []
        pending = []
        replay = request.method.isIdempotent ? [] : nil
        replayBytes = 0
        sentEnd = nil
        requestComplete = false
        responseStarted = false
        answeredLocally = false
        status = 0
        keepAlive = request.isKeepAlive
        upstreamHead = forwardedHead(request)
        attempt()
    }

    /// Headers that describe one connection, not the message: not forwarded either way.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
                                        "te", "trailer", "upgrade", "expect"]

    /// Removes the hop-by-hop headers and those the Connection header names.
    static func removeHopByHop(_ headers: inout HTTPHeaders) {
        guard headers.contains(where: { isHopByHop($0.name) }) else { return }
        let named = headers[canonicalForm: "connection"].map { $0.lowercased() }
        headers = HTTPHeaders(headers.filter { !isHopByHop($0.name) && !named.contains($0.name.lowercased()) })
    }

    /// True for a hop-by-hop header name; most names are ruled out by their length alone.
    static func isHopByHop(_ name: String) -> Bool {
        switch name.utf8.count {
        case 2, 6, 7, 10, 16, 18, 19: hopByHop.contains(name.lowercased())
        default: false
        }
    }

    private func forwardedHead(_ request: HTTPRequestHead) -> HTTPRequestHead {
        var headers = request.headers
        FrontHandler.removeHopByHop(&headers)
        if headers.contains(name: "x-forwarded-for") {
            headers.replaceOrAdd(name: "x-forwarded-for", value: headers["x-forwarded-for"].joined(separator: ", ") + ", " + clientAddress)
        } else {
            headers.add(name: "x-forwarded-for", value: clientAddress)
        }
        if headers.contains(name: "x-forwarded-proto") {
            headers.replaceOrAdd(name: "x-forwarded-proto", value: "http")
        } else {
            headers.add(name: "x-forwarded-proto", value: "http")
        }
        return HTTPRequestHead(version: .http1_1, method: request.method, uri: request.uri, headers: headers)
    }

    private func attempt() {
        switch balancer.pick(excluding: tried) {
        case .failure(let reason):
            let message: String
            switch reason {
            case .noneRegistered:
                answerLocally(.serviceUnavailable, "Load balancer \(name) has no instances registered: no server group behind it takes traffic (none attached, all disabled, or none with an instance in service).")
                return
            case .noneHealthy(let registered):
                answerLocally(.serviceUnavailable, "Load balancer \(name) has no healthy instance: \(registered) registered, none passing its health check (GET \(balancer.routing.healthCheck.target)); instances take requests once they pass it.")
                return
            case .allTried:
                message = "Load balancer \(name) could not reach an instance after \(tried.count) tr\(tried.count == 1 ? "y" : "ies")."
            }
            answerLocally(.badGateway, message)
        case .success(let chosen):
            target = chosen
            tried.append(chosen.instanceId)
            if let connection = pool.take(chosen) {
                // While reading the client, channelReadComplete flushes; a retry flushes now.
                attach(connection, flush: !readingClient)
                return
            }
            // Hold the client's body until the instance connection is up.
            setAutoRead(context?.channel, false)
            pool.connect(chosen).assumeIsolated().whenComplete { result in
                self.setAutoRead(self.context?.channel, true)
                switch result {
                case .success(let channel):
                    guard self.target == chosen, self.context != nil,
                          let handler = try? channel.pipeline.syncOperations.handler(type: BackendHandler.self) else {
                        channel.close(promise: nil)
                        if self.target == chosen { self.retryOrFail(after: chosen, sentAnything: false) }
                        return
                    }
                    self.attach(BackendConnection(channel: channel, handler: handler, target: chosen), flush: true)
                case .failure:
                    self.retryOrFail(after: chosen, sentAnything: false)
                }
            }
        }
    }

    private func attach(_ connection: BackendConnection, flush: Bool) {
        backend = connection
        connection.handler.owner = self
        connection.handler.pool = nil
        if let upstreamHead { connection.channel.write(HTTPClientRequestPart.head(upstreamHead), promise: nil) }
        let parts = pending
        pending = []
        for part in parts { write(part, to: connection) }
        if flush { connection.channel.flush() }
    }

    /// Sends a body part or the end, keeping a copy while the request may be sent again.
    private func write(_ part: HTTPClientRequestPart, to connection: BackendConnection) {
        switch part {
        case .body(.byteBuffer(let buffer)) where replay != nil:
            replayBytes += buffer.readableBytes
            if replayBytes > FrontHandler.maxReplayBytes { replay = nil } else { replay?.append(buffer) }
        case .end(let trailers):
            sentEnd = .some(trailers)
        default:
            break
        }
        connection.channel.write(part, promise: nil)
    }

    private func send(_ part: HTTPClientRequestPart) {
        if let backend {
            write(part, to: backend)
            if !readingClient { backend.channel.flush() }
        } else {
            pending.append(part)
        }
    }

    /// An instance failed before it answered: try another one if the request may be sent again.
    private func retryOrFail(after failed: BackendTarget, sentAnything: Bool) {
        balancer.finished(failed)
        target = nil
        backend = nil
        let canResend = !sentAnything || replay != nil
        if canResend, tried.count < FrontHandler.maxAttempts {
            if sentAnything, let replayed = replay {
                var resend = replayed.map { HTTPClientRequestPart.body(.byteBuffer($0)) }
                if let trailers = sentEnd { resend.append(.end(trailers)) }
                pending = resend + pending
                replay = []
                replayBytes = 0
                sentEnd = nil
            }
            attempt()
        } else {
            answerLocally(.badGateway, "Load balancer \(name) lost the connection to instance \(failed.instanceId) before it answered.",
                          target: failed)
        }
    }

    private func answerLocally(_ status: HTTPResponseStatus, _ message: String, target: BackendTarget? = nil) {
        guard !responseStarted else {
            context?.close(promise: nil)
            return
        }
        answeredLocally = true
        responseStarted = true
        localAnswer = (status, message, target)
        pending = []
        if requestComplete { finishLocalAnswer() }
    }

    private var localAnswer: (status: HTTPResponseStatus, message: String, target: BackendTarget?)?

    /// Writes the load balancer's own answer once the request has been read to its end, so the
    /// connection stays usable.
    private func finishLocalAnswer() {
        guard let context, let (status, message, target) = localAnswer else { return }
        localAnswer = nil
        recorder.record(target, status: Int(status.code), micros: elapsedMicros())
        let body = "\(status.code) \(status.reasonPhrase): \(message)\n"
        var headers = HTTPHeaders([("content-type", "text/plain; charset=utf-8"), ("content-length", String(body.utf8.count))])
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head?.version ?? .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        let close = !keepAlive
        resetRequest()
        timeouts.answered()
        if close {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            if !queued.isEmpty { takeQueued() }
        }
    }

    private func resetRequest() {
        answerDeadline = nil
        head = nil
        upstreamHead = nil
        target = nil
        backend = nil
        pending = []
        replay = nil
        answeredLocally = false
    }

    private func elapsedMicros() -> UInt64 {
        UInt64(max(0, (NIODeadline.now() - start).nanoseconds / 1000))
    }

    // MARK: Answers from the instance

    func backendRead(_ part: HTTPClientResponsePart) {
        guard let context else { return }
        switch part {
        case .head(let response):
            guard response.status.code >= 200 else { return }
            responseStarted = true
            answerDeadline = nil
            status = Int(response.status.code)
            var headers = response.headers
            FrontHandler.removeHopByHop(&headers)
            if let version = head?.version, version.major == 1, version.minor == 0 {
                if keepAlive && headers["content-length"].isEmpty { keepAlive = false }
                if keepAlive { headers.add(name: "connection", value: "keep-alive") }
            }
            if !keepAlive { headers.add(name: "connection", value: "close") }
            backendKeepAlive = response.isKeepAlive
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head?.version ?? .http1_1, status: response.status, headers: headers))),
                          promise: nil)
        case .body(let buffer):
            guard responseStarted else { return }
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .end(let trailers):
            guard responseStarted else { return }
            complete(trailers: trailers)
        }
    }

    private var backendKeepAlive = true

    private func complete(trailers: HTTPHeaders?) {
        guard let context else { return }
        if let target {
            recorder.record(target, status: status, micros: elapsedMicros())
            balancer.finished(target)
        }
        if let backend {
            backend.handler.owner = nil
            pool.give(backend, reusable: backendKeepAlive && requestComplete && balancer.isRouted(backend.target))
        }
        let close = !keepAlive || !requestComplete
        resetRequest()
        timeouts.answered()
        if close {
            context.writeAndFlush(wrapOutboundOut(.end(trailers))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            if !queued.isEmpty { takeQueued() }
        }
    }

    func backendReadComplete() {
        context?.flush()
    }

    func backendWritabilityChanged(_ writable: Bool) {
        setAutoRead(context?.channel, writable)
    }

    func backendClosed() {
        guard let failed = target else { return }
        if responseStarted {
            // Part of the answer went out already: all the client can learn is a closed connection.
            recorder.record(failed, status: 502, micros: elapsedMicros())
            balancer.finished(failed)
            target = nil
            backend = nil
            context?.close(promise: nil)
            return
        }
        retryOrFail(after: failed, sentAnything: true)
    }
}

extension HTTPMethod {
    /// Methods that may be sent twice with the effect of once (RFC 9110 §9.2.2).
    var isIdempotent: Bool {
        switch self {
        case .GET, .HEAD, .OPTIONS, .TRACE, .PUT, .DELETE: true
        default: false
        }
    }
}
