import AsgardCore
import NIOCore
import NIOHTTP1

/// One client connection: forwards each request to an instance chosen by the balancer, over a
/// kept-alive connection from the loop's pool, and streams the answer back as the instance's
/// bytes (`AnswerFramer`), not decoded and encoded again. Runs on the client connection's event
/// loop, as do its backend connections.
final class FrontHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

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
    /// The request's head as the instance gets it.
    private var upstreamHead: ByteBuffer?
    /// Whether the request's body travels in chunks (the decoder takes them off; they are put
    /// back for the instance).
    private var chunkedBody = false
    private var start = NIODeadline.now()
    private var target: BackendTarget?
    private var backend: BackendConnection?
    private var tried: [InstanceID] = []
    /// Body bytes (framed for the instance) not yet sent to an instance.
    private var pending: [ByteBuffer] = []
    /// Body bytes already sent, to send again if the instance fails before answering; nil when
    /// not allowed (not idempotent, or too big).
    private var replay: [ByteBuffer]?
    private var replayBytes = 0
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
            if chunkedBody {
                guard buffer.readableBytes > 0 else { return }
                var size = ByteBuffer()
                size.writeString(String(buffer.readableBytes, radix: 16))
                size.writeStaticString("\r\n")
                send(size)
                send(buffer)
                send(FrontHandler.crlf)
            } else {
                send(buffer)
            }
        case .end(let trailers):
            requestComplete = true
            if answeredLocally {
                finishLocalAnswer()
                return
            }
            if chunkedBody {
                var last = ByteBuffer()
                last.writeStaticString("0\r\n")
                for (name, value) in trailers ?? [:] { last.writeString("\(name): \(value)\r\n") }
                last.writeStaticString("\r\n")
                send(last)
            }
            if let backend, !readingClient { backend.channel.flush() }
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

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A request that is not HTTP gets a 400 when nothing is under way; any other error ends
        // the connection (as NIO's protocol error handler would).
        guard error is HTTPParserError, head == nil else {
            context.close(promise: nil)
            return
        }
        var answer = context.channel.allocator.buffer(capacity: 80)
        answer.writeStaticString("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        context.writeAndFlush(wrapOutboundOut(answer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
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
        requestComplete = false
        responseStarted = false
        answeredLocally = false
        status = 0
        keepAlive = request.isKeepAlive
        chunkedBody = FrontHandler.isChunked(request.headers)
        upstreamHead = forwardedHead(request)
        attempt()
    }

    /// True for a header that describes one connection, not the message (Connection and the
    /// names `AnswerFramer.isHopByHop` knows): not forwarded either way.
    static func isHopByHop(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            return AnswerFramer.isHopByHop(raw) || AnswerFramer.equalsIgnoringCase(raw, "connection")
        }
    }

    static let crlf = ByteBuffer(string: "\r\n")

    /// Whether a request's body comes in chunks: its last transfer coding is chunked.
    static func isChunked(_ headers: HTTPHeaders) -> Bool {
        headers[canonicalForm: "transfer-encoding"].last?.lowercased() == "chunked"
    }

    /// The request's head for the instance, written once: HTTP/1.1, without the client's
    /// connection headers, with X-Forwarded-For and X-Forwarded-Proto (and without
    /// Content-Length beside chunks, which would make the two ends disagree on the body).
    private func forwardedHead(_ request: HTTPRequestHead) -> ByteBuffer {
        let headers = request.headers
        var named: [String] = []
        if headers.contains(where: { FrontHandler.isHopByHop($0.name) }) {
            named = headers[canonicalForm: "connection"].map { $0.lowercased() }
        }
        var out = ByteBuffer()
        out.reserveCapacity(512)
        out.writeString(request.method.rawValue)
        out.writeStaticString(" ")
        out.writeString(request.uri)
        out.writeStaticString(" HTTP/1.1\r\n")
        var forwardedFor: [String] = []
        for (name, value) in headers {
            if FrontHandler.isHopByHop(name) || (!named.isEmpty && named.contains(name.lowercased())) { continue }
            switch name.utf8.count {
            case 15 where name.lowercased() == "x-forwarded-for":
                forwardedFor.append(value)
                continue
            case 17 where name.lowercased() == "x-forwarded-proto":
                continue
            case 14 where chunkedBody && name.lowercased() == "content-length":
                continue
            default:
                break
            }
            out.writeString(name)
            out.writeStaticString(": ")
            out.writeString(value)
            out.writeStaticString("\r\n")
        }
        out.writeStaticString("x-forwarded-for: ")
        for earlier in forwardedFor {
            out.writeString(earlier)
            out.writeStaticString(", ")
        }
        out.writeString(clientAddress)
        out.writeStaticString("\r\nx-forwarded-proto: http\r\n\r\n")
        return out
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
                let tries = "Load balancer \(name) could not reach an instance after \(tried.count) tr\(tried.count == 1 ? "y" : "ies")"
                message = malformedReason.map { "\(tries): instance \(tried.last?.rawValue ?? "?") sent an answer the load balancer could not read: \($0)." }
                    ?? tries + "."
            }
            // The failure counts against the instance that failed last.
            answerLocally(.badGateway, message, target: lastFailed)
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
        connection.handler.headRequest = head?.method == .HEAD
        connection.handler.dechunk = clientMinorVersion == 0
        if let upstreamHead { connection.channel.write(upstreamHead, promise: nil) }
        let parts = pending
        pending = []
        for part in parts { write(part, to: connection) }
        if flush { connection.channel.flush() }
    }

    /// Sends body bytes, keeping a copy while the request may be sent again.
    private func write(_ bytes: ByteBuffer, to connection: BackendConnection) {
        if replay != nil {
            replayBytes += bytes.readableBytes
            if replayBytes > FrontHandler.maxReplayBytes { replay = nil } else { replay?.append(bytes) }
        }
        connection.channel.write(bytes, promise: nil)
    }

    private func send(_ bytes: ByteBuffer) {
        if let backend {
            write(bytes, to: backend)
            if !readingClient { backend.channel.flush() }
        } else {
            pending.append(bytes)
        }
    }

    /// An instance failed before it answered: try another one if the request may be sent again.
    private func retryOrFail(after failed: BackendTarget, sentAnything: Bool) {
        lastFailed = failed
        balancer.finished(failed)
        target = nil
        backend = nil
        let canResend = !sentAnything || replay != nil
        if canResend, tried.count < FrontHandler.maxAttempts {
            if sentAnything, let replayed = replay {
                pending = replayed + pending
                replay = []
                replayBytes = 0
            }
            attempt()
        } else {
            let why = malformedReason.map { "sent an answer the load balancer could not read: \($0)" } ?? "closed the connection before it answered"
            answerLocally(.badGateway, "Load balancer \(name): instance \(failed.instanceId) \(why).", target: failed)
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
        let close = !keepAlive
        var answer = context.channel.allocator.buffer(capacity: body.utf8.count + 128)
        answer.writeString("HTTP/1.\(clientMinorVersion) \(status.code) \(status.reasonPhrase)\r\n")
        answer.writeString("content-type: text/plain; charset=utf-8\r\ncontent-length: \(body.utf8.count)\r\n")
        if close { answer.writeStaticString("connection: close\r\n") }
        answer.writeStaticString("\r\n")
        answer.writeString(body)
        resetRequest()
        timeouts.answered()
        if close {
            context.writeAndFlush(wrapOutboundOut(answer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(answer), promise: nil)
            if !queued.isEmpty { takeQueued() }
        }
    }

    /// The minor version of the client's HTTP/1.x (0 or 1), which its answers are written in.
    private var clientMinorVersion: Int {
        guard let version = head?.version, version.major == 1, version.minor == 0 else { return 1 }
        return 0
    }

    private func resetRequest() {
        lastFailed = nil
        answerDeadline = nil
        malformedReason = nil
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

    func backendRead(_ part: AnswerFramer.Event) {
        guard let context else { return }
        switch part {
        case .head(let answer):
            responseStarted = true
            answerDeadline = nil
            status = answer.status
            let minor = clientMinorVersion
            // An HTTP/1.0 client learns where a body ends from its length or from the close.
            if minor == 0, !answer.hasLength { keepAlive = false }
            if answer.framing == .untilClose { keepAlive = false }
            backendKeepAlive = answer.keepAlive
            let word: AnswerFramer.ConnectionWord? = !keepAlive ? .close : minor == 0 ? .keepAlive : nil
            if let rewritten = AnswerFramer.clientHead(answer, clientMinorVersion: minor, connection: word,
                                                       withoutTransferEncoding: minor == 0 && answer.framing == .chunked,
                                                       allocator: context.channel.allocator) {
                context.write(wrapOutboundOut(rewritten), promise: nil)
            } else if let whole = answer.whole {
                context.write(wrapOutboundOut(whole), promise: nil)
                return
            } else {
                context.write(wrapOutboundOut(answer.bytes), promise: nil)
            }
            if let body = answer.body { context.write(wrapOutboundOut(body), promise: nil) }
        case .body(let buffer):
            guard responseStarted else { return }
            context.write(wrapOutboundOut(buffer), promise: nil)
        case .end:
            guard responseStarted else { return }
            complete()
        }
    }

    private var backendKeepAlive = true

    private func complete() {
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
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        } else {
            context.flush()
            if !queued.isEmpty { takeQueued() }
        }
    }

    /// The instance's answer broke HTTP's framing: it is treated as a lost connection.
    func backendMalformed(_ reason: String) {
        malformedReason = reason
    }

    /// The instance the request failed on last, which a 502 counts against.
    private var lastFailed: BackendTarget?

    /// Why the last instance's answer could not be read, for the 502 that may follow.
    private var malformedReason: String?

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
