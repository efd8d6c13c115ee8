import AsgardCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Checks every registered instance on its own schedule, as ELB does: a GET of the target path
/// each interval, 2xx within the timeout passes. A newly registered instance is checked every
/// 100 ms until it passes (unlike ELB), so that it takes traffic as soon as it serves; after that,
/// every interval. Keeps checking whether or not the server that configured it is up.
struct HealthChecker: Sendable {
    let balancer: Balancer
    let eventLoops: any EventLoopGroup

    /// How often an instance is checked until it first turns healthy.
    static let initialInterval = Duration.milliseconds(100)

    func run() async {
        var due: [BackendTarget: ContinuousClock.Instant] = [:]
        // One check of a target at a time, however short its interval.
        let checking = CheckSet()
        await withDiscardingTaskGroup { tasks in
            while !Task.isCancelled {
                let settings = balancer.routing.healthCheck
                let now = ContinuousClock.now
                let targets = balancer.registered()
                for target in targets where due[target].map({ $0 <= now }) ?? true {
                    guard checking.targets.withLock({ $0.insert(target).inserted }) else { continue }
                    due[target] = now + (balancer.isInitial(target) ? HealthChecker.initialInterval : .seconds(settings.interval))
                    tasks.addTask {
                        let (passed, reason) = await HealthChecker.probe(target.port, path: settings.target,
                                                                         timeout: .seconds(settings.timeout), on: eventLoops)
                        balancer.recordCheck(target, passed: passed, reason: reason)
                        checking.targets.withLock { _ = $0.remove(target) }
                    }
                }
                if due.count > targets.count {
                    let current = Set(targets)
                    due = due.filter { current.contains($0.key) }
                }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// One check: whether `GET path` on the port answers 2xx within `timeout`, and why not.
    static func probe(_ port: Int, path: String, timeout: Duration, on eventLoops: any EventLoopGroup) async -> (Bool, String?) {
        do {
            return try await withThrowingTaskGroup(of: (Bool, String?).self) { tasks in
                tasks.addTask { try await request(port, path: path, timeout: timeout, on: eventLoops) }
                tasks.addTask {
                    try await Task.sleep(for: timeout)
                    return (false, "no answer to GET \(path) within \(timeout.components.seconds) s")
                }
                let first = try await tasks.next() ?? (false, "no answer")
                tasks.cancelAll()
                return first
            }
        } catch {
            return (false, "GET \(path) failed: \(error)")
        }
    }

    private static func request(_ port: Int, path: String, timeout: Duration, on eventLoops: any EventLoopGroup) async throws -> (Bool, String?) {
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: eventLoops)
                .connectTimeout(.init(timeout))
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            return (false, "could not connect to port \(port) (\(error))")
        }
        return try await channel.executeThenClose { inbound, outbound in
            let headers = HTTPHeaders([("host", "127.0.0.1:\(port)"), ("user-agent", "asgard-load-balancer-health-check"), ("connection", "close")])
            try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)))
            try await outbound.write(.end(nil))
            for try await part in inbound {
                if case .head(let response) = part {
                    let code = Int(response.status.code)
                    return (200..<300).contains(code) ? (true, nil) : (false, "GET \(path) answered \(code)")
                }
            }
            return (false, "port \(port) closed the connection without answering GET \(path)")
        }
    }
}

/// The targets being checked right now.
final class CheckSet: Sendable {
    let targets = Mutex<Set<BackendTarget>>([])
}
