import AsgardAPI
import AsgardCore
import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import Testing

/// A small HTTP/1.1 server for proxy tests: it answers every request with what it received
/// (method, path, headers, body length and digest) and its instance id; `/health` answers 503
/// while a file named `unhealthy` exists in its working directory (its instance directory).
let echoServer = #"""
import hashlib, http.server, json, os
class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/framing/") and self.framing(self.path[9:]):
            return
        if self.path == "/health":
            status, doc = (503, {"ok": False}) if os.path.exists("unhealthy") else (200, {"ok": True})
        else:
            status, doc = 200, {"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                "length": len(body), "sha256": hashlib.sha256(body).hexdigest(), "instanceId": os.environ["ASGARD_INSTANCE_ID"],
                                "group": os.environ.get("CLOUD_CLUSTER", "") + "/" + os.environ.get("CLOUD_PUSH", "")}
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
    def framing(self, kind):
        w = self.wfile.write
        if kind == "chunked":
            w(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n")
            w(b"5;part=1\r\nhello\r\n"); self.wfile.flush()
            w(b"7\r\n, world\r\n0\r\nX-Checksum: 42\r\n\r\n")
        elif kind == "close":
            w(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nuntil the close")
            self.close_connection = True
        elif kind == "early-hints":
            w(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"); self.wfile.flush()
            w(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nKeep-Alive: timeout=5\r\n\r\nafter hints")
        elif kind == "no-content":
            w(b"HTTP/1.1 204 No Content\r\nX-Done: yes\r\n\r\n")
        elif kind == "garbage":
            w(b"NOT HTTP AT ALL\r\n\r\n")
            self.close_connection = True
        else:
            return False
        return True
    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Echo).serve_forever()
"""#

struct Echoed: Decodable {
    var method: String
    var path: String
    var headers: [String: String]
    var length: Int
    var sha256: String
    var instanceId: String
}

/// Requests sent through a load balancer by several workers until told to stop.
final class Load: Sendable {
    private let outcomes = Mutex<(ok: Int, failures: [String])>((0, []))
    private let stopped = Mutex(false)

    var ok: Int { outcomes.withLock { $0.ok } }
    var failures: [String] { outcomes.withLock { $0.failures } }

    func stop() { stopped.withLock { $0 = true } }

    /// Runs `workers` request loops against `url` while `body` runs, then stops them.
    static func during<T: Sendable>(_ url: String, workers: Int = 4, _ body: @Sendable (Load) async throws -> T) async throws -> (Load, T) {
        let load = Load()
        let result = try await withThrowingTaskGroup(of: T?.self) { tasks in
            for _ in 0..<workers {
                tasks.addTask {
                    while !load.stopped.withLock({ $0 }) {
                        do {
                            let reply = try await HTTP.get(url, accept: "*/*", token: nil)
                            load.outcomes.withLock { reply.status == 200 ? ($0.ok += 1) : $0.failures.append("\(reply.status): \(reply.text)") }
                        } catch {
                            load.outcomes.withLock { $0.failures.append("\(error)") }
                        }
                    }
                    return nil
                }
            }
            // The workers stop whether the body returns or throws, so that a failing test ends.
            defer { load.stop() }
            let value = try await body(load)
            load.stop()
            try await tasks.waitForAll()
            return value
        }
        return (load, result)
    }
}

@Suite("Local load balancers", .serialized, .heavy)
struct LoadBalancerTests {
    func balancer(_ server: ServerProcess, _ name: String) async throws -> LoadBalancerJSON {
        try APIJSON.decoder().decode(LoadBalancerJSON.self, from: try await HTTP.get(server.url + "/local/loadBalancer/show/\(name).json").body)
    }

    /// Waits until `count` instances are healthy behind `shop-prod`; on a timeout the error
    /// carries what the load balancer and the server reported.
    func waitHealthy(_ server: ServerProcess, _ count: Int, seconds: Double = 30) async throws {
        do {
            try await waitUntil("\(count) healthy instances behind the load balancer", seconds: seconds) {
                healthy(try await balancer(server, "shop-prod")).count == count
            }
        } catch {
            let shown = try await HTTP.get(server.url + "/local/loadBalancer/show/shop-prod.json").text
            let instances = try await HTTP.get(server.url + "/local/instance/list.json").text
            throw E2EError("\(error)\nload balancer: \(shown)\ninstances: \(instances)\nserver log: \(server.log.suffix(3000))")
        }
    }

    func healthy(_ balancer: LoadBalancerJSON) -> [InstanceTraffic] {
        (balancer.traffic?.groups ?? []).flatMap(\.instances).filter { $0.health == .healthy }
    }

    func createBalancer(_ server: ServerProcess, name: String = "shop-prod", extra: [(String, String)] = []) async throws -> Int {
        let port = try freePort()
        // Four failed checks in a row before an instance leaves: on a machine busy with the other
        // suites, a debug sample app may miss a 1 s check now and then.
        let defaults = [("interval", "2"), ("timeout", "1"), ("unhealthyThreshold", "4")].filter { key, _ in !extra.contains { $0.0 == key } }
        let created = try await HTTP.postForm(server.url + "/local/loadBalancer/save",
                                              [("name", name), ("listenerPort", String(port))] + defaults + extra)
        #expect(created.status == 201, "\(created.text)")
        return port
    }

    func createGroup(_ server: ServerProcess, image: String, desired: Int, balancer: String = "shop-prod", detail: String? = nil) async throws -> String {
        var fields = [("appName", "shop"), ("stack", "prod"), ("imageId", image), ("minSize", "0"), ("desiredCapacity", String(desired)),
                      ("maxSize", "4"), ("selectedLoadBalancers", balancer)]
        if let detail { fields.append(("detail", detail)) }
        let created = try await HTTP.postForm(server.url + "/local/autoScaling/save", fields)
        #expect(created.status == 201, "\(created.text)")
        return try APIJSON.decoder().decode(ServerGroupJSON.self, from: created.body).autoScalingGroupName
    }

    /// Registers the application `shop` and the echo server as its image.
    func registerEcho(_ server: ServerProcess) async throws -> String {
        try await registerShop(server)
        let body = try JSONSerialization.data(withJSONObject: ["name": "shop", "version": "echo", "command": ["python3", "-c", echoServer]])
        let reply = try await HTTP.postJSON(server.url + "/local/image/register", body)
        #expect(reply.status == 201, "\(reply.text)")
        return try APIJSON.decoder().decode(ImageRecord.self, from: reply.body).imageId.rawValue
    }

    @Test func instancesServeThroughTheLoadBalancerAndAKilledOneIsReplacedWithoutAFailedRequest() async throws {
        let scratch = try Scratch("lb-serve")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let image = try await LocalCloudTests().registerSample(server)
        let port = try await createBalancer(server)
        let name = try await createGroup(server, image: image, desired: 2)
        try await waitHealthy(server, 2)

        var seen: Set<String> = []
        for _ in 0..<10 {
            let reply = try await HTTP.get("http://127.0.0.1:\(port)/", accept: "*/*", token: nil)
            #expect(reply.status == 200)
            if let doc = try JSONSerialization.jsonObject(with: reply.body) as? [String: String], let id = doc["instanceId"] { seen.insert(id) }
        }
        #expect(seen.count == 2, "round robin reaches both instances")

        let victim = try #require(try await LocalCloudTests().group(server, name).instances.first)
        let (load, _) = try await Load.during("http://127.0.0.1:\(port)/") { load in
            try await waitUntil("some traffic") { load.ok > 20 }
            kill(try #require(victim.pid), SIGKILL)
            try await waitUntil("the killed instance replaced and healthy behind the load balancer") {
                let now = try await balancer(server, "shop-prod")
                return healthy(now).count == 2 && !healthy(now).contains { $0.instanceId == victim.instanceId }
            }
            let replaced = load.ok
            try await waitUntil("traffic through the replacement") { load.ok > replaced + 30 }
        }
        #expect(load.failures.isEmpty, "\(load.failures.prefix(3))")

        let shown = try await balancer(server, "shop-prod")
        let group = try #require(shown.traffic?.groups.first)
        #expect(group.requests.total >= load.ok)
        #expect(group.requests.status5xx == 0)
        #expect(group.latency.count == group.requests.total)
        #expect(group.latency.p99 > 0)
        #expect(!group.latency.histogram.isEmpty)

        let inUse = try await HTTP.postForm(server.url + "/local/loadBalancer/delete", [("name", "shop-prod")])
        #expect(inUse.status == 409)
        #expect(inUse.text.contains("used by server group \(name)"))
    }

    @Test func theProxyForwardsRequestsFaithfullyDropsUnhealthyInstancesAndSplitsByExactWeights() async throws {
        let scratch = try Scratch("lb-proxy")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let image = try await registerEcho(server)

        let badName = try await HTTP.postForm(server.url + "/local/loadBalancer/save", [("name", "shop_prod"), ("listenerPort", "7001")])
        #expect(badName.status == 400)
        #expect(badName.text.contains("may contain only letters, digits and hyphens"))
        let noApp = try await HTTP.postForm(server.url + "/local/loadBalancer/save", [("name", "cart"), ("listenerPort", String(try freePort()))])
        #expect(noApp.status == 400)
        #expect(noApp.text.contains("not a registered application"))
        let badCheck = try await HTTP.postForm(server.url + "/local/loadBalancer/save",
                                               [("name", "shop"), ("listenerPort", String(try freePort())), ("interval", "2"), ("timeout", "5")])
        #expect(badCheck.status == 400)
        #expect(badCheck.text.contains("must be shorter than the interval"))

        let port = try await createBalancer(server)
        let url = "http://127.0.0.1:\(port)"
        let none = try await HTTP.get(url + "/", accept: "*/*", token: nil)
        #expect(none.status == 503)
        #expect(none.text.contains("Load balancer shop-prod has no instances registered"))
        let unknown = try await HTTP.postForm(server.url + "/local/autoScaling/save", [("appName", "shop"), ("imageId", image), ("selectedLoadBalancers", "nope")])
        #expect(unknown.status == 400)
        #expect(unknown.text.contains("'nope' is not a load balancer"))

        let blue = try await createGroup(server, image: image, desired: 2)
        try await waitHealthy(server, 2)

        // Method, path, query, headers and a large body arrive as sent, with X-Forwarded-*.
        var request = HTTPClientRequest(url: url + "/orders/42?expand=lines&x=%20y")
        request.method = .PUT
        request.headers.add(name: "X-Request-Id", value: "abc-123")
        let payload = Data(String(repeating: "0123456789abcdef", count: 5 << 16).utf8)
        request.body = .bytes(ByteBuffer(bytes: payload))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(response.status == .ok)
        let echoed = try JSONDecoder().decode(Echoed.self, from: Data(try await response.body.collect(upTo: 1 << 20).readableBytesView))
        #expect(echoed.method == "PUT")
        #expect(echoed.path == "/orders/42?expand=lines&x=%20y")
        #expect(echoed.headers["x-request-id"] == "abc-123")
        #expect(echoed.headers["x-forwarded-for"] == "127.0.0.1")
        #expect(echoed.headers["x-forwarded-proto"] == "http")
        #expect(echoed.length == payload.count)
        let digest = try await run("/usr/bin/env", ["python3", "-c", "import hashlib; print(hashlib.sha256(('0123456789abcdef' * (5 << 16)).encode()).hexdigest())"])
        #expect(echoed.sha256 == digest.stdout.trimmingCharacters(in: .whitespacesAndNewlines))

        // An instance failing its health check leaves the rotation; with none left, a clear 503.
        let instances = try await LocalCloudTests().group(server, blue).instances
        let sick = instances[0]
        _ = FileManager.default.createFile(atPath: "\(server.dataDir)/instances/\(sick.instanceId)/unhealthy", contents: Data())
        try await waitUntil("the sick instance out of rotation") {
            let seen = try await balancer(server, "shop-prod").traffic?.instance(sick.instanceId)
            return seen?.health == .unhealthy && seen?.healthReason?.contains("503") == true
        }
        for _ in 0..<6 {
            let doc = try JSONDecoder().decode(Echoed.self, from: try await HTTP.get(url + "/", accept: "*/*", token: nil).body)
            #expect(doc.instanceId == instances[1].instanceId.rawValue)
        }
        _ = FileManager.default.createFile(atPath: "\(server.dataDir)/instances/\(instances[1].instanceId)/unhealthy", contents: Data())
        try await waitUntil("no healthy instance left") { healthy(try await balancer(server, "shop-prod")).isEmpty }
        let down = try await HTTP.get(url + "/", accept: "*/*", token: nil)
        #expect(down.status == 503)
        #expect(down.text.contains("no healthy instance: 2 registered, none passing its health check (GET /health)"))
        for instance in instances { try FileManager.default.removeItem(atPath: "\(server.dataDir)/instances/\(instance.instanceId)/unhealthy") }

        // A second group behind the same load balancer, with exact weights.
        let green = try await createGroup(server, image: image, desired: 1)
        try await waitHealthy(server, 3)
        let weighted = try await HTTP.postForm(server.url + "/local/loadBalancer/update", [("name", "shop-prod"), ("trafficWeights", "\(blue)=80,\(green)=20")])
        #expect(weighted.status == 200, "\(weighted.text)")
        try await waitUntil("the weights reach the load balancer") {
            try await balancer(server, "shop-prod").traffic?.groups.map(\.weight) == [80, 20]
        }
        let greenIds = Set(try await LocalCloudTests().group(server, green).instances.map(\.instanceId.rawValue))
        var greenCount = 0
        for _ in 0..<200 {
            let doc = try JSONDecoder().decode(Echoed.self, from: try await HTTP.get(url + "/", accept: "*/*", token: nil).body)
            if greenIds.contains(doc.instanceId) { greenCount += 1 }
        }
        #expect(abs(greenCount - 40) <= 4, "green got \(greenCount) of 200 at weight 20 %")

        // Suspending AddToLoadBalancer takes a group out of its load balancers.
        let weightsOff = try await HTTP.postForm(server.url + "/local/loadBalancer/update", [("name", "shop-prod"), ("trafficWeights", "")])
        #expect(weightsOff.status == 200)
        let suspended = try await HTTP.postForm(server.url + "/local/autoScaling/update", [("name", blue), ("suspendedProcesses", "AddToLoadBalancer")])
        #expect(suspended.status == 200)
        #expect(try await LocalCloudTests().group(server, blue).trafficState == "disabled")
        try await waitUntil("only the green group routed") {
            try await balancer(server, "shop-prod").traffic?.groups.map(\.name) == [green]
        }
        for _ in 0..<5 {
            let doc = try JSONDecoder().decode(Echoed.self, from: try await HTTP.get(url + "/", accept: "*/*", token: nil).body)
            #expect(greenIds.contains(doc.instanceId))
        }
        // A share for a disabled group would reach nobody: refused, naming the way out.
        let toDisabled = try await HTTP.postForm(server.url + "/local/loadBalancer/update", [("name", "shop-prod"), ("trafficWeights", "\(blue)=50,\(green)=50")])
        #expect(toDisabled.status == 400)
        #expect(toDisabled.text.contains("'\(blue)' is disabled, so no request can reach it; enable it first (asgard cluster enable \(blue)) or give it 0"), "\(toDisabled.text)")
        let zeroForDisabled = try await HTTP.postForm(server.url + "/local/loadBalancer/update", [("name", "shop-prod"), ("trafficWeights", "\(blue)=0,\(green)=100")])
        #expect(zeroForDisabled.status == 200, "\(zeroForDisabled.text)")
        let allZero = try await HTTP.postForm(server.url + "/local/loadBalancer/update", [("name", "shop-prod"), ("trafficWeights", "\(blue)=0,\(green)=0")])
        #expect(allZero.status == 400 && allZero.text.contains("--no-weights"), "\(allZero.text)")
        #expect(try await HTTP.postForm(server.url + "/local/loadBalancer/update", [("name", "shop-prod"), ("trafficWeights", "")]).status == 200)
    }

    /// The load balancer sends answers on as the instance's bytes: every way HTTP/1.1 frames an
    /// answer reaches a strict client whole, on one kept-alive connection, an HTTP/1.0 client
    /// gets a chunked answer without its chunks, and an answer that is not HTTP is a 502 that
    /// says so.
    @Test func answersOfEveryFramingPassWholeAndOneThatIsNotHTTPIsA502() async throws {
        let scratch = try Scratch("lb-framing")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let image = try await registerEcho(server)
        let port = try await createBalancer(server)
        _ = try await createGroup(server, image: image, desired: 1)
        try await waitHealthy(server, 1)

        let client = #"""
        import http.client, json, socket, sys
        port = int(sys.argv[1])
        out, ports = {}, set()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        def ask(name, path, method="GET"):
            c.request(method, path)
            r = c.getresponse()
            body = r.read()
            ports.add(c.sock.getsockname()[1] if c.sock else None)
            out[name] = {"status": r.status, "body": body.decode(), "headers": {k.lower(): v for k, v in r.getheaders()}}
        ask("chunked", "/framing/chunked")
        ask("head", "/orders", "HEAD")
        ask("hints", "/framing/early-hints")
        ask("noContent", "/framing/no-content")
        ask("plain", "/orders")
        out["oneConnection"] = len(ports) == 1
        ask("close", "/framing/close")
        out["closedAfterClose"] = c.sock is None
        ask("garbage", "/framing/garbage")
        def raw(request):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(request)
            data = b""
            while True:
                part = s.recv(65536)
                if not part:
                    return data.decode(errors="replace")
                data += part
        out["http10"] = raw(b"GET /framing/chunked HTTP/1.0\r\nHost: x\r\n\r\n")
        out["notHTTP"] = raw(b"NONSENSE\r\n\r\n")
        print(json.dumps(out))
        """#
        let ran = try await run("/usr/bin/env", ["python3", "-c", client, String(port)])
        #expect(ran.status == 0, "\(ran.stderr)")
        let answers = try #require(try JSONSerialization.jsonObject(with: Data(ran.stdout.utf8)) as? [String: Any], "\(ran.stdout)")
        func answer(_ name: String) -> (status: Int, body: String, headers: [String: String]) {
            let one = answers[name] as? [String: Any]
            return (one?["status"] as? Int ?? 0, one?["body"] as? String ?? "", one?["headers"] as? [String: String] ?? [:])
        }
        #expect(answer("chunked").status == 200 && answer("chunked").body == "hello, world")
        #expect(answer("chunked").headers["transfer-encoding"] == "chunked" && answer("chunked").headers["trailer"] == nil)
        #expect(answer("head").status == 200 && answer("head").body.isEmpty && answer("head").headers["content-length"] != nil)
        #expect(answer("hints").status == 200 && answer("hints").body == "after hints" && answer("hints").headers["keep-alive"] == nil)
        #expect(answer("noContent").status == 204 && answer("noContent").headers["x-done"] == "yes")
        #expect(answer("plain").status == 200 && answer("plain").body.contains("\"path\": \"/orders\""))
        #expect(answers["oneConnection"] as? Bool == true, "the answers above shared one client connection")
        #expect(answer("close").body == "until the close" && answer("close").headers["connection"] == "close")
        #expect(answers["closedAfterClose"] as? Bool == true)
        #expect(answer("garbage").status == 502)
        #expect(answer("garbage").body.contains("sent an answer the load balancer could not read: its answer does not begin with an HTTP/1.x status line"),
                "\(answer("garbage").body)")
        let old = answers["http10"] as? String ?? ""
        #expect(old.hasPrefix("HTTP/1.0 200 OK\r\n") && old.hasSuffix("\r\n\r\nhello, world"), "\(old)")
        #expect(!old.lowercased().contains("transfer-encoding") && old.lowercased().contains("connection: close"), "\(old)")
        #expect((answers["notHTTP"] as? String ?? "").hasPrefix("HTTP/1.1 400 Bad Request"))

        // The traffic counts every answer, and the unreadable one as the instance's 5xx.
        let counts = try #require(try await balancer(server, "shop-prod").traffic?.groups.first?.requests)
        #expect(counts.total == 8 && counts.status5xx == 1, "\(counts)")
    }

    @Test func terminatingAnInstanceDrainsItsRequestsFirst() async throws {
        let scratch = try Scratch("lb-drain")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        try await registerShop(server)
        let body = try JSONSerialization.data(withJSONObject: ["name": "shop", "version": "slow",
                                                               "command": [LocalCloudTests.sampleApp, "--latency-ms", "1500"]])
        let registered = try await HTTP.postJSON(server.url + "/local/image/register", body)
        let image = try APIJSON.decoder().decode(ImageRecord.self, from: registered.body).imageId.rawValue
        let port = try await createBalancer(server)
        let name = try await createGroup(server, image: image, desired: 1)
        try await waitHealthy(server, 1)
        let instance = try #require(try await LocalCloudTests().group(server, name).instances.first)

        async let slow = HTTP.get("http://127.0.0.1:\(port)/", accept: "*/*", token: nil)
        try await waitUntil("the request in flight") {
            try await balancer(server, "shop-prod").traffic?.instance(instance.instanceId)?.inFlight == 1
        }
        let terminated = try await HTTP.postForm(server.url + "/local/instance/terminate", [("instanceId", instance.instanceId.rawValue), ("shrink", "true")])
        #expect(terminated.status == 200, "\(terminated.text)")
        let answer = try await slow
        #expect(answer.status == 200, "the request in flight finished before the instance ended: \(answer.text)")
        #expect(answer.text.contains(instance.instanceId.rawValue))
    }

    @Test func withELBHealthChecksAnInstanceFailingTheLoadBalancerCheckIsReplaced() async throws {
        let scratch = try Scratch("lb-elb")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let image = try await registerEcho(server)
        _ = try await createBalancer(server)
        let noBalancer = try await HTTP.postForm(server.url + "/local/autoScaling/save", [("appName", "shop"), ("imageId", image), ("healthCheckType", "ELB")])
        #expect(noBalancer.status == 400)
        #expect(noBalancer.text.contains("ELB needs at least one load balancer"))
        let created = try await HTTP.postForm(server.url + "/local/autoScaling/save", [
            ("appName", "shop"), ("imageId", image), ("desiredCapacity", "1"), ("selectedLoadBalancers", "shop-prod"), ("healthCheckType", "ELB")])
        #expect(created.status == 201, "\(created.text)")
        let name = try APIJSON.decoder().decode(ServerGroupJSON.self, from: created.body).autoScalingGroupName
        try await waitHealthy(server, 1)
        let sick = try #require(try await LocalCloudTests().group(server, name).instances.first)
        _ = FileManager.default.createFile(atPath: "\(server.dataDir)/instances/\(sick.instanceId)/unhealthy", contents: Data())
        try await waitUntil("a healthy replacement", seconds: 60) {
            let now = healthy(try await balancer(server, "shop-prod"))
            return now.count == 1 && now[0].instanceId != sick.instanceId
        }
        let history = try APIJSON.decoder().decode(InstanceRecord.self,
                                                   from: try await HTTP.get(server.url + "/local/instance/show/\(sick.instanceId).json").body)
        #expect(history.statusReason?.contains("failed the health check of load balancer shop-prod") == true, "\(history.statusReason ?? "")")
    }

    @Test func disablingAGroupUnderLoadDrainsItWithoutAFailedRequestAndKeepsTheLastEnabledOne() async throws {
        let scratch = try Scratch("lb-disable")
        defer { scratch.remove() }
        let server = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { server.stop() }
        let v1 = try await LocalCloudTests().registerSample(server)
        let body = try JSONSerialization.data(withJSONObject: ["name": "shop", "version": "2.0.0",
                                                               "command": [LocalCloudTests.sampleApp, "--version-label", "2.0.0"]])
        let v2 = try APIJSON.decoder().decode(ImageRecord.self, from: try await HTTP.postJSON(server.url + "/local/image/register", body).body)
        let port = try await createBalancer(server)
        let old = try await createGroup(server, image: v1, desired: 2)
        try await waitHealthy(server, 2)
        let guarded = try await HTTP.postForm(server.url + "/local/cluster/deactivate", [("name", old)])
        #expect(guarded.status == 409)
        #expect(guarded.text.contains("last enabled server group of cluster shop-prod"))

        let new = try await createGroup(server, image: v2.imageId.rawValue, desired: 2)
        try await waitHealthy(server, 4)
        let url = "http://127.0.0.1:\(port)/"
        let (load, _) = try await Load.during(url) { load in
            try await waitUntil("traffic on both groups") { load.ok > 40 }
            let disabled = try await HTTP.postForm(server.url + "/local/cluster/deactivate", [("name", old)])
            #expect(disabled.status == 200, "\(disabled.text)")
            #expect(try APIJSON.decoder().decode(ServerGroupJSON.self, from: disabled.body).trafficState == "disabled")
            for _ in 0..<20 {
                #expect(try await HTTP.get(url, accept: "*/*", token: nil).text.contains("\"version\": \"2.0.0\""))
            }
            let afterDisable = load.ok
            try await waitUntil("traffic on the new group alone") { load.ok > afterDisable + 40 }
        }
        #expect(load.failures.isEmpty, "\(load.failures.prefix(3))")
        let tasks = try await HTTP.get(server.url + "/task/list.json?limit=5").text
        #expect(tasks.contains("Disable traffic to \(old)"))

        let asgard = CLI(server)
        let enabled = try asgard("cluster", "enable", old)
        #expect(enabled.status == 0, "\(enabled.stderr)")
        #expect(try await LocalCloudTests().group(server, old).trafficState == "enabled")
        try await waitHealthy(server, 4)
        #expect(try asgard("cluster", "disable", new).stdout.hasPrefix("Disabled traffic to \(new)"))
        let last = try asgard("cluster", "disable", old)
        #expect(last.status == 1)
        #expect(last.stderr.contains("asgard cluster disable --force"))
        #expect(try asgard("cluster", "disable", old, "--force").status == 0)
        let none = try await HTTP.get(url, accept: "*/*", token: nil)
        #expect(none.status == 503)
    }

    @Test func aServerCrashUnderLoadFailsNoRequestAndTheRestartReadoptsTheLoadBalancer() async throws {
        let scratch = try Scratch("lb-crash")
        defer { scratch.remove() }
        let first = try await ServerProcess(dataDir: scratch.path + "/data")
        defer { first.stop() }
        let server = first
        let image = try await LocalCloudTests().registerSample(server)
        let port = try await createBalancer(server)
        _ = try await createGroup(server, image: image, desired: 2)
        try await waitHealthy(server, 2)
        let before = try await balancer(server, "shop-prod").traffic?.startedAt

        let dataDir = scratch.path + "/data"
        let (load, restarted) = try await Load.during("http://127.0.0.1:\(port)/") { load in
            try await waitUntil("traffic before the crash") { load.ok > 50 }
            first.crash()
            let okAtCrash = load.ok
            try await waitUntil("traffic while the server is down") { load.ok > okAtCrash + 200 }
            let next = try await ServerProcess(dataDir: dataDir)
            try await waitUntil("the restarted server to report the load balancer") {
                try await balancer(next, "shop-prod").traffic != nil
            }
            let okAtRestart = load.ok
            try await waitUntil("traffic after the restart") { load.ok > okAtRestart + 200 }
            return next
        }
        defer { restarted.stop() }
        #expect(load.failures.isEmpty, "\(load.failures.count) failed: \(load.failures.prefix(3))")
        #expect(try await balancer(restarted, "shop-prod").traffic?.startedAt == before, "the same load balancer process serves on")

        restarted.stop()
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap(Int32.init).filter { pid in
            let cmdline = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            return cmdline.contains(dataDir)
        }
        #expect(leftovers.isEmpty, "a graceful stop ends the load balancer")
    }
}
