import Hummingbird

/// Answers requests that match no route with the console's 404: JSON for API clients, a page
/// for browsers.
struct NotFoundMiddleware: RouterMiddleware {
    typealias Context = ConsoleRequestContext
    let console: Console

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            let failure = ConsoleError.notFound("No page or endpoint at \(path); the API is described at /openapi.json")
            let accept = request.headers[.accept] ?? ""
            if path.hasSuffix(".json") || !accept.contains("text/html") {
                return Responses.error(failure)
            }
            // The page greets whoever is signed in, as every other page does.
            var principal: Principal?
            if case .user(let user)? = try? await console.authenticator.identify(request) { principal = user }
            return console.errorPage(failure, input: nil, principal: principal)
        }
    }
}
