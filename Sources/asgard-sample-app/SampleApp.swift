import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Prometheus
import Synchronization

/// A small HTTP service to deploy with Asgard, with switches that make it misbehave on purpose
/// for demonstrations and tests. Every flag also reads an environment variable, so an image's
/// `env` can set it.
@main
struct SampleApp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asgard-sample-app",
        abstract: "A sample service: GET / answers its version and instance, GET /health its health, GET /metrics its requests for Prometheus.",
        discussion: """
        Listens on 127.0.0.1:$PORT (default 8081). /metrics has http_requests_total{code} and the
        histogram http_request_duration_seconds of the GET / requests it answered.

        Example:
          PORT=9000 asgard-sample-app --version-label 1.2.0 --error-rate 0.1 --latency-ms 20
        """)

    @Option(help: "The version it reports (env SAMPLE_VERSION_LABEL).")
    var versionLabel: String?

    @Option(help: "The share of GET / answers that are 500, 0.0–1.0, spread evenly (env SAMPLE_ERROR_RATE).")
    var errorRate: Double?

    @Option(help: "Extra milliseconds before answering GET / (env SAMPLE_LATENCY_MS).")
    var latencyMs: Int?

    @Flag(help: "Answer GET /health with 503 (env SAMPLE_UNHEALTHY=1).")
    var unhealthy = false

    @Option(help: "Milliseconds to wait before listening (env SAMPLE_STARTUP_DELAY_MS).")
    var startupDelayMs: Int?

    @Option(help: "Exit with status 1 after this many seconds, as a crash would (env SAMPLE_EXIT_AFTER_S).")
    var exitAfterS: Double?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let settings = SampleSettings(
            version: versionLabel ?? env["SAMPLE_VERSION_LABEL"] ?? "1.0.0",
            instanceId: env["ASGARD_INSTANCE_ID"] ?? "sample-\(getpid())",
            errorRate: errorRate ?? env["SAMPLE_ERROR_RATE"].flatMap(Double.init) ?? 0,
            latencyMs: latencyMs ?? env["SAMPLE_LATENCY_MS"].flatMap(Int.init) ?? 0,
            unhealthy: unhealthy || env["SAMPLE_UNHEALTHY"] == "1" || env["SAMPLE_UNHEALTHY"] == "true")
        guard (0...1).contains(settings.errorRate) else { throw ValidationError("--error-rate must be from 0.0 to 1.0") }
        guard settings.latencyMs >= 0 else { throw ValidationError("--latency-ms must be 0 or more") }
        let port = Int(env["PORT"] ?? "8081") ?? 8081

        if let delay = startupDelayMs ?? env["SAMPLE_STARTUP_DELAY_MS"].flatMap(Int.init), delay > 0 {
            try await Task.sleep(for: .milliseconds(delay))
        }
        let router = Router()
        let errors = ErrorSchedule(rate: settings.errorRate)
        let registry = PrometheusCollectorRegistry()
        let requests = MetricNameDescriptor(metricName: "http_requests", unitName: "total", helpText: "GET / requests answered, by status code.")
        let answered = [200, 500].map { (code: $0, counter: registry.makeCounter(descriptor: requests, labels: [("code", String($0))])) }
        let latency = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(metricName: "http_request_duration", unitName: "seconds", helpText: "Time to answer GET /."),
            buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5].map { Duration.microseconds(Int64($0 * 1_000_000)) })
        router.get("/") { _, _ -> Response in
            let started = ContinuousClock.now
            defer { latency.record(ContinuousClock.now - started) }
            if settings.latencyMs > 0 { try await Task.sleep(for: .milliseconds(settings.latencyMs)) }
            let failing = errors.next()
            answered[failing ? 1 : 0].counter.increment()
            let body = failing
                ? #"{"error": "injected failure", "version": "\#(settings.version)", "instanceId": "\#(settings.instanceId)"}"#
                : #"{"version": "\#(settings.version)", "instanceId": "\#(settings.instanceId)"}"#
            return Response(status: failing ? .internalServerError : .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: body + "\n")))
        }
        router.get("/metrics") { _, _ -> Response in
            var text: [UInt8] = []
            registry.emit(into: &text)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
        router.get("/health") { _, _ -> Response in
            Response(status: settings.unhealthy ? .serviceUnavailable : .ok, headers: [.contentType: "text/plain"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: settings.unhealthy ? "unhealthy\n" : "ok\n")))
        }
        var logger = Logger(label: "asgard-sample-app")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        if let seconds = exitAfterS ?? env["SAMPLE_EXIT_AFTER_S"].flatMap(Double.init), seconds > 0 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.runService() }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                    FileHandle.standardError.write(Data("asgard-sample-app: exiting after \(seconds) s as asked\n".utf8))
                    Foundation.exit(1)
                }
                try await group.next()
            }
        } else {
            try await app.runService()
        }
    }
}

/// What the sample app reports and how it misbehaves.
struct SampleSettings: Sendable {
    var version: String
    var instanceId: String
    var errorRate: Double
    var latencyMs: Int
    var unhealthy: Bool
}

/// Spreads failures evenly: request n fails when ⌊(n+1)·rate⌋ > ⌊n·rate⌋, so any run of requests
/// fails in exactly the asked share, give or take one.
final class ErrorSchedule: Sendable {
    private let rate: Double
    private let count = Mutex(0)

    init(rate: Double) {
        self.rate = rate
    }

    func next() -> Bool {
        let n = count.withLock { value -> Int in
            defer { value += 1 }
            return value
        }
        return (Double(n + 1) * rate).rounded(.down) > (Double(n) * rate).rounded(.down)
    }
}
