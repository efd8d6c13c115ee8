import AsgardCore
import Hummingbird

/// Refuses a request whose URL is longer than `maxURLBytes` with 414 before anything else reads
/// it: no route, no credentials check, no audit entry.
struct RequestLimitsMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext

    /// The longest URL (path and query) accepted.
    static let maxURLBytes = 8192

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let length = request.uri.description.utf8.count
        guard length <= RequestLimitsMiddleware.maxURLBytes else {
            return Responses.error(ConsoleError(.uriTooLong, "The URL is \(length) bytes long; at most \(RequestLimitsMiddleware.maxURLBytes) are accepted. Send long values in a POST body"))
        }
        return try await next(request, context)
    }
}
