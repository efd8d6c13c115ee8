import AsgardCore
import Foundation
import Hummingbird
import Metrics
import Synchronization

/// Counts and times every request by method, route and status
/// (`asgard_http_requests_total`, `asgard_http_request_duration_seconds`). The route is the
/// route's pattern (`/{region}/instance/show/{id}`), never the path asked for, and every request
/// no route matched shares `unmatched`, so a scan of made-up paths adds no series.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext

    private let cache = MetricHandles()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status.code, since: started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, context, status: status, since: started)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int, since started: ContinuousClock.Instant) {
        // A route's pattern starts with a slash; Hummingbird names a request no route matched
        // otherwise (or not at all).
        let route = context.endpointPath.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
        let method = RequestMetricsMiddleware.methods.contains(request.method.rawValue) ? request.method.rawValue : "other"
        let (counter, timer) = cache.handles(method: method, route: route, status: status)
        counter.increment()
        timer.recordSeconds((ContinuousClock.now - started).inSeconds)
    }

    /// The methods counted by name; any other is `other`.
    static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
}

/// The counter and timer of each method, route and status, made once.
private final class MetricHandles: Sendable {
    private struct Key: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    private let made = Mutex<[Key: (Counter, Metrics.Timer)]>([:])

    func handles(method: String, route: String, status: Int) -> (Counter, Metrics.Timer) {
        let key = Key(method: method, route: route, status: status)
        return made.withLock { made in
            if let found = made[key] { return found }
            let counter = Counter(label: "asgard_http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))])
            let timer = Metrics.Timer(label: "asgard_http_request_duration_seconds", dimensions: [("method", method), ("route", route)])
            made[key] = (counter, timer)
            return (counter, timer)
        }
    }
}
