import AsgardCore
import AsgardStore
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Keeps one proxy process running per load balancer, tells each its routing, and reads back
/// what each reports (health and traffic). The proxies are the data plane: they keep serving on
/// their own while the server is down, and the next start re-adopts them.
public final class LoadBalancerFleet: Sendable {
    let store: any LoadBalancerStore
    let supervisor: ProcessSupervisor
    let dataDir: String
    /// The program that serves a load balancer: `asgard`, run as `asgard load-balancer-proxy`.
    let proxyExecutable: String
    let logger: Logger
    private let reports = Mutex<[LoadBalancerName: LoadBalancerTraffic]>([:])
    private let backoffs = Mutex<[LoadBalancerName: LaunchBackoff]>([:])
    private let problems = Mutex<[LoadBalancerName: String]>([:])
    /// The processes this server started, by load balancer: one whose load balancer was
    /// deleted while it started (its process not yet saved) is ended at the next pass.
    private let started = Mutex<[LoadBalancerName: ProcessHandle]>([:])

    /// Creates the fleet.
    public init(store: any LoadBalancerStore, supervisor: ProcessSupervisor, dataDir: String, proxyExecutable: String, logger: Logger) {
        self.store = store
        self.supervisor = supervisor
        self.dataDir = dataDir
        self.proxyExecutable = proxyExecutable
        self.logger = logger
    }

    /// The `asgard` binary next to the running program: itself when it is `asgard`, else its
    /// sibling (a test runner built into the same folder).
    public static var defaultProxyExecutable: String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let url = URL(fileURLWithPath: me)
        return url.lastPathComponent == "asgard" ? url.path : url.deletingLastPathComponent().appendingPathComponent("asgard").path
    }

    // MARK: What the pages and the reconciler read

    /// The last report of a load balancer's process, nil before its first.
    public func traffic(of name: LoadBalancerName) -> LoadBalancerTraffic? {
        reports.withLock { $0[name] }
    }

    /// A fresh report from a load balancer's process, or the last one when it does not answer.
    public func currentTraffic(of name: LoadBalancerName) async -> LoadBalancerTraffic? {
        if let process = try? await store.loadBalancerProcess(named: name), supervisor.isRunning(handle(process)),
           let report = try? await call(process, .GET, "/traffic", body: nil) {
            reports.withLock { $0[name] = report }
            return report
        }
        return traffic(of: name)
    }

    /// Why a load balancer is not serving, in words, nil while it is.
    public func problem(of name: LoadBalancerName) -> String? {
        problems.withLock { $0[name] }
    }

    /// Why the load balancers of `group` find `instance` unhealthy, nil when none does.
    public func healthProblem(of instance: InstanceID, in group: ServerGroupRecord) -> String? {
        for name in group.loadBalancerNames {
            if let traffic = traffic(of: LoadBalancerName(rawValue: name)), let seen = traffic.instance(instance), seen.health == .unhealthy {
                return "failed the health check of load balancer \(name): \(seen.healthReason ?? "unhealthy")"
            }
        }
        return nil
    }

    // MARK: Reconciling

    /// Brings every load balancer's process and routing in line with the store.
    public func reconcile(groups: [(ServerGroupRecord, [InstanceRecord])]) async {
        guard let balancers = try? await store.loadBalancers() else { return }
        await withTaskGroup(of: Void.self) { tasks in
            for balancer in balancers {
                tasks.addTask { await self.reconcile(balancer, routing: LoadBalancerRouting.build(for: balancer, groups: groups)) }
            }
        }
        let names = Set(balancers.map(\.loadBalancerName))
        reports.withLock { $0 = $0.filter { names.contains($0.key) } }
        let orphans = started.withLock { started -> [(LoadBalancerName, ProcessHandle)] in
            let gone = started.filter { !names.contains($0.key) }
            for (name, _) in gone { started[name] = nil }
            return gone.map { ($0.key, $0.value) }
        }
        for (name, handle) in orphans where supervisor.isRunning(handle) {
            logger.warning("Ending the process of a deleted load balancer", metadata: ["loadBalancer": "\(name)", "pid": "\(handle.pid)"])
            await supervisor.terminate(handle, grace: .seconds(5))
        }
    }

    private func reconcile(_ balancer: LoadBalancerRecord, routing: LoadBalancerRouting) async {
        let name = balancer.loadBalancerName
        let invalid = balancer.problems
        guard invalid.isEmpty else {
            let message = "its stored settings are invalid (\(ValidationFailure(invalid).message)); update or delete it"
            if problems.withLock({ state in defer { state[name] = message }; return state[name] != message }) {
                logger.error("Skipping a load balancer with invalid settings", metadata: ["loadBalancer": "\(name)", "problems": "\(message)"])
            }
            return
        }
        do {
            if let process = try await store.loadBalancerProcess(named: name), supervisor.isRunning(handle(process)) {
                var report = try await call(process, .GET, "/traffic", body: nil)
                if report.routing != routing {
                    report = try await call(process, .PUT, "/routing", body: routing)
                    logger.debug("Routing pushed", metadata: ["loadBalancer": "\(name)"])
                }
                reports.withLock { $0[name] = report }
                problems.withLock { $0[name] = nil }
                backoffs.withLock { $0[name] = nil }
                return
            }
            try await launch(balancer, routing: routing)
        } catch {
            logger.warning("Load balancer not reachable", metadata: ["loadBalancer": "\(name)", "error": "\(error)"])
        }
    }

    private func launch(_ balancer: LoadBalancerRecord, routing: LoadBalancerRouting) async throws {
        let name = balancer.loadBalancerName
        let time = Date()
        guard backoffs.withLock({ ($0[name] ?? LaunchBackoff()).allowsLaunch(at: time) }) else { return }
        if PortProbe.isOpen(balancer.listenerPort) {
            problems.withLock { $0[name] = "port \(balancer.listenerPort) is in use by another program; change listenerPort or stop that program" }
            backoffs.withLock { $0[name, default: LaunchBackoff()].recordEarlyFailure(at: time) }
            return
        }
        let directory = self.directory(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = LoadBalancerProcess(pid: 0, startTicks: 0, adminPort: try PortProbe.freePort(), adminSecret: Self.secret())
        let configuration = ProxyConfiguration(name: name.rawValue, listenerPort: balancer.listenerPort, adminPort: process.adminPort,
                                                   adminSecret: process.adminSecret, routing: routing)
        let path = configurationPath(name)
        guard FileManager.default.createFile(atPath: path, contents: try JSONEncoder().encode(configuration),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw LaunchError(description: "cannot write \(path)")
        }
        let inherited = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG", "TZ", "TMPDIR", "USER"].contains($0.key) }
        let spec = LaunchSpec(command: [proxyExecutable, "load-balancer-proxy", "--configuration", path],
                              environment: inherited.merging([LocalReconciler.marker: dataDir]) { _, ours in ours },
                              workingDirectory: directory, logPath: "\(directory)/console.log")
        let started = try supervisor.launch(spec)
        self.started.withLock { $0[name] = started }
        var running = process
        running.pid = started.pid
        running.startTicks = started.startTicks
        try await store.saveLoadBalancerProcess(running, named: name)
        backoffs.withLock { $0[name, default: LaunchBackoff()].recordEarlyFailure(at: time) }
        logger.info("Started load balancer", metadata: ["loadBalancer": "\(name)", "port": "\(balancer.listenerPort)", "pid": "\(started.pid)"])
        // Wait briefly for it to answer, so the first report comes with this pass.
        let deadline = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < deadline, supervisor.isRunning(started) {
            if let report = try? await call(running, .GET, "/traffic", body: nil) {
                reports.withLock { $0[name] = report }
                problems.withLock { $0[name] = nil }
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let console = supervisor.consoleOutput("\(directory)/console.log", maxBytes: 600)
        problems.withLock { $0[name] = "the load balancer process did not start: \(console.split(separator: "\n").last ?? "no output")" }
    }

    /// Ends a load balancer's process and forgets it, as deleting it does.
    public func stop(_ name: LoadBalancerName, grace: Duration) async {
        if let process = try? await store.loadBalancerProcess(named: name) {
            await supervisor.terminate(handle(process), grace: grace)
        }
        try? FileManager.default.removeItem(atPath: directory(name))
        reports.withLock { $0[name] = nil }
        problems.withLock { $0[name] = nil }
    }

    /// Ends every load balancer's process, as a graceful stop of the server does; they start again
    /// with the server.
    public func stopAll(grace: Duration) async {
        guard let balancers = try? await store.loadBalancers() else { return }
        await withTaskGroup(of: Void.self) { tasks in
            for balancer in balancers {
                tasks.addTask {
                    if let process = try? await self.store.loadBalancerProcess(named: balancer.loadBalancerName) {
                        await self.supervisor.terminate(self.handle(process), grace: grace)
                    }
                }
            }
        }
    }

    /// The processes of every load balancer, so that they are not taken for strays.
    func knownHandles() async -> [ProcessHandle] {
        guard let balancers = try? await store.loadBalancers() else { return [] }
        var handles: [ProcessHandle] = []
        for balancer in balancers {
            if let process = try? await store.loadBalancerProcess(named: balancer.loadBalancerName) { handles.append(handle(process)) }
        }
        return handles
    }

    /// Tells the load balancers of `group` their routing now and waits until none sends any of
    /// `instances` requests any more: they have left the routing and finished what was in flight,
    /// or the draining timeout passed.
    func drain(_ instances: Set<InstanceID>, of group: ServerGroupRecord, routingGroups: [(ServerGroupRecord, [InstanceRecord])]) async {
        guard !group.loadBalancerNames.isEmpty, let balancers = try? await store.loadBalancers() else { return }
        for balancer in balancers where group.loadBalancerNames.contains(balancer.loadBalancerName.rawValue) {
            guard let process = try? await store.loadBalancerProcess(named: balancer.loadBalancerName),
                  supervisor.isRunning(handle(process)) else { continue }
            let routing = LoadBalancerRouting.build(for: balancer, groups: routingGroups)
            guard var report = try? await call(process, .PUT, "/routing", body: routing) else { continue }
            reports.withLock { $0[balancer.loadBalancerName] = report }
            let deadline = ContinuousClock.now + .seconds(balancer.drainingTimeout)
            func busy(_ report: LoadBalancerTraffic) -> Bool {
                instances.contains { report.instance($0).map { $0.inFlight > 0 } ?? false }
            }
            while busy(report), ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
                guard let next = try? await call(process, .GET, "/traffic", body: nil) else { break }
                report = next
            }
        }
    }

    // MARK: Plumbing

    private func call(_ process: LoadBalancerProcess, _ method: HTTPMethod, _ path: String, body: LoadBalancerRouting?) async throws -> LoadBalancerTraffic {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(process.adminPort)\(path)")
        request.method = method
        request.headers.add(name: "authorization", value: "Bearer \(process.adminSecret)")
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        let data = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok else {
            throw LaunchError(description: "the load balancer's control interface answered \(response.status.code)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(LoadBalancerTraffic.self, from: Data(data.readableBytesView))
    }

    func handle(_ process: LoadBalancerProcess) -> ProcessHandle {
        ProcessHandle(pid: process.pid, startTicks: process.startTicks)
    }

    func directory(_ name: LoadBalancerName) -> String { "\(dataDir)/loadBalancers/\(name)" }

    func configurationPath(_ name: LoadBalancerName) -> String { "\(directory(name))/proxy.json" }

    /// The last 64 KiB of a load balancer's console.
    public func consoleOutput(_ name: LoadBalancerName) -> String {
        supervisor.consoleOutput("\(directory(name))/console.log")
    }

    static func secret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(generator.next() as UInt64, radix: 16) }.joined()
    }
}

