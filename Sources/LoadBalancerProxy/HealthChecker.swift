import AsgardCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Checks every registered instance on its own schedule, as ELB does: a GET of the target path
/// each interval, 2xx within the timeout passes. A newly registered instance is checked at once,
/// then every 10 ms, slowing down to every 100 ms, until it passes (unlike ELB), so that it takes
/// traffic as soon as it serves; after that, every interval. Its failures meanwhile count at most
/// once per 100 ms (`Balancer.recordCheck`), so that it does not turn unhealthy sooner for being
/// looked at more often. Keeps checking whether or not the server that configured it is up.
struct HealthChecker: Sendable {
    let balancer: Balancer
    let eventLoops: any EventLoopGroup

    /// How long an instance that has not passed its checks yet waits before its next check, after
    /// `checks` checks: 10 ms, half as long again after each, at most 100 ms.
    static func initialInterval(afterChecks checks: Int) -> Duration {
        var interval = Duration.milliseconds(10)
        for _ in 0..<min(max(checks, 0), 8) { interval = interval * 3 / 2 }
        return min(interval, initialCap)
    }

    /// The longest wait between two checks of an instance that has not passed yet.
    static let initialCap = Duration.milliseconds(100)

    /// The longest the checker sleeps without looking at the registered instances again.
    static let lookEvery = Duration.milliseconds(50)

    func run() async {
        var due: [BackendTarget: ContinuousClock.Instant] = [:]
        // How many times each instance that has not passed yet was checked.
        var initialChecks: [BackendTarget: Int] = [:]
        // One check of a target at a time, however short its interval.
        let checking = CheckSet()
        await withDiscardingTaskGroup { tasks in
            while !Task.isCancelled {
                let settings = balancer.routing.healthCheck
                let now = ContinuousClock.now
                let targets = balancer.registered()
                var next = now + HealthChecker.lookEvery
                for target in targets {
                    if let at = due[target], at > now {
                        next = min(next, at)
                        continue
                    }
                    guard checking.targets.withLock({ $0.insert(target).inserted }) else { continue }
                    let initial = balancer.isInitial(target)
                    let interval: Duration
                    if initial {
                        interval = HealthChecker.initialInterval(afterChecks: initialChecks[target, default: 0])
                        initialChecks[target, default: 0] += 1
                    } else {
                        interval = .seconds(settings.interval)
                        initialChecks[target] = nil
                    }
                    due[target] = now + interval
                    next = min(next, now + interval)
                    tasks.addTask {
                        let (passed, reason) = await HealthChecker.probe(target.port, path: settings.target,
                                                                         timeout: .seconds(settings.timeout), on: eventLoops)
                        balancer.recordCheck(target, passed: passed, reason: reason)
                        checking.targets.withLock { _ = $0.remove(target) }
                        // A check slower than the short interval of a new instance: look again now.
                        if initial { balancer.checkerWakeup.signal() }
                    }
                }
                if due.count > targets.count {
                    let current = Set(targets)
                    due = due.filter { current.contains($0.key) }
                    initialChecks = initialChecks.filter { current.contains($0.key) }
                }
                // A new routing (instances registered) wakes the checker at once.
                await balancer.checkerWakeup.wait(upTo: max(next - ContinuousClock.now, .milliseconds(1)))
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
