import AsyncHTTPClient
import AsgardCore
import Foundation
import Metrics
import NIOCore
import NIOFoundationCompat

/// A client of one AWS Query service (EC2, Auto Scaling, ELB, CloudWatch, IAM) in one region:
/// form-encoded POSTs signed with SigV4, XML answers, typed errors, retries with exponential
/// backoff and full jitter on throttling and 5xx.
public struct AWSQueryClient: Sendable {
    public var endpoint: URL
    public var version: String
    public var signer: SigV4Signer
    /// Tries per call, the first included.
    public var attempts: Int
    /// The first pause; each next one is up to twice as long (full jitter).
    public var baseDelay: Duration
    /// No try starts after this much time since the first: a call that AWS keeps failing (or
    /// an endpoint that takes connections and never answers) ends in about this long.
    public var deadline: Duration = .seconds(40)
    /// Shared by the clients of one account: AWS throttles per account.
    public var limiter: RequestRateLimiter?
    /// Shared by the clients of one region: whether its endpoints answer.
    public var reachability: EndpointReachability?
    let http: HTTPClient

    /// Creates a client of `service` (its signing name) at `endpoint`.
    public init(endpoint: URL, service: String, version: String, region: String, credentials: AWSCredentials, attempts: Int = 4,
                baseDelay: Duration = .milliseconds(100), limiter: RequestRateLimiter? = nil, reachability: EndpointReachability? = nil,
                http: HTTPClient = .shared) {
        self.limiter = limiter
        self.reachability = reachability
        self.endpoint = endpoint
        self.version = version
        signer = SigV4Signer(credentials: credentials, region: region, service: service)
        self.attempts = attempts
        self.baseDelay = baseDelay
        self.http = http
    }

    /// Calls `action` with `parameters` and answers its XML.
    ///
    /// - Throws: `AWSError` with AWS's code and message once the tries are spent or for an error
    ///   not worth retrying.
    public func call(_ action: String, _ parameters: [(String, String)] = []) async throws -> XMLNode {
        try Self.parse(try await callForBytes(action, parameters), action: action)
    }

    /// Calls `action` as `call` does (with its retries) and answers the XML's bytes, unparsed.
    func callForBytes(_ action: String, _ parameters: [(String, String)]) async throws -> Data {
        var attempt = 1
        let began = ContinuousClock.now
        while true {
            let tried = ContinuousClock.now
            do {
                let bytes = try await sendForBytes(action, parameters)
                record(action, outcome: "ok", since: tried)
                return bytes
            } catch let error as AWSError where error.isRetryable && attempt < attempts && ContinuousClock.now - began < deadline {
                record(action, outcome: error.isThrottling ? "throttled" : "retried", since: tried)
                attempt += 1
                try await backoff(before: attempt)
            } catch {
                record(action, outcome: Self.outcome(of: error), since: tried)
                throw error
            }
        }
    }

    /// Counts and times one try for Prometheus (through swift-metrics): `ok`, `throttled`,
    /// `retried` (failed, and tried again), `unreachable` or `error` (the call failed).
    private func record(_ action: String, outcome: String, since tried: ContinuousClock.Instant) {
        let service = signer.service
        Counter(label: "asgard_cloud_requests_total", dimensions: [("provider", "aws"), ("service", service), ("action", action), ("outcome", outcome)])
            .increment()
        Metrics.Timer(label: "asgard_cloud_request_duration_seconds", dimensions: [("provider", "aws"), ("service", service), ("action", action)])
            .recordSeconds((ContinuousClock.now - tried).inSeconds)
    }

    /// The outcome word of a try that ended the call with `error`.
    static func outcome(of error: any Error) -> String {
        guard let error = error as? AWSError else { return "error" }
        if error.isThrottling { return "throttled" }
        return error.code == AWSError.unreachableCode ? "unreachable" : "error"
    }

    /// Calls `action` once, without retries: for creates that AWS does not make idempotent,
    /// whose caller asks whether a failed try went through before it tries again.
    public func callOnce(_ action: String, _ parameters: [(String, String)] = []) async throws -> XMLNode {
        let tried = ContinuousClock.now
        let bytes: Data
        do {
            bytes = try await sendForBytes(action, parameters)
            record(action, outcome: "ok", since: tried)
        } catch {
            record(action, outcome: Self.outcome(of: error), since: tried)
            throw error
        }
        return try Self.parse(bytes, action: action)
    }

    /// The pause before try `attempt` (2, 3, …): full jitter under a cap that doubles each time.
    public func backoff(before attempt: Int) async throws {
        let cap = baseDelay * (1 << min(attempt - 2, 16))
        try await Task.sleep(for: .seconds(Double.random(in: 0...cap.inSeconds)))
    }

    /// Calls a paginated `action` until its last page, passing each page's `responseToken`
    /// (`NextToken`, EC2's `nextToken`, ELB's `NextMarker`) back as `requestToken` (`NextToken`,
    /// `Marker`); answers every page, in order.
    ///
    /// - Throws: `AWSError`, also when a token comes back twice (a loop).
    public func pages(_ action: String, _ parameters: [(String, String)] = [], requestToken: String = "NextToken",
                      responseToken: String = "NextToken", limit: Int = 10_000) async throws -> [XMLNode] {
        try await pages(action, parameters, requestToken: requestToken, responseToken: responseToken, limit: limit) { [$0] }
    }

    /// The same, taking what `read` finds in each page as it arrives, so that a page's XML tree
    /// is let go soon (a whole region is hundreds of megabytes of XML). The next page is asked
    /// for as soon as a page's bytes are in, with the token found at their end (`tokenHint`), so
    /// AWS answers it while the page before is parsed and read: a read of many pages costs about
    /// its calls, not its calls plus the parsing. The token the parsed page holds decides; a
    /// page asked for with a hint that differs from it is dropped and asked for again.
    public func pages<Item>(_ action: String, _ parameters: [(String, String)] = [], requestToken: String = "NextToken",
                            responseToken: String = "NextToken", limit: Int = 10_000, read: (XMLNode) -> [Item]) async throws -> [Item] {
        var items: [Item] = []
        var count = 1
        var seen = Set<String>()
        var bytes = try await callForBytes(action, parameters)
        while true {
            var hint = Self.tokenHint(in: bytes, element: responseToken)
            if let known = hint, seen.contains(known) || count >= limit { hint = nil }
            let asked = hint
            async let following: Data? = {
                guard let asked else { return nil }
                return try await callForBytes(action, parameters + [(requestToken, asked)])
            }()
            let page = try Self.parse(bytes, action: action)
            guard let token = page.find(responseToken)?.string().flatMap({ $0.isEmpty ? nil : $0 }) else {
                items += read(page)
                return items
            }
            guard seen.insert(token).inserted, count < limit else {
                throw AWSError(status: 500, code: "PaginationLoop", message: "\(action) gave the token \(token) twice; stopped after \(count) pages")
            }
            items += read(page)
            if token == hint, let next = try await following {
                bytes = next
            } else {
                bytes = try await callForBytes(action, parameters + [(requestToken, token)])
            }
            count += 1
        }
    }

    /// The text of the last `<element>` in `bytes`, found without parsing them: where AWS puts a
    /// page's token, at the end. Nil when there is none, or when its text holds an entity.
    static func tokenHint(in bytes: Data, element: String) -> String? {
        let open = Array("<\(element)>".utf8)
        return bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> String? in
            // (Foundation's backward search copies the whole answer first.)
            guard let base = raw.baseAddress else { return nil }
            var at = raw.count - open.count
            while at >= 0, !(raw[at] == open[0] && memcmp(base + at, open, open.count) == 0) { at -= 1 }
            guard at >= 0 else { return nil }
            let start = at + open.count
            var end = start
            while end < raw.count, raw[end] != UInt8(ascii: "<") {
                if raw[end] == UInt8(ascii: "&") { return nil }
                end += 1
            }
            guard end > start, end < raw.count else { return nil }
            return String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<end]), as: UTF8.self)
        }
    }

    /// The whole body of `response`, in one buffer sized by its Content-Length when it has one
    /// (growing a buffer page by page copied megabytes again at every doubling).
    static func collect(_ response: HTTPClientResponse, upTo limit: Int) async throws -> ByteBuffer {
        let length = response.headers.first(name: "content-length").flatMap(Int.init)
        if let length, length > limit { throw NIOTooManyBytesError(maxBytes: limit) }
        var collected = ByteBufferAllocator().buffer(capacity: min(max(length ?? 0, 4096), limit))
        for try await part in response.body {
            guard collected.readableBytes + part.readableBytes <= limit else { throw NIOTooManyBytesError(maxBytes: limit) }
            collected.writeImmutableBuffer(part)
        }
        return collected
    }

    /// An answer's XML tree.
    static func parse(_ data: Data, action: String) throws -> XMLNode {
        guard let root = XMLNode.parse(data) else {
            throw AWSError(status: 200, code: "InvalidResponse", message: "\(action) answered something that is not XML")
        }
        return root
    }

    /// One try of `action`: the answer's bytes when AWS says 2xx.
    func sendForBytes(_ action: String, _ parameters: [(String, String)]) async throws -> Data {
        if let reachability { try await reachability.admit(endpoint) }
        if let limiter { await limiter.acquire() }
        let body = Data(QueryEncoding.body([("Action", action), ("Version", version)] + parameters).utf8)
        var host = endpoint.host ?? "localhost"
        if let port = endpoint.port { host += ":\(port)" }
        let contentType = "application/x-www-form-urlencoded; charset=utf-8"
        let signed = signer.sign(method: "POST", url: endpoint, headers: [("Host", host), ("Content-Type", contentType)], body: body, date: Date())
        var request = HTTPClientRequest(url: endpoint.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        for (name, value) in signed { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(30))
        } catch {
            reachability?.lost("\(error)")
            throw AWSError(status: 503, code: "ServiceUnavailable", message: "cannot reach \(endpoint.absoluteString): \(error)")
        }
        reachability?.answered()
        var collected = try await Self.collect(response, upTo: 64 * 1024 * 1024)
        // The answer's own bytes, not a copy: a page of a region is megabytes.
        let data = collected.readData(length: collected.readableBytes, byteTransferStrategy: .noCopy) ?? Data()
        guard (200..<300).contains(response.status.code) else { throw AWSError.parse(status: Int(response.status.code), body: data) }
        return data
    }
}
