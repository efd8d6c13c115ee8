import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Whether the AWS endpoints of a region can be reached, so that a region whose endpoint is down
/// answers in seconds instead of waiting out every call's deadline (an HTTP client retries a
/// refused connection until the request's deadline).
///
/// A call goes ahead at once while a call got an answer in the last `trusted`; otherwise a TCP
/// connection to the endpoint is tried first (one at a time, with `connectTimeout`). While the
/// endpoint is down, calls fail at once and a new try is made at most every `retryEvery`.
public final class EndpointReachability: Sendable {
    struct State {
        var lastGood: ContinuousClock.Instant?
        var downSince: Date?
        var lastError = ""
        var lastProbe: ContinuousClock.Instant?
        var probing: Task<String?, Never>?
    }

    /// The endpoints it watches, for messages.
    public let name: String
    let connectTimeout: Duration
    let trusted: Duration
    let retryEvery: Duration
    private let state = Mutex(State())

    /// Creates a watcher named after what it watches (the region's endpoint).
    public init(name: String, connectTimeout: Duration = .seconds(5), trusted: Duration = .seconds(30), retryEvery: Duration = .seconds(2)) {
        self.name = name
        self.connectTimeout = connectTimeout
        self.trusted = trusted
        self.retryEvery = retryEvery
    }

    /// Since when and why the endpoint cannot be reached; nil while it can.
    public var problem: (since: Date, error: String)? {
        state.withLock { state in state.downSince.map { ($0, state.lastError) } }
    }

    /// Lets a call to `endpoint` go ahead, trying a connection first when none answered lately.
    ///
    /// - Throws: `AWSError` `EndpointUnreachable` (503) when it cannot be reached.
    func admit(_ endpoint: URL) async throws {
        let now = ContinuousClock.now
        enum Next { case go, fail(AWSError), wait(Task<String?, Never>) }
        let next: Next = state.withLock { state in
            if state.downSince == nil, let good = state.lastGood, now - good < trusted { return .go }
            if let down = state.downSince, let probe = state.lastProbe, now - probe < retryEvery, state.probing == nil {
                return .fail(unreachable(endpoint, since: down, error: state.lastError))
            }
            if let probing = state.probing { return .wait(probing) }
            let host = endpoint.host ?? "localhost", port = endpoint.port ?? (endpoint.scheme == "http" ? 80 : 443)
            let timeout = connectTimeout
            let task = Task { await EndpointReachability.connectionProblem(host: host, port: port, timeout: timeout) }
            state.probing = task
            return .wait(task)
        }
        switch next {
        case .go: return
        case .fail(let error): throw error
        case .wait(let task):
            let problem = await task.value
            let failure: AWSError? = state.withLock { state in
                if state.probing == task {
                    state.probing = nil
                    state.lastProbe = ContinuousClock.now
                    if let problem {
                        if state.downSince == nil { state.downSince = Date() }
                        state.lastError = problem
                    } else {
                        state.downSince = nil
                        state.lastGood = ContinuousClock.now
                    }
                }
                guard let problem else { return nil }
                return unreachable(endpoint, since: state.downSince ?? Date(), error: problem)
            }
            if let failure { throw failure }
        }
    }

    /// A call got an answer (any HTTP status): the endpoint is up.
    func answered() {
        state.withLock { state in
            state.lastGood = ContinuousClock.now
            state.downSince = nil
        }
    }

    /// A call got no answer (the connection failed or timed out): the next one tries a connection
    /// first.
    func lost(_ error: String) {
        state.withLock { state in
            state.lastGood = nil
            state.lastError = error
        }
    }

    private func unreachable(_ endpoint: URL, since: Date, error: String) -> AWSError {
        AWSError(status: 503, code: AWSError.unreachableCode,
                 message: "cannot reach \(endpoint.absoluteString) since \(since.formatted(.iso8601)): \(error); check the account's endpoint and the network")
    }

    /// Why a TCP connection to `host`:`port` cannot be made within `timeout`; nil when it can.
    static func connectionProblem(host: String, port: Int, timeout: Duration) async -> String? {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(Int64(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)))
                .connect(host: host, port: port).get()
            try? await channel.close()
            return nil
        } catch {
            return "\(error)"
        }
    }
}
